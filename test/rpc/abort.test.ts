import { getEventListeners } from "node:events";
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { AbortedError, connectClient, defineAgent, loadConfig, startHost, type Client, type Host } from "../../src/index.ts";
import { connect } from "@nats-io/transport-node";
import { createEnvelope } from "../../src/protocol/index.ts";
import { Requester } from "../../src/rpc/call.ts";
import { gate } from "../helpers/in-process.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

let srv: TestServer;
let host: Host;
let client: Client;
const held = gate();
const stuck = gate();

before(async () => {
  srv = await startServer();
  const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent", NATTER_HEARTBEAT_MS: "60000" });
  const slow = defineAgent({
    name: "Slow",
    concurrency: 8,
    async onRequest(req) {
      if (req.content === "hang") await stuck.promise;
      else if (req.content !== "quick") await held.promise;
      return `did ${req.content}`;
    },
  });
  host = await startHost({ agents: [slow], config });
  client = await connectClient({ name: "asker", config });
});
after(async () => {
  held.open();
  stuck.open();
  await client?.close();
  await host?.stop();
  await srv?.dispose();
});

test("requests: a signal shared by several requests abandons every one of them when it fires, and only them", async () => {
  const controller = new AbortController();
  const waiting = [1, 2, 3].map((i) => client.requestFromAgent("Slow", `wait ${i}`, { timeoutMs: 30_000, signal: controller.signal }));
  const other = client.requestFromAgent("Slow", "quick", { timeoutMs: 30_000 });
  assert.equal((await other).content, "did quick", "a request without the signal is answered");
  const started = performance.now();
  controller.abort(new Error("the user gave up"));
  for (const w of waiting) await assert.rejects(w, (err: unknown) => err instanceof AbortedError && /aborted/.test(err.message));
  assert.ok(performance.now() - started < 5000, "abandoned when the signal fired, not at the timeout");
  // The signal is spent; the requester still answers new requests, and a later request with a fresh signal works.
  const again = new AbortController();
  held.open();
  assert.equal((await client.requestFromAgent("Slow", "after", { timeoutMs: 30_000, signal: again.signal })).content, "did after");
});

test("requests: a signal holds no listener of the requester once its requests are answered, unless it lasts as long as the requester", async () => {
  const nc = await connect({ servers: srv.url });
  const requester = new Requester(nc, "probe", 1 << 20);
  const ask = (signal: AbortSignal, signalLasts?: boolean) =>
    requester.request(createEnvelope({ type: "request", from: "probe", to: "Slow", content: "quick" }), { timeoutMs: 30_000, signal, signalLasts });
  try {
    // A handler's signal, or a caller's own: kept alive by nothing once its requests are done.
    const handlerSignal = new AbortController().signal;
    await Promise.all([ask(handlerSignal), ask(handlerSignal)]);
    assert.equal(getEventListeners(handlerSignal, "abort").length, 0, "no listener left on a signal whose requests are answered");
    // The agent's own stop signal: one listener for all its requests, not one added and removed per request.
    const lifetime = new AbortController();
    for (let i = 0; i < 10; i++) await ask(lifetime.signal, true);
    assert.equal(getEventListeners(lifetime.signal, "abort").length, 1);
    const waiting = ask(lifetime.signal, true);
    const hanging = requester.request(createEnvelope({ type: "request", from: "probe", to: "Slow", content: "hang" }), { timeoutMs: 30_000, signal: lifetime.signal, signalLasts: true });
    await waiting;
    lifetime.abort(new Error("stopping"));
    await assert.rejects(hanging, AbortedError, "the lasting listener still abandons what waits when the signal fires");
  } finally {
    requester.close();
    await nc.close();
  }
});
