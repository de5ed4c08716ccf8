// Chaos: a 3-node cluster at 3 replicas; the mailbox stream's leader dies under traffic and comes back.
// Handler runs are counted from the worker's run file (WORKER_RUNS_FILE), not from completion notices: notices are
// de-duplicated by their msg-id, so they cannot show a handler that ran twice.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { connectClient, loadConfig, type Client, type Config } from "../../src/index.ts";
import { startCluster, type TestCluster } from "../helpers/nats-server.ts";
import { startHostProcess, type HostProcess } from "../helpers/hosts.ts";
import { ackedAtLeast, completionNotices, readRuns, sendTraffic } from "../helpers/traffic.ts";

const N = 600;
const ACK_WAIT_MS = 5000;
const dir = mkdtempSync(join(tmpdir(), "natter-cluster-runs-"));

let cluster: TestCluster;
let config: Config;
let client: Client;
let worker: HostProcess;
let patient: HostProcess | undefined;

before(async () => {
  // Connect (and provision) at once, before the cluster has a JetStream leader: setting up must wait for it, not fail.
  cluster = await startCluster(3, { waitForJetStream: false });
  config = loadConfig({ NATS_URL: cluster.urls.join(","), NATTER_REPLICAS: "3", NATTER_LOG_LEVEL: "silent", NATTER_REQUEST_TIMEOUT_MS: "20000" });
  client = await connectClient({ name: "traffic", config });
});

