import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { AbortedError, connectClient, defineAgent, loadConfig, startHost, type Client, type Host } from "../../src/index.ts";
import { gate } from "../helpers/in-process.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

let srv: TestServer;
let host: Host;
let client: Client;
const held = gate();

before(async () => {
  srv = await startServer();
  const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent", NATTER_HEARTBEAT_MS: "60000" });
  const slow = defineAgent({
    name: "Slow",
    concurrency: 8,
    async onRequest(req) {
      if (req.content !== "quick") await held.promise;
      return `did ${req.content}`;
    },
  });
  host = await startHost({ agents: [slow], config });
  client = await connectClient({ name: "asker", config });
});
after(async () => {
  held.open();
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
