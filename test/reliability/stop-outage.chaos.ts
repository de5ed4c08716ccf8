// Chaos: stop a host and a console while nats-server is dead (kill -9): bounded, non-zero, nothing lost.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { startHostProcess, startProcessLab, type HostProcess, type ProcessLab } from "../helpers/hosts.ts";
import { firstLine, spawnNatter } from "../cli/run-natter.ts";
import { completionNotices } from "../helpers/traffic.ts";

const SHUTDOWN_MS = 3000;
const N = 16;

let lab: ProcessLab;

before(async () => {
  lab = await startProcessLab("outage");
});

after(async () => lab?.dispose());

function host(): Promise<HostProcess> {
  return startHostProcess(["test/fixtures/worker.ts"], {
    NATS_URL: lab.srv.url,
    WORKER_NAME: "Outage",
    WORKER_CONCURRENCY: "4",
    NATTER_SHUTDOWN_MS: String(SHUTDOWN_MS),
    NATTER_ACK_WAIT_MS: "3000",
    NATTER_MAX_DELIVER: "100",
  }).then((h) => (lab.hosts.push(h), h));
}

/** Milliseconds from now until `exited` resolves, and the exit code. */
async function timeToExit(exited: Promise<number | null>): Promise<{ ms: number; code: number | null }> {
  const t0 = Date.now();
  const code = await exited;
  return { ms: Date.now() - t0, code };
}

async function startUi(): Promise<{ child: ChildProcess; exited: Promise<number | null>; stderr: () => string }> {
  const child = spawnNatter(lab.srv.url, ["ui", "--port", "0"], { NATTER_SHUTDOWN_MS: String(SHUTDOWN_MS), NATTER_LOG_LEVEL: "info" });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  child.stdin!.end();
  assert.match(await firstLine(child), /natter console: http/);
  return { child, exited, stderr: () => stderr };
}

test("stop during an outage: host and console exit within NATTER_SHUTDOWN_MS + 1 s, non-zero; a second signal exits at once; no message lost", { timeout: 240_000 }, async () => {
  const [first, second] = [await host(), await host()];
  const [ui1, ui2] = [await startUi(), await startUi()];
  const sent: string[] = [];
  for (let i = 0; i < N; i++) sent.push((await lab.client.sendDirectMessage("Outage", `sleep:${1500 + i * 100}`)).envelope.id);
  const pids = [first.proc.pid, second.proc.pid];
  await lab.events.until((all) => all.filter((e) => e.event === "start" && pids.includes(e.pid)).length >= 6, 30_000, "both hosts busy");

  await lab.srv.stop({ hard: true });

  const stopping = timeToExit(first.exited);
  first.proc.kill("SIGTERM");
  const interrupted = timeToExit(second.exited);
  second.proc.kill("SIGTERM");
  const uiStopping = timeToExit(ui1.exited);
  ui1.child.kill("SIGTERM");
  const uiInterrupted = timeToExit(ui2.exited);
  ui2.child.kill("SIGTERM");
  await new Promise((r) => setTimeout(r, 200));
  second.proc.kill("SIGTERM");
  ui2.child.kill("SIGINT");

  const [a, b, c, d] = await Promise.all([stopping, interrupted, uiStopping, uiInterrupted]);
  console.log(`# stop during outage: host ${a.ms} ms (code ${a.code}), host twice ${b.ms} ms (code ${b.code}), ui ${c.ms} ms (code ${c.code}), ui twice ${d.ms} ms (code ${d.code})`);
  assert.ok(a.ms < SHUTDOWN_MS + 1000, `host stopped in ${a.ms} ms`);
  assert.notEqual(a.code, 0);
  assert.match(first.log(), /host\.stopped.*(unreachable|deadline)/);
  assert.ok(c.ms < SHUTDOWN_MS + 1000, `console stopped in ${c.ms} ms`);
  assert.notEqual(c.code, 0);
  assert.match(ui1.stderr(), /ui\.stopped.*(unreachable|deadline)/);
  // Signalled twice, 200 ms apart: out well before the deadline the first signal started.
  for (const [run, log] of [[b, second.log()], [d, ui2.stderr()]] as const) {
    assert.equal(run.code, 130, log.slice(-800));
    assert.ok(run.ms < SHUTDOWN_MS / 2, `exited ${run.ms} ms after the first signal`);
    assert.match(log, /stopped.*interrupted/);
  }

  await lab.srv.start();
  await host();
  const done = await completionNotices(lab.client, "AGENTS", N, 120_000);
  const lost = sent.filter((id) => !done.has(id));
  console.log(`# stop during outage: ${N} in flight, completed ${done.size}, lost ${lost.length}`);
  assert.deepEqual(lost, []);
});
