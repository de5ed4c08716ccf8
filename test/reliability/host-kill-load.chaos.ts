// Chaos: the kill -9 mid-handler case again and again with every core kept busy. When the host that takes over starts
// later than a couple of ack waits after the kill (a loaded machine), nats-server 2.9.10 sends it the message twice at
// once (delivery counts 3 and 1: the dead host's pull request was still open); the handler must still complete exactly
// once. Before the mailbox recognised copies by stream sequence, 11 of 12 rounds here ran it twice.
// Run with `npm run test:chaos` (5 rounds, about a minute on 2 cores); CHAOS_LOAD_KILLS=20 for the full proof.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startHostProcess, startProcessLab, type HostProcess, type ProcessLab } from "../helpers/hosts.ts";
import { spinCores } from "../helpers/cpu-load.ts";

const ROUNDS = Number(process.env.CHAOS_LOAD_KILLS ?? 5);

let lab: ProcessLab;
let load: { stop(): Promise<void> } | undefined;

before(async () => {
  lab = await startProcessLab();
});

after(async () => {
  await load?.stop();
  await lab?.dispose();
});

function host(name: string, hangs: boolean): Promise<HostProcess> {
  // A short ack wait, as in test/agent/durability.test.ts: it is what a loaded machine can outlast.
  return startHostProcess(["test/fixtures/worker.ts"], { NATS_URL: lab.srv.url, WORKER_NAME: name, NATTER_ACK_WAIT_MS: "2000", ...(hangs ? { WORKER_HANGS: "1" } : {}) }).then(
    (h) => (lab.hosts.push(h), h),
  );
}

test(`chaos: kill -9 of a host mid-handler, ${ROUNDS} times with every core busy; each message completes exactly once`, { timeout: 900_000 }, async () => {
  load = spinCores();
  const started = Date.now();
  const ids: string[] = [];
  // One agent per round, so the next round's hanging host can start while this round runs.
  let next = host("Loaded0", true);
  for (let round = 0; round < ROUNDS; round++) {
    const name = `Loaded${round}`;
    const first = await next;
    const sent = await lab.client.sendDirectMessage(name, "hang:60000");
    ids.push(sent.envelope.id);
    await lab.events.until((all) => all.some((e) => e.id === sent.envelope.id && e.event === "start" && e.pid === first.proc.pid), 30_000, `round ${round}: the handler to start`);
    await first.kill("SIGKILL");
    if (round + 1 < ROUNDS) next = host(`Loaded${round + 1}`, true);
    const second = await host(name, false);
    await lab.events.until((all) => all.some((e) => e.id === sent.envelope.id && e.event === "done"), 60_000, `round ${round}: completion on the second host`);
    // Settled at the server (nothing pending, nothing waiting for an ack): no further copy can come.
    for (let i = 0; ; i++) {
      const info = await lab.client.bus.jsm.consumers.info("AGENTS", name);
      if (info.num_ack_pending === 0 && info.num_pending === 0) break;
      assert.ok(i < 600, `round ${round}: the message is acknowledged within a minute`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await second.kill("SIGKILL");
  }
  await load.stop();
  load = undefined;
  const done = lab.events.all.filter((e) => e.event === "done" && ids.includes(e.id));
  // Two starts a round are expected: the killed host's and the one that completed.
  const copies = lab.events.all.filter((e) => e.event === "start" && ids.includes(e.id)).length - 2 * ROUNDS;
  console.log(`# chaos under load: rounds ${ROUNDS}, completed ${new Set(done.map((e) => e.id)).size}, completed twice ${done.length - new Set(done.map((e) => e.id)).size}, extra starts ${copies}, ${Math.round((Date.now() - started) / 1000)} s`);
  assert.equal(copies, 0, "no handler started a third time");
  assert.equal(done.length, ROUNDS, "every message completed exactly once");
  assert.equal(new Set(done.map((e) => e.id)).size, ROUNDS);
});
