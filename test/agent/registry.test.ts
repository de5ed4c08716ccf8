import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connectClient, loadConfig, type AgentInfo, type Client } from "../../src/index.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import { Events, startHostProcess, type HostProcess } from "../helpers/hosts.ts";

let srv: TestServer;
let client: Client;
let events: Events;
const hosts: HostProcess[] = [];
// Short beats so the TTL (3 beats) is testable: entries of a dead host vanish within 1.5 s of its last beat.
const BEAT = { NATTER_HEARTBEAT_MS: "500" };

before(async () => {
  srv = await startServer();
  events = await Events.listen(srv.url);
  client = await connectClient({ name: "tester", config: loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent", ...BEAT }) });
});
after(async () => {
  await client?.close();
  await Promise.all(hosts.map((h) => h.kill("SIGKILL")));
  await events?.close();
  await srv?.dispose();
});

async function waitFor(what: string, timeoutMs: number, check: (agents: AgentInfo[]) => boolean): Promise<{ agents: AgentInfo[]; ms: number }> {
  const started = performance.now();
  for (;;) {
    const agents = await client.listAgents();
    if (check(agents)) return { agents, ms: performance.now() - started };
    if (performance.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(agents)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("registry: every running agent appears with its capabilities as soon as its host is ready", async () => {
  const h = await startHostProcess(["test/fixtures/worker.ts"], { NATS_URL: srv.url, WORKER_NAME: "Weather-Bot", WORKER_CAPABILITIES: "weather,forecast", ...BEAT });
  hosts.push(h);
  // The host logs "host.ready" after every agent wrote its entry, so it must already be there.
  const agents = await client.listAgents();
  const bot = agents.find((a) => a.name === "Weather-Bot");
  assert.ok(bot, "registered when the host is ready");
  assert.deepEqual(bot.capabilities, ["weather", "forecast"]);
  assert.equal(bot.status, "available");
  assert.equal(bot.instances.length, 1);
  assert.equal(bot.instances[0]!.pid, h.proc.pid);
  assert.deepEqual((await client.findAgents("forecast")).map((a) => a.name), ["Weather-Bot"]);
  assert.deepEqual(await client.findAgents("cooking"), []);
});

test("registry: status is busy while a handler runs and available after", async () => {
  const pending = client.requestFromAgent("Weather-Bot", "sleep:3000", { timeoutMs: 30_000 });
  const busy = await waitFor("busy", 2800, (a) => a.find((x) => x.name === "Weather-Bot")?.status === "busy");
  assert.equal(busy.agents.find((x) => x.name === "Weather-Bot")!.load, 1);
  const before = busy.agents.find((x) => x.name === "Weather-Bot")!.instances[0]!.handled;
  await pending;
  const after = await waitFor("available again", 5000, (a) => a.find((x) => x.name === "Weather-Bot")?.status === "available");
  const entry = after.agents.find((x) => x.name === "Weather-Bot")!;
  assert.equal(entry.load, 0);
  assert.equal(entry.instances[0]!.handled, before + 1, "the handled count includes the request just answered");
});

test("registry: a graceful stop marks the entry offline at once", async () => {
  const h = await startHostProcess(["test/fixtures/worker.ts"], { NATS_URL: srv.url, WORKER_NAME: "Polite", ...BEAT });
  assert.equal((await client.getAgent("Polite"))?.status, "available");
  // Watch the entry rather than read it after exit: with 0.5 s beats it expires 1.5 s after the last write.
  const writes: string[] = [];
  const watch = await client.bus.registry.watch({ key: "Polite.*" });
  void (async () => {
    for await (const e of watch) if (e.operation === "PUT") writes.push(e.json<{ status: string }>().status);
  })();
  assert.equal(await h.kill("SIGTERM"), 0, "exits 0 on SIGTERM");
  await waitFor("the offline write", 5000, () => writes.at(-1) === "offline");
  watch.stop();
});

test("registry: an agent killed without goodbye drops out within the TTL", async () => {
  const h = await startHostProcess(["test/fixtures/worker.ts"], { NATS_URL: srv.url, WORKER_NAME: "Doomed", ...BEAT });
  assert.equal((await client.getAgent("Doomed"))?.status, "available");
  await h.kill("SIGKILL");
  // The entry expires 1.5 s after the last beat; on a loaded 2-core CI machine the server's expiry sweep and the
  // listing itself have been seen to add nearly 2 s, so the bound is a few TTLs, not one. Without the TTL the
  // entry would never go and this would time out.
  const gone = await waitFor("the entry to expire", 15_000, (a) => !a.some((x) => x.name === "Doomed"));
  assert.ok(gone.ms <= 3 * 1500 + 1500, `dropped after ${Math.round(gone.ms)} ms, within a few 1.5 s TTLs`);
});
