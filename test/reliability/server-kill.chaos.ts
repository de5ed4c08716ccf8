// Chaos: kill -9 the nats-server and restart it on the same store while 1,000 direct messages are in flight.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connectClient, loadConfig, type Client } from "../../src/index.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import { startHostProcess, type HostProcess } from "../helpers/hosts.ts";
import { ackedAtLeast, completionNotices, sendTraffic } from "../helpers/traffic.ts";

const N = 1000;

let srv: TestServer;
let client: Client;
let worker: HostProcess;

before(async () => {
  srv = await startServer();
  client = await connectClient({ name: "traffic", config: loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent", NATTER_REQUEST_TIMEOUT_MS: "20000" }) });
  worker = await startHostProcess(["test/fixtures/worker.ts"], { NATS_URL: srv.url, WORKER_NAME: "Steady", WORKER_CONCURRENCY: "8", NATTER_ACK_WAIT_MS: "5000", NATTER_MAX_DELIVER: "1000" });
});

after(async () => {
  await client?.close();
  await worker?.kill("SIGKILL");
  await srv?.dispose();
});

test(`chaos: kill -9 the nats-server mid-traffic and restart it on its store; all ${N} acknowledged direct messages are delivered`, { timeout: 600_000 }, async () => {
  // Twenty senders, each awaiting its acknowledgement before the next send: traffic that spans the crash.
  const traffic = sendTraffic(client, "Steady", N, 20);
  const { acked, refused } = traffic;
  let killedAt = -1;
  // Some sends are acknowledged (and being handled), the rest still in flight: the server dies without warning.
  await ackedAtLeast(traffic, 300, N);
  killedAt = acked.length;
  await srv.stop({ hard: true });
  await new Promise((r) => setTimeout(r, 500));
  await srv.start();
  await traffic.done;
  console.log(`# chaos: server killed after ${killedAt} acks; acknowledged ${acked.length}, refused ${refused.length}${refused.length ? ` (${refused[0]})` : ""}`);
  assert.ok(killedAt < N, "the server was killed while sends were in flight");
  const completed = await completionNotices(client, "AGENTS", acked.length, 300_000);
  const lost = acked.filter((id) => !completed.has(id));
  console.log(`# chaos: messages checked ${acked.length}, completed ${completed.size}, lost ${lost.length}`);
  assert.deepEqual(lost, []);
  assert.equal(acked.length, N, `every send was acknowledged after the restart (the client retries); refused: ${refused.slice(0, 3).join("; ")}`);
});
