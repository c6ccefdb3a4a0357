// Serves the peer on 127.0.0.1:$PEER_PORT: node bench/peers/server.mjs
import { createServer } from "node:http";
import { postgraphile } from "postgraphile";
import { grafserv } from "postgraphile/grafserv/node";
import preset from "./graphile.config.mjs";

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.on("error", (error) => { console.error(error); process.exit(1); });
await serv.addTo(server);
server.listen(preset.grafserv.port, "127.0.0.1", () => console.log(`peer listening on ${preset.grafserv.port}`));
