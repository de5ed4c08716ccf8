import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { createLogger } from "../../src/logger.ts";
import { createEnvelope, encodeEnvelope } from "../../src/protocol/envelope.ts";
import { HEADERS } from "../../src/protocol/headers.ts";
import { requestSubject } from "../../src/protocol/subjects.ts";
import { serveRequests } from "../../src/rpc/serve.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

const LIMIT = 1024;
let srv: TestServer;
let nc: NatsConnection;

before(async () => {
  srv = await startServer();
  nc = await connect({ servers: srv.url });
  serveRequests(nc, "Big", async (request) => "x".repeat(Number(request.content)), { log: createLogger({ level: "silent" }), maxMessageBytes: LIMIT });
});

after(async () => {
  await nc?.close();
  await srv?.dispose();
});

async function ask(content: string): Promise<{ code: string | undefined; error: string | undefined }> {
  const data = encodeEnvelope(createEnvelope({ type: "request", from: "Caller", to: "Big", content }));
  const answer = await nc.request(requestSubject("Big"), data, { timeout: 5000 });
  return { code: answer.headers?.get(HEADERS.errorCode), error: answer.headers?.get(HEADERS.error) };
}

test("rpc: a response over the limit is answered too_large, naming the response and both sizes", async () => {
  const { code, error } = await ask(String(2 * LIMIT));
  assert.equal(code, "too_large");
  assert.match(error ?? "", /^response is \d+ bytes, over the 1024-byte limit/);
});

test("rpc: a request over the limit is answered too_large, naming the message and both sizes", async () => {
  const { code, error } = await ask("9".repeat(2 * LIMIT));
  assert.equal(code, "too_large");
  assert.match(error ?? "", /^message is \d+ bytes, over the 1024-byte limit/);
});
