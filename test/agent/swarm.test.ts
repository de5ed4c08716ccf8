import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connectClient, loadConfig, type Client } from "../../src/index.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import { Events, startHostProcess, type HostProcess } from "../helpers/hosts.ts";

let srv: TestServer;
let client: Client;
let events: Events;
const hosts: HostProcess[] = [];

before(async () => {
  srv = await startServer();
  events = await Events.listen(srv.url);
  client = await connectClient({ name: "tester", config: loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent" }) });
  for (let i = 0; i < 2; i++) hosts.push(await startHostProcess(["test/fixtures/worker.ts"], { NATS_URL: srv.url, WORKER_NAME: "Twin" }));
});
after(async () => {
  await client?.close();
  await Promise.all(hosts.map((h) => h.kill("SIGKILL")));
  await events?.close();
  await srv?.dispose();
});

test("swarm: two instances answer 100 requests, each exactly once, spread over both", async () => {
  const answers = await Promise.all(Array.from({ length: 100 }, (_, i) => client.requestFromAgent("Twin", `sleep:${i % 5}`)));
  assert.equal(answers.length, 100);
  const ids = answers.map((a) => a.inReplyTo);
  assert.equal(new Set(ids).size, 100, "one answer per request");
  const handled = await events.until((all) => all.filter((e) => e.type === "request" && e.event === "done").length >= 100, 5000, "100 handled");
  const requests = handled.filter((e) => e.type === "request" && e.event === "start");
  assert.equal(requests.length, 100, "no request handled twice");
  const byPid = new Map<number, number>();
  for (const e of requests) byPid.set(e.pid, (byPid.get(e.pid) ?? 0) + 1);
  assert.equal(byPid.size, 2, "both instances served");
  for (const [pid, n] of byPid) assert.ok(n >= 10, `instance ${pid} handled ${n}`);
});

test("swarm: instances share one mailbox; 40 direct messages are each handled once, by both", async () => {
  const sent = await Promise.all(Array.from({ length: 40 }, (_, i) => client.sendDirectMessage("Twin", `sleep:${20 + (i % 3) * 10}`, {}, { notify: false })));
  const ids = new Set(sent.map((s) => s.envelope.id));
  const all = await events.until((a) => a.filter((e) => ids.has(e.id) && e.event === "done").length >= 40, 15_000, "40 handled");
  const starts = all.filter((e) => ids.has(e.id) && e.event === "start");
  assert.equal(starts.length, 40);
  assert.equal(new Set(starts.map((e) => e.id)).size, 40);
  assert.equal(new Set(starts.map((e) => e.pid)).size, 2, "both instances took mail");
});
