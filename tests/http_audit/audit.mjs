// The GraphQL-over-HTTP spec's server audit against a running Dealernet, as a station signs in: prints one
// JSON line of results ({id, name, status, reason}) for tests/e2e/test_http_audit.py to judge.
import { serverAudits } from "graphql-http";

const url = process.env.AUDIT_URL;
const authorization = process.env.AUDIT_AUTHORIZATION;
const fetchFn = (input, init = {}) =>
  fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), authorization } });

async function body(response) {
  try {
    return `(${response.status} ${response.headers.get("content-type")}) ${await response.text()}`;
  } catch {
    return `(${response?.status})`; // the audit read the body already
  }
}

// One at a time (auditServer runs them all at once): the test's server shares one database transaction.
const results = [];
for (const audit of serverAudits({ url, fetchFn })) results.push(await audit.fn());
const shown = await Promise.all(
  results.map(async (r) => ({
    id: r.id,
    name: r.name,
    status: r.status,
    reason: r.status === "ok" ? "" : `${r.reason} ${await body(r.response)}`.slice(0, 400),
  })),
);
console.log(JSON.stringify(shown));
