// Chaos: kill -9 an agent host mid-handler, 50 times, while traffic flows. Run with `npm run test:chaos`.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startHostProcess, startProcessLab, type HostProcess, type ProcessLab } from "../helpers/hosts.ts";

const KILLS = Number(process.env.CHAOS_KILLS ?? 50);
const PER_ROUND = 10;

let lab: ProcessLab;

before(async () => {
  lab = await startProcessLab("traffic");
});

after(async () => lab?.dispose());

function host(): Promise<HostProcess> {
  // A short ack wait brings a killed host's messages back quickly; a high delivery limit keeps a message that
  // sat in several killed hosts' windows from being dead-lettered, since this test is about crashes, not poison.
  return startHostProcess(["test/fixtures/worker.ts"], {
    NATS_URL: lab.srv.url,
    WORKER_NAME: "Crashy",
    WORKER_CONCURRENCY: "4",
    NATTER_ACK_WAIT_MS: "2000",
    NATTER_MAX_DELIVER: "1000",
  }).then((h) => (lab.hosts.push(h), h));
}

test(`chaos: kill -9 an agent host mid-handler ${KILLS} times under traffic; every message completes, none lost`, { timeout: 900_000 }, async () => {
  const sent: string[] = [];
  let current = await host();
  let killed = 0;
  for (let round = 0; round < KILLS; round++) {
    const next = host();
    for (let i = 0; i < PER_ROUND; i++) sent.push((await lab.client.sendDirectMessage("Crashy", `sleep:${100 + ((round * 37 + i * 53) % 400)}`, {}, { notify: false })).envelope.id);
    const pid = current.proc.pid;
    // Kill only while this host is inside a handler: it has started a message it has not finished.
    await lab.events.until(
      (all) => {
        const mine = all.filter((e) => e.pid === pid);
        const done = new Set(mine.filter((e) => e.event === "done").map((e) => `${e.id}/${e.deliveryCount}`));
        return mine.some((e) => e.event === "start" && !done.has(`${e.id}/${e.deliveryCount}`));
      },
      60_000,
      `host ${pid} to be mid-handler in round ${round}`,
    );
    current.proc.kill("SIGKILL");
    assert.equal(await current.exited, null, "killed by the signal");
    killed++;
    current = await next;
  }
  const all = await lab.events.until((a) => {
    const done = new Set(a.filter((e) => e.event === "done").map((e) => e.id));
    return sent.every((id) => done.has(id));
  }, 300_000, "every message to complete");
  const done = all.filter((e) => e.event === "done");
  const distinct = new Set(done.map((e) => e.id));
  const lost = sent.filter((id) => !distinct.has(id));
  const duplicates = done.length - distinct.size;
  const hostsSeen = new Set(done.map((e) => e.pid)).size;
  console.log(`# chaos: kills survived ${killed}, messages checked ${sent.length}, lost ${lost.length}, handled again after a crash ${duplicates}, hosts ${hostsSeen}`);
  assert.equal(killed, KILLS);
  assert.deepEqual(lost, [], "no message lost");
  assert.equal(distinct.size, sent.length);
  assert.ok(done.every((e) => sent.includes(e.id)), "nothing unexpected handled");
  assert.ok(all.some((e) => e.event === "start" && e.deliveryCount > 1), "some messages were redelivered after a kill (the test did kill mid-handler)");
});
