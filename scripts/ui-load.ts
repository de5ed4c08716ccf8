#!/usr/bin/env -S npx tsx
// Checks that the console stays responsive under load: AGENTS simulated registry entries (heartbeating every
// HEARTBEAT_MS) and RATE messages per second (requests with nobody serving them, so only the console does work),
// watched by headless Chromium for SECONDS. Prints the page's main-thread lag and long-task share.
// Usage: AGENTS=1000 RATE=1000 SECONDS=20 tsx scripts/ui-load.ts
import { chromium } from "playwright-core";
import { createEnvelope, encodeEnvelope, registryKey, requestSubject } from "../src/protocol/index.ts";
import { loadConfig } from "../src/index.ts";
import { openBus } from "../src/transport/index.ts";
import { startConsole } from "../src/ui/server.ts";
import { startServer } from "../test/helpers/nats-server.ts";

const AGENTS = Number(process.env.AGENTS ?? 1000);
const RATE = Number(process.env.RATE ?? 1000);
const SECONDS = Number(process.env.SECONDS ?? 20);
const HEARTBEAT_MS = 5000;

const srv = await startServer();
const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "warn", NATTER_HEARTBEAT_MS: String(HEARTBEAT_MS) });
const ui = await startConsole({ config, port: 0 });
const bus = await openBus(config, { name: "ui-load" });
const names = Array.from({ length: AGENTS }, (_, i) => `agent-${String(i).padStart(4, "0")}`);
const record = (name: string, status: string) =>
  JSON.stringify({ name, instanceId: "load", capabilities: ["load"], status, lastHeartbeat: new Date().toISOString(), handled: 0, load: 0 });
await Promise.all(names.map((n) => bus.registry.put(registryKey(n, "load"), record(n, "available"))));
let beat = 0;
const heartbeats = setInterval(() => {
  // Spread the beats over the interval, like real hosts do.
  const slice = names.filter((_, i) => i % 10 === beat % 10);
  beat++;
  for (const n of slice) void bus.registry.put(registryKey(n, "load"), record(n, Math.random() < 0.2 ? "busy" : "available"));
}, HEARTBEAT_MS / 10);

const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
await page.goto(ui.url);
await page.locator("#connection.live").waitFor();
// Page-side probes, as source text: this script is type-checked without DOM types.
await page.evaluate(`
  window.probe = { longTaskMs: 0, maxLagMs: 0, lags: [] };
  new PerformanceObserver((list) => list.getEntries().forEach((e) => (window.probe.longTaskMs += e.duration))).observe({ type: "longtask" });
  let last = performance.now();
  setInterval(() => {
    const now = performance.now();
    const lag = now - last - 100;
    last = now;
    window.probe.lags.push(lag);
    window.probe.maxLagMs = Math.max(window.probe.maxLagMs, lag);
  }, 100);
`);

const started = Date.now();
let sent = 0;
const traffic = setInterval(() => {
  const due = Math.floor(((Date.now() - started) / 1000) * RATE) - sent;
  for (let i = 0; i < due; i++, sent++) {
    const from = names[sent % AGENTS]!;
    const to = names[(sent * 7 + 3) % AGENTS]!;
    bus.nc.publish(requestSubject(to), encodeEnvelope(createEnvelope({ type: "request", from, to, content: `load message ${sent}` })));
  }
}, 20);
const cpuBefore = process.cpuUsage();
const cdp = process.env.PROFILE ? await page.context().newCDPSession(page) : undefined;
if (cdp) (await cdp.send("Profiler.enable"), await cdp.send("Profiler.start"));
await new Promise((r) => setTimeout(r, SECONDS * 1000));
if (cdp) {
  const { profile } = await cdp.send("Profiler.stop");
  const self = new Map<string, number>();
  const dt = new Map<number, number>();
  profile.samples?.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas?.[i] ?? 0)));
  for (const n of profile.nodes) {
    const key = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}`;
    self.set(key, (self.get(key) ?? 0) + (dt.get(n.id) ?? 0) / 1000);
  }
  const top = [...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 15);
  process.stderr.write(top.map(([k, ms]) => `${ms.toFixed(0).padStart(7)} ms ${k}`).join("\n") + "\n");
}
clearInterval(traffic);
const cpu = process.cpuUsage(cpuBefore);
const probe = (await page.evaluate(`(() => {
  const p = window.probe;
  const sorted = [...p.lags].sort((a, b) => a - b);
  return { longTaskMs: p.longTaskMs, maxLagMs: p.maxLagMs, p95LagMs: sorted[Math.floor(sorted.length * 0.95)] ?? 0, rows: document.querySelectorAll("#feed-body tr").length, agents: document.querySelectorAll("#agents-body tr").length };
})()`)) as { longTaskMs: number; maxLagMs: number; p95LagMs: number; rows: number; agents: number };
let filterMs = 0;
if (RATE > 0) {
  const clickStart = Date.now();
  await page.locator("#filter-agent").fill(names[1]!);
  await page.locator("#filters button[type=submit]").click();
  await page.locator("#feed-body tr").first().waitFor();
  filterMs = Date.now() - clickStart;
}
process.stdout.write(
  JSON.stringify({
    agents: AGENTS,
    ratePerSecond: RATE,
    seconds: SECONDS,
    sent,
    pageAgentsRows: probe.agents,
    pageFeedRows: probe.rows,
    pageLongTaskShare: +(probe.longTaskMs / (SECONDS * 1000)).toFixed(3),
    pageMaxTimerLagMs: Math.round(probe.maxLagMs),
    pageP95TimerLagMs: Math.round(probe.p95LagMs),
    filterToFirstRowMs: filterMs,
    processCpuShare: +((cpu.user + cpu.system) / 1000 / (SECONDS * 1000)).toFixed(2),
  }) + "\n",
);
clearInterval(heartbeats);
await browser.close();
await bus.close();
await ui.close();
await srv.dispose();
