import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startHostProcess, startProcessLab, type HostProcess, type ProcessLab } from "../helpers/hosts.ts";

let lab: ProcessLab;

before(async () => {
  lab = await startProcessLab();
});

after(async () => lab?.dispose());

async function host(): Promise<HostProcess> {
  const h = await startHostProcess(["test/fixtures/worker.ts"], {
    NATS_URL: lab.srv.url,
    WORKER_NAME: "Closer",
    WORKER_CONCURRENCY: "2",
    NATTER_SHUTDOWN_TIMEOUT_MS: "3000",
    NATTER_ACK_WAIT_MS: "5000",
  });
  lab.hosts.push(h);
  return h;
}

test("shutdown: SIGTERM finishes what it can within the deadline, hands back the rest, exits 0; nothing lost, nothing unfinished acknowledged", async () => {
  const first = await host();
  const pid = first.proc.pid;
  const stuck = await lab.client.sendDirectMessage("Closer", "hang-once:300000", {}, { notify: false });
  const finishing = await lab.client.sendDirectMessage("Closer", "sleep:1500", {}, { notify: false });
  await lab.events.until((all) => [stuck, finishing].every((s) => all.some((e) => e.id === s.envelope.id && e.event === "start")), 20_000, "both slots busy");
  const waiting = [];
  for (let i = 0; i < 4; i++) waiting.push(await lab.client.sendDirectMessage("Closer", `sleep:10 #${i}`, {}, { notify: false }));

  first.proc.kill("SIGTERM");
  const code = await Promise.race([first.exited, new Promise<string>((r) => setTimeout(() => r("still running"), 60_000))]);
  assert.equal(code, 0, `the host exits 0 even though a handler ignores the deadline; log: ${first.log().slice(-1500)}`);
  assert.match(first.log(), /mailbox.handed_back|handed back/, "the unfinished message was handed back");

  const mine = lab.events.all.filter((e) => e.pid === pid);
  assert.ok(mine.some((e) => e.id === finishing.envelope.id && e.event === "done"), "the handler that could finish within the deadline finished");
  assert.ok(!mine.some((e) => e.id === stuck.envelope.id && e.event === "done"), "the stuck one did not finish");
  // The ones it held are handed back (nak) at once; one the server was still pushing to the stopping host's open
  // pull comes back after the ack wait (5 s here), so every message reaches the next host.
  const second = await host();
  const rest = [stuck, ...waiting].map((s) => s.envelope.id);
  await lab.events.until((all) => rest.every((id) => all.some((e) => e.id === id && e.event === "done" && e.pid === second.proc.pid)), 90_000, "the handed-back messages");
  await new Promise((r) => setTimeout(r, 1000));
  assert.equal(lab.events.all.filter((e) => e.id === finishing.envelope.id && e.event === "start").length, 1, "the finished message was acknowledged and not run again");
  assert.equal(lab.events.all.filter((e) => e.id === stuck.envelope.id && e.event === "done").length, 1);
});
