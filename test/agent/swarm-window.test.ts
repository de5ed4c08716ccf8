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
  await send(60);
  // Alone, it holds far more than the two it runs: priorities reorder within the window.
  await eventually("the lone instance to hold all 60", () => first.held === 60, 20_000);
  assert.ok(first.window > 60, `window ${first.window}`);

  const second = await startHostProcess(["test/fixtures/worker.ts"], { NATS_URL: lab.srv.url, WORKER_NAME: "Pair", ...BEAT });
  lab.hosts.push(second);
  await eventually("the first instance to see the second and shrink its window", () => first.window === 2, 20_000);

  held.open();
  const more = await send(100);
  const ids = new Set(more.map((s) => s.envelope.id));
  await eventually("all 160 handled", () => handled.length + lab.events.all.filter((e) => e.event === "done" && ids.has(e.id)).length >= 160, 60_000);
  const bySecond = lab.events.all.filter((e) => e.event === "done" && ids.has(e.id)).length;
  const byFirst = handled.filter((id) => ids.has(id)).length;
  assert.equal(bySecond + byFirst, 100, "each message of the second batch handled once");
  assert.ok(bySecond > 0, `the second instance got work (${bySecond})`);
  assert.ok(handled.length >= 60, `the first finished what it held (${handled.length})`);

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
