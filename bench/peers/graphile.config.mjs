// PostGraphile 5, the peer of bench/pages.py: the same tables, as the app's login role, with the same row-level
// security scope per request (the role and the tenant ids the app sets with set_config, here from headers the
// benchmark sends; loopback only, never a deployment).
import { PostGraphileAmberPreset } from "postgraphile/presets/amber";
import { makePgService } from "postgraphile/adaptors/pg";

const SETTINGS = {
  "x-role": "role",
  "x-network": "dealernet.network_id",
  "x-station": "dealernet.station_id",
  "x-partner": "dealernet.partner_id",
  "x-actor": "dealernet.actor",
};

export default {
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({
      connectionString: process.env.PEER_DATABASE_URL,
      schemas: ["public"],
      pgSettings(requestContext) {
        const headers = requestContext.node?.req?.headers ?? {};
        const settings = {};
        for (const [header, setting] of Object.entries(SETTINGS)) settings[setting] = headers[header] ?? "";
        return settings;
      },
    }),
  ],
  grafserv: { port: Number(process.env.PEER_PORT ?? 5678), graphiql: false, watch: false },
  grafast: { explain: false },
  schema: { pgForbidSetofFunctionsToReturnNull: false },
};
