// Chaos: a 3-node cluster at 3 replicas; the mailbox stream's leader dies under traffic and comes back.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectClient, loadConfig, type Client, type Config } from "../../src/index.ts";
import { startCluster, type TestCluster } from "../helpers/nats-server.ts";
import { startHostProcess, type HostProcess } from "../helpers/hosts.ts";
import { ackedAtLeast, completionNotices, sendTraffic } from "../helpers/traffic.ts";

const N = 600;

let cluster: TestCluster;
let config: Config;
let client: Client;
let worker: HostProcess;

before(async () => {
  // Connect (and provision) at once, before the cluster has a JetStream leader: setting up must wait for it, not fail.
  cluster = await startCluster(3, { waitForJetStream: false });
  config = loadConfig({ NATS_URL: cluster.urls.join(","), NATTER_REPLICAS: "3", NATTER_LOG_LEVEL: "silent", NATTER_REQUEST_TIMEOUT_MS: "20000" });
  client = await connectClient({ name: "traffic", config });
});

after(async () => {
  await client?.close();
  await worker?.kill("SIGKILL");
  await cluster?.dispose();
});

test("cluster: provisioned right after a cold start, the mailbox stream and the registry bucket have 3 replicas", async () => {
  const jsm = await jetstreamManager(client.bus.nc);
  for (const name of ["AGENTS", "KV_natter-registry"]) {
    const info = await jsm.streams.info(name);
    assert.equal(info.config.num_replicas, 3, name);
    assert.equal((info.cluster?.replicas?.length ?? 0) + 1, 3, `${name} has a leader and two replicas`);
  }
});

test(`cluster: the stream leader dies under traffic; no acknowledged message is lost, requests recover, the node rejoins`, { timeout: 600_000 }, async () => {
  const jsm = await jetstreamManager(client.bus.nc);
  const leader = (await jsm.streams.info("AGENTS")).cluster?.leader;
  const victim = cluster.nodes.findIndex((_, i) => `n${i}` === leader);
  assert.ok(victim >= 0, `found the stream leader (${leader})`);
  worker = await startHostProcess(["test/fixtures/worker.ts"], {
    NATS_URL: cluster.urls.join(","),
    NATTER_REPLICAS: "3",
    WORKER_NAME: "Solid",
    WORKER_CONCURRENCY: "8",
    NATTER_ACK_WAIT_MS: "5000",
    NATTER_MAX_DELIVER: "1000",
  });
  assert.equal((await client.requestFromAgent("Solid", "ping")).content, "Solid did ping");

  const traffic = sendTraffic(client, "Solid", N, 10);
  const { acked, refused } = traffic;
  await ackedAtLeast(traffic, 150, N);
  await cluster.nodes[victim]!.stop({ hard: true });

  // Requests fail while the cluster elects new leaders and clients move, then succeed again.
  const lostAt = Date.now();
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
  const newLeader = (await jsm.streams.info("AGENTS")).cluster?.leader;
  assert.notEqual(newLeader, leader, "another node leads the stream");

  await cluster.nodes[victim]!.start();
  const completed = await completionNotices(client, "AGENTS", acked.length, 300_000);
  const lost = acked.filter((id) => !completed.has(id));
  console.log(`# cluster: leader ${leader} killed after ${acked.length >= 150 ? "150+" : acked.length} acks; acknowledged ${acked.length}, refused ${refused.length}${refused.length ? ` (${refused[0]})` : ""}; ` +
    `failed requests ${failedRequests}, first answer after ${recoveredMs} ms; messages checked ${acked.length}, lost ${lost.length}`);
  assert.deepEqual(lost, [], "no acknowledged message lost");
  assert.equal(acked.length + refused.length, N, "every send was acknowledged or refused, never silently dropped");

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