after(async () => {
  await client?.close();
  await worker?.kill("SIGKILL");
  await patient?.kill("SIGKILL");
  await cluster?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

test("cluster: provisioned right after a cold start, the mailbox stream and the registry bucket have 3 replicas", async () => {
  const jsm = await jetstreamManager(client.bus.nc);
  for (const name of ["AGENTS", "KV_natter-registry"]) {
    const info = await jsm.streams.info(name);
    assert.equal(info.config.num_replicas, 3, name);
    assert.equal((info.cluster?.replicas?.length ?? 0) + 1, 3, `${name} has a leader and two replicas`);
  }
});

/** Waits until `agent`'s consumer has nothing pending and nothing waiting for an ack, then one more ack wait for any late copy. */
async function settled(agent: string): Promise<void> {
  const jsm = await jetstreamManager(client.bus.nc);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const info = await jsm.consumers.info("AGENTS", agent).catch(() => undefined);
    if (info && info.num_ack_pending === 0 && info.num_pending === 0) break;
    assert.ok(Date.now() < deadline, `${agent}'s messages are all acknowledged within 2 minutes`);
    await new Promise((r) => setTimeout(r, 250));
  }
  await new Promise((r) => setTimeout(r, ACK_WAIT_MS + 1000));
}

test(`cluster: the stream leader (and the host's node) dies under traffic; every acknowledged message is handled exactly once, requests recover, the node rejoins`, { timeout: 600_000 }, async () => {
  const jsm = await jetstreamManager(client.bus.nc);
  const leader = (await jsm.streams.info("AGENTS")).cluster?.leader;
  const victim = cluster.nodes.findIndex((_, i) => `n${i}` === leader);
  assert.ok(victim >= 0, `found the stream leader (${leader})`);
  const runs = join(dir, "solid.runs");
  // Only the leader's URL: the host connects there, so its node dies with the leader; it learns the others from the
  // cluster (nats.js follows the servers the cluster announces) and moves to one of them.
  worker = await startHostProcess(["test/fixtures/worker.ts"], {
    NATS_URL: cluster.urls[victim]!,
    NATTER_REPLICAS: "3",
    WORKER_NAME: "Solid",
    WORKER_CONCURRENCY: "8",
    WORKER_RUNS_FILE: runs,
    NATTER_ACK_WAIT_MS: String(ACK_WAIT_MS),
    NATTER_MAX_DELIVER: "1000",
  });
  // Its subscription reaches the other nodes over the routes a moment after it is ready.
  let ping = "";
  for (let i = 0; i < 50 && !ping; i++) ping = await client.requestFromAgent("Solid", "ping", { timeoutMs: 2000 }).then((r) => r.content, () => new Promise<string>((r) => setTimeout(() => r(""), 200)));
  assert.equal(ping, "Solid did ping");

  // Handlers of 20 to 200 ms.
  const traffic = sendTraffic(client, "Solid", N, 10, (i) => `sleep:${20 + ((i * 37) % 181)}`);
  const { acked, refused } = traffic;
  await ackedAtLeast(traffic, N / 2, N);
  const lostAt = Date.now();
  await cluster.nodes[victim]!.stop({ hard: true });

  // The time until another node leads the stream.
  const elected = (async () => {
    for (;;) {
      const now = await jsm.streams.info("AGENTS").then((i) => i.cluster?.leader, () => undefined);
      if (now && now !== leader) return { leader: now, ms: Date.now() - lostAt };
      if (Date.now() - lostAt > 120_000) return { leader: undefined, ms: Number.NaN };
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  // Requests fail while the cluster elects new leaders and clients move, then succeed again.
  let failedRequests = 0;
  let answered = false;
  while (!answered && Date.now() - lostAt < 120_000) {
    answered = await client.requestFromAgent("Solid", "are you there?", { timeoutMs: 3000 }).then(
      (r) => r.content === "Solid did are you there?",
      () => (failedRequests++, false),
    );
  }
  const recoveredMs = Date.now() - lostAt;
  assert.ok(answered, "requests succeed again with one node down");
  await traffic.done;
  const election = await elected;
  assert.ok(election.leader, "another node leads the stream");

  await cluster.nodes[victim]!.start();
  await completionNotices(client, "AGENTS", acked.length, 300_000);
  await settled("Solid");
  const counted = readRuns(runs);
  const lost = acked.filter((id) => !(counted.get(id)?.ends ?? 0));
  const twice = [...counted].filter(([, r]) => r.starts > 1).map(([id]) => id);
  console.log(`# cluster: leader ${leader} (the host's node) killed after ${N / 2}+ acks; stream leader again after ${election.ms} ms; ` +
    `acknowledged ${acked.length}, refused ${refused.length}${refused.length ? ` (${refused[0]})` : ""}; failed requests ${failedRequests}, first answer after ${recoveredMs} ms; ` +
    `handler runs counted ${[...counted.values()].reduce((n, r) => n + r.starts, 0)}, lost ${lost.length}, handled twice ${twice.length}`);
  assert.deepEqual(lost, [], "no acknowledged message lost");
  assert.deepEqual(twice, [], "no message handled twice");
  assert.equal(acked.length + refused.length, N, "every send was acknowledged or refused, never silently dropped");
  await worker.waitForLog((log) => log.includes("nats.reconnected"), 5000).catch(() => assert.fail("the host moved to another node"));

  // The node rejoins and catches up: all three replicas current again.
  const deadline = Date.now() + 120_000;
  let current = 0;
  while (Date.now() < deadline) {
    const info = await jsm.streams.info("AGENTS");
    current = 1 + (info.cluster?.replicas ?? []).filter((r) => r.current && !r.offline).length;
    if (current === 3) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.equal(current, 3, "the restarted node is a current replica again");
  assert.equal((await client.requestFromAgent("Solid", "after")).content, "Solid did after");
});

test("cluster: a foreign sender's message whose notice cannot be stored (the stream has no leader) is handled once; the notice arrives when the stream is back", { timeout: 300_000 }, async () => {
  const keep = 0;
  const runs = join(dir, "patient.runs");
  patient = await startHostProcess(["test/fixtures/worker.ts"], {
    NATS_URL: cluster.urls[keep]!,
    NATTER_REPLICAS: "3",
    WORKER_NAME: "Patient",
    WORKER_RUNS_FILE: runs,
    NATTER_ACK_WAIT_MS: String(ACK_WAIT_MS),
  });
  // A plain nats.js sender, as a program in another language would be.
  const nc = await connect({ servers: cluster.urls });
  const js = jetstream(nc);
  const id = `foreign-${Date.now()}`;
  const envelope = { id, type: "direct", from: "foreign", to: "Patient", content: "sleep:3000", timestamp: new Date().toISOString() };
  await js.publish("agents.direct.Patient", JSON.stringify(envelope), { msgID: id });
  const until = async (what: string, check: () => boolean, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await until("the handler to start", () => (readRuns(runs).get(id)?.starts ?? 0) > 0);
  // Two of three nodes down: no quorum, so the stream and the consumer have no leader until they return.
  const others = cluster.nodes.filter((_, i) => i !== keep);
  await Promise.all(others.map((n) => n.stop({ hard: true })));
  await until("the handler to finish", () => (readRuns(runs).get(id)?.ends ?? 0) > 0);
  await patient.waitForLog((log) => log.includes("mailbox.follow_up_retry"), 60_000);
  await Promise.all(others.map((n) => n.start()));

  const notices = async () => {
    const consumer = await js.consumers.get("AGENTS", { filter_subjects: "agents.direct.foreign" });
    const found: { inReplyTo?: string; metadata?: unknown }[] = [];
    const batch = await consumer.fetch({ max_messages: 100, expires: 2000 });
    for await (const m of batch) found.push(m.json());
    return found.filter((n) => n.inReplyTo === id);
  };
  const deadline = Date.now() + 120_000;
  let got = await notices().catch(() => []);
  while (got.length === 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    got = await notices().catch(() => []);
  }
  assert.equal(got.length, 1, "the notice arrives, once, when the stream is back");
  await settled("Patient");
  assert.deepEqual(readRuns(runs).get(id), { starts: 1, ends: 1 }, "handled once");
  assert.equal((await notices()).length, 1, "still one notice");
  await nc.close();
});
