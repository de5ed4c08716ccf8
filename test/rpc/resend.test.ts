import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connect } from "@nats-io/transport-node";
import { createEnvelope, encodeEnvelope, responseSubject, requestSubject } from "../../src/protocol/index.ts";
import { defineAgent, loadConfig, startHost, type Host } from "../../src/index.ts";
import { createLogger } from "../../src/logger.ts";
import { eventually, gate } from "../helpers/in-process.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

// Signatures off (the default): the answer memory is what keeps a re-sent request from running twice.
let srv: TestServer;
let host: Host;
let runs = 0;
let twinRuns = 0;
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
  const twin = defineAgent({
    name: "Twin",
    async onRequest(req) {
      twinRuns++;
      return `twin did ${req.content}`;
    },
  });
  // The same definition twice: two instances in one queue group.
  host = await startHost({ agents: [slow, defineAgent({ name: "Asker" }), twin, twin], config, logger });
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

test("resend: the same request sent again to an agent with two instances in one host is answered alike and run once", async () => {
  const nc = await connect({ servers: srv.url });
  try {
    const request = createEnvelope({ type: "request", from: "Outsider", to: "Twin", content: "once" });
    const data = encodeEnvelope(request);
    const reply = responseSubject("Outsider", request.id);
    // The queue group spreads these over both instances; each must recognise what the other answered.
    const answers: string[] = [];
    for (let i = 0; i < 12; i++) {
      const sub = nc.subscribe(reply, { max: 1 });
      nc.publish(requestSubject("Twin"), data, { reply });
      for await (const m of sub) answers.push(new TextDecoder().decode(m.data));
    }
    assert.equal(new Set(answers).size, 1, "every answer is the first one, byte for byte");
    assert.match(answers[0]!, /twin did once/);
    assert.equal(twinRuns, 1, "the handler ran once");
  } finally {
    await nc.close();
  }
});
