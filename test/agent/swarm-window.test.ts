import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { defineAgent, loadConfig, startHost, type Host } from "../../src/index.ts";
import { startHostProcess, startProcessLab, type ProcessLab } from "../helpers/hosts.ts";
import { eventually, gate } from "../helpers/in-process.ts";

// Short beats (a 1.5 s TTL) so a killed instance ages out of the registry view within the test.
const BEAT = { NATTER_HEARTBEAT_MS: "500" };

let lab: ProcessLab;
let host: Host;
const handled: string[] = [];
const held = gate();

before(async () => {
  lab = await startProcessLab();
  const config = loadConfig({ NATS_URL: lab.srv.url, NATTER_LOG_LEVEL: "warn", ...BEAT });
  const pair = defineAgent({
    name: "Pair",
    concurrency: 2,
    async onMessage(msg) {
      await held.promise;
      await new Promise((r) => setTimeout(r, 10));
      handled.push(msg.id);
    },
  });
  host = await startHost({ agents: [pair], config });
});
after(async () => {
  held.open();
  await host?.stop();
  await lab?.dispose();
});

const send = (n: number) => Promise.all(Array.from({ length: n }, () => lab.client.sendDirectMessage("Pair", "sleep:10", {}, { notify: false })));

test("swarm window: a lone instance reads ahead; a second one in another process shrinks it to its concurrency, and both get work", { timeout: 120_000 }, async () => {
  const first = host.agents[0]!;
  const early = new Set((await send(60)).map((s) => s.envelope.id));
  // Alone, it holds far more than the two it runs: priorities reorder within the window.
  await eventually("the lone instance to hold all 60", () => first.held === 60, 20_000);
  assert.ok(first.window > 60, `window ${first.window}`);

  const second = await startHostProcess(["test/fixtures/worker.ts"], { NATS_URL: lab.srv.url, WORKER_NAME: "Pair", ...BEAT });
  lab.hosts.push(second);
  await eventually("the first instance to see the second and shrink its window", () => first.window === 2, 20_000);
  // What it held but could not run goes back to the stream for the newcomer (a pull already open may bring a few back).
  await eventually("the first to hand back what it cannot run", () => first.held < 60, 20_000);
  await eventually("the second to take over some of the backlog", () => lab.events.all.some((e) => e.event === "done" && early.has(e.id)), 30_000);

  held.open();
  const more = await send(100);
  const ids = new Set(more.map((s) => s.envelope.id));
  const doneBySecond = () => lab.events.all.filter((e) => e.event === "done" && (ids.has(e.id) || early.has(e.id))).map((e) => e.id);
  await eventually("all 160 handled", () => handled.length + doneBySecond().length >= 160, 60_000);
  const all = [...handled, ...doneBySecond()];
  assert.equal(all.length, 160, "160 handlings in all");
  assert.equal(new Set(all).size, 160, "each of the 160 messages handled once, by one instance or the other");
  const bySecond = doneBySecond().filter((id) => ids.has(id)).length;
  assert.ok(bySecond > 0, `the second instance got work from the second batch (${bySecond})`);

  // A graceful stop writes offline: the first reads ahead again without waiting for the TTL.
  assert.equal(await second.kill("SIGTERM"), 0);
  await eventually("the window to grow back after a graceful stop", () => first.window > 60, 20_000);
});

test("swarm window: an instance killed without goodbye ages out, and the survivor reads ahead again", { timeout: 120_000 }, async () => {
  const first = host.agents[0]!;
  const doomed = await startHostProcess(["test/fixtures/worker.ts"], { NATS_URL: lab.srv.url, WORKER_NAME: "Pair", ...BEAT });
  lab.hosts.push(doomed);
  await eventually("the first to see the newcomer", () => first.window === 2, 20_000);
  await doomed.kill("SIGKILL");
  // KV expiry sends no watch event; the view ages the entry out by its heartbeat (TTL 1.5 s).
  await eventually("the window to grow back after the kill", () => first.window > 60, 20_000);
});
