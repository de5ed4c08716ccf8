import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connectClient, defineAgent, loadConfig, startHost, type Client, type Host } from "../../src/index.ts";
import { runLoop } from "../../src/llm/ooda.ts";
import { createLogger } from "../../src/logger.ts";
import { eventually } from "../helpers/eventually.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import { startPrometheus, type TestPrometheus } from "../helpers/prometheus.ts";

let srv: TestServer;
let host: Host;
let client: Client;
let prom: TestPrometheus;

const counted = defineAgent({
  name: "Counted",
  concurrency: 2,
  onMessage: async (msg) => {
    if (msg.content === "poison") throw new Error("cannot digest this");
    return "ok";
  },
  onRequest: async (req) => `echo ${req.content}`,
});

/** Makes one model call per request through the agent loop, with a stand-in model that reports token usage. */
const thinker = defineAgent({
  name: "Thinker",
  onRequest: async (_req, ctx) => {
    const model = { label: "test-model", offline: true, complete: async () => ({ content: "thought", toolCalls: [], usage: { promptTokens: 10, completionTokens: 4 } }) };
    const run = await runLoop({ model, messages: [{ role: "user", content: "think" }], tools: [], maxSteps: 1, signal: ctx.signal, log: createLogger({ level: "silent" }) });
    return run.answer;
  },
});

/** Holds its one slot until the test lets go: what is sent to it waits in its mailbox. */
let release: () => void = () => undefined;
const held = new Promise<void>((r) => (release = r));
const stuck = defineAgent({ name: "Stuck", concurrency: 1, prefetch: 1, onMessage: () => held.then(() => "ok") });

before(async () => {
  srv = await startServer();
  const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent", NATTER_MAX_DELIVER: "2", NATTER_RETRY_DELAYS_MS: "200", NATTER_METRICS_PORT: "0" });
  host = await startHost({ agents: [counted, thinker, stuck], config });
  assert.ok(host.metricsPort, "the host says where it serves metrics");
  client = await connectClient({ name: "sender", config: loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent" }) });
  prom = await startPrometheus([`127.0.0.1:${host.metricsPort}`]);
});

after(async () => {
  release();
  await client?.close();
  await host?.stop();
  await prom?.dispose();
  await srv?.dispose();
});

/** Waits until Prometheus answers `promql` with exactly `expected` (series labels → value). */
async function expectQuery(promql: string, expected: Record<string, number>): Promise<void> {
  let last: Record<string, number> = {};
  await eventually(
    `${promql} to be ${JSON.stringify(expected)}`,
    async () => {
      last = await prom.query(promql);
      return JSON.stringify(last) === JSON.stringify(expected) ? true : undefined;
    },
    30_000,
    250,
  ).catch((err: Error) => {
    throw new Error(`${err.message}; last answer ${JSON.stringify(last)}; prometheus log: ${prom.log().slice(-500)}`);
  });
}

test("metrics: Prometheus scrapes the host and counts handled, failed and dead-lettered messages, requests, redeliveries and tokens", async () => {
  const text = await (await fetch(`http://127.0.0.1:${host.metricsPort}/metrics`)).text();
  assert.match(text, /# TYPE natter_messages_total counter/);
  assert.match(text, /# TYPE natter_handler_duration_seconds histogram/);

  for (let i = 0; i < 5; i++) await client.sendDirectMessage("Counted", `fine ${i}`);
  for (let i = 0; i < 3; i++) assert.equal((await client.requestFromAgent("Counted", `q${i}`)).content, `echo q${i}`);
  for (let i = 0; i < 2; i++) assert.equal((await client.requestFromAgent("Thinker", "hm")).content, "thought");
  // Fails on each of its two deliveries, then is dead-lettered.
  await client.sendDirectMessage("Counted", "poison");

  await expectQuery('sum by (type, outcome) (natter_messages_total{agent="Counted"})', {
    '{"outcome":"dead_lettered","type":"direct"}': 1,
    '{"outcome":"error","type":"direct"}': 2,
    '{"outcome":"ok","type":"direct"}': 5,
    '{"outcome":"ok","type":"request"}': 3,
  });
  await expectQuery('sum(natter_handler_duration_seconds_count{agent="Counted",type="direct"})', { "{}": 7 });
  await expectQuery('sum(natter_handler_duration_seconds_bucket{agent="Counted",type="direct",le="+Inf"})', { "{}": 7 });
  // The quantile the docs' "slowest agent" query uses: these handlers take well under a second.
  const p95 = await prom.query('histogram_quantile(0.95, sum by (agent, le) (natter_handler_duration_seconds_bucket{agent="Counted"}))');
  assert.ok(p95['{"agent":"Counted"}']! > 0 && p95['{"agent":"Counted"}']! < 1, JSON.stringify(p95));
  await expectQuery('sum(natter_redeliveries_total{agent="Counted"})', { "{}": 1 });
  await expectQuery('sum by (direction) (natter_llm_tokens_total{model="test-model"})', { '{"direction":"in"}': 20, '{"direction":"out"}': 8 });
  await expectQuery('sum(natter_llm_call_duration_seconds_count{model="test-model",outcome="ok"})', { "{}": 2 });
  await expectQuery('sum by (agent) (natter_handler_slots{agent=~"Counted|Thinker"})', { '{"agent":"Counted"}': 2, '{"agent":"Thinker"}': 8 });
  await expectQuery('sum(natter_requests_in_flight{agent="Counted"})', { "{}": 0 });
  await expectQuery("sum(natter_connection_up)", { "{}": 1 });
  await expectQuery('sum(natter_mailbox_backlog{agent="Counted"})', { "{}": 0 });
});

test("metrics: the mailbox backlog of an agent that cannot keep up is sampled from its consumer", async () => {
  for (let i = 0; i < 6; i++) await client.sendDirectMessage("Stuck", `wait ${i}`);
  let last: Record<string, number> = {};
  // One runs and the pull may hold one more; the rest are undelivered. Sampled every 5 s.
  await eventually("a backlog of at least 4", async () => {
    last = await prom.query('sum(natter_mailbox_backlog{agent="Stuck"})');
    return (last["{}"] ?? 0) >= 4 ? true : undefined;
  }, 30_000, 500).catch((err: Error) => {
    throw new Error(`${err.message}; last answer ${JSON.stringify(last)}`);
  });
  await expectQuery('sum(natter_handler_slots_used{agent="Stuck"})', { "{}": 1 });
});
