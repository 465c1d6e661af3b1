// Subscribe with the graphql-ws client and print what happens, one JSON object a line:
// {"event": "connected"}, {"event": "next", "id": i, "payload": ...}, {"event": "error", "id": i,
// "errors": [...]} or {"event": "error", "id": i, "close": {code, reason}}, {"event": "complete"},
// {"event": "closed", "code", "reason"}, {"event": "timeout"}.
// The spec comes as JSON in JUHELI_SUBSCRIBE: {url, params, subscriptions: [{query, variables}],
// count (nexts to wait for), timeoutMs}. Node's own WebSocket carries the protocol.
import { createClient } from "graphql-ws";

const spec = JSON.parse(process.env.JUHELI_SUBSCRIBE);
const out = (line) => process.stdout.write(JSON.stringify(line) + "\n");
let nexts = 0;
let open = spec.subscriptions.length;

const client = createClient({
  url: spec.url,
  connectionParams: spec.params,
  retryAttempts: 0,
  lazy: true,
  on: {
    connected: () => out({ event: "connected" }),
    closed: (event) => out({ event: "closed", code: event?.code, reason: event?.reason }),
  },
});

function finish(code) {
  client.dispose();
  setTimeout(() => process.exit(code), 50);
}

function describe(error) {
  if (Array.isArray(error)) return { errors: error };
  if (error && typeof error.code === "number") return { close: { code: error.code, reason: error.reason } };
  return { message: String(error?.message ?? error) };
}

spec.subscriptions.forEach((operation, id) => {
  client.subscribe(operation, {
    next: (payload) => {
      out({ event: "next", id, payload });
      nexts += 1;
      if (nexts >= spec.count) finish(0);
    },
    error: (error) => {
      out({ event: "error", id, ...describe(error) });
      open -= 1;
      if (open === 0) finish(0);
    },
    complete: () => {
      out({ event: "complete", id });
      open -= 1;
      if (open === 0) finish(0);
    },
  });
});

setTimeout(() => {
  out({ event: "timeout" });
  finish(0);
}, spec.timeoutMs);
