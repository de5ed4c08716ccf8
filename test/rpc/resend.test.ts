import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { defineAgent, loadConfig, startHost, type Host } from "../../src/index.ts";
import { createLogger } from "../../src/logger.ts";
import { eventually, gate } from "../helpers/in-process.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

// Signatures off (the default): the answer memory is what keeps a re-sent request from running twice.
let srv: TestServer;
let host: Host;
let runs = 0;
const held = gate();
let started = false;
const lines: string[] = [];
const logger = createLogger({ level: "info", format: "json", write: (l) => lines.push(l) });
const repeated = () => lines.some((l) => (JSON.parse(l) as { event?: string }).event === "rpc.repeated");

before(async () => {
  srv = await startServer();
  const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent", NATTER_HEARTBEAT_MS: "60000" });
  const slow = defineAgent({
    name: "Slow",
    async onRequest(req) {
      runs++;
      started = true;
      await held.promise;
      return `slow did ${req.content}`;
    },
  });
  host = await startHost({ agents: [slow, defineAgent({ name: "Asker" })], config, logger });
});
after(async () => {
  held.open();
  await host?.stop();
  await srv?.dispose();
});

test("resend: a request in flight across a server restart is re-sent, answered once, and its handler runs once", { timeout: 180_000 }, async () => {
  const asker = host.agents.find((r) => r.name === "Asker")!.context;
  const call = asker.requestFromAgent("Slow", "the job", { timeoutMs: 120_000 });
  await eventually("the handler to start", () => started, 30_000);
  await srv.restart();
  // Both ends reconnect and the requester re-sends the request it still waits on, while the first run goes on:
  // it is either recognised (logged) or run a second time.
  await eventually("the re-sent request to arrive", () => repeated() || runs > 1, 60_000);
  held.open();
  assert.equal((await call).content, "slow did the job");
  assert.equal(runs, 1, "the handler ran once");
});
