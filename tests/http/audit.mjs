// Runs graphql-http's server audits (the GraphQL-over-HTTP conformance suite) against a live
// Juheli and prints their results as one JSON array on stdout, for
// tests/http/test_graphql_http_audit.py to assert on.
//
//   node audit.mjs URL MODULES
//
// URL: the gateway's /graphql. MODULES: the node_modules folder `npm ci` filled from this
// folder's package-lock.json (the test installs it outside the repository, once per session).
// JUHELI_AUDIT_HEADERS: a JSON object of headers added to every request the audits send
// (Juheli answers nothing without credentials), unless an audit sets that header itself.
import { createRequire } from 'node:module';
import { join } from 'node:path';

const [url, modules] = process.argv.slice(2);
if (!url || !modules) {
  console.error('usage: node audit.mjs URL MODULES');
  process.exit(2);
}
const require = createRequire(join(modules, 'package.json'));
const { serverAudits } = require('graphql-http');
const extra = JSON.parse(process.env.JUHELI_AUDIT_HEADERS || '{}');

function fetchFn(input, init = {}) {
  const headers = new Headers(init.headers);
  for (const [name, value] of Object.entries(extra)) {
    if (!headers.has(name)) headers.set(name, value);
  }
  return fetch(input, { ...init, headers });
}

const results = [];
// One at a time: the order of the log is the order of the suite, and no burst of requests.
for (const { fn } of serverAudits({ url, fetchFn })) {
  const result = await fn();
  const { response, ...rest } = result;
  if (response) {
    rest.status_code = response.status;
    rest.content_type = response.headers.get('content-type');
  }
  results.push(rest);
}
process.stdout.write(JSON.stringify(results));
