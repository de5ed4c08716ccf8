// Flood benchmark (issue 18): the per-message cost of signing and verifying, with @nats-io/nkeys (before) and
// node:crypto (now); then, on the secure deployment (natter auth users, NATTER_VERIFY=enforce, 10/s per sender),
// a steady caller's latency alone and while another agent floods the same agent at 10x its rate.
//   tsx scripts/bench-flood.ts [floodPerSecond=100] [floodSeconds=4]
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { createUser, fromPublic, fromSeed } from "@nats-io/nkeys";
import { startServer } from "../test/helpers/nats-server.ts";
import { connectRogue } from "../test/helpers/rogue.ts";
import { connectClient } from "../src/agent/client.ts";
import { defineAgent } from "../src/agent/define.ts";
import { startHost } from "../src/agent/host.ts";
import { loadConfig } from "../src/config/config.ts";
import { createEnvelope, encodeEnvelope } from "../src/protocol/envelope.ts";
import { ERROR_CODES, HEADERS } from "../src/protocol/headers.ts";
import { requestSubject } from "../src/protocol/subjects.ts";
import { ed25519Signer, ed25519Verify } from "../src/security/ed25519.ts";
import { generateAuth } from "../src/security/generate.ts";
import { openBus } from "../src/transport/bus.ts";

const perSecond = Number(process.argv[2] ?? 100);
const seconds = Number(process.argv[3] ?? 4);
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

function perOp(label: string, n: number, op: () => unknown): void {
  for (let i = 0; i < Math.min(n, 10); i++) op();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < n; i++) op();
  const cpu = process.cpuUsage(cpu0);
  // CPU time as well as wall time: on a shared machine the wall clock also counts waiting for a core.
  console.log(`  ${label}: ${((cpu.user + cpu.system) / 1000 / n).toFixed(3)} ms CPU, ${((performance.now() - t0) / n).toFixed(3)} ms wall per message`);
}

console.log("crypto, one ~600-byte envelope:");
const key = fromSeed(createUser().getSeed());
const pub = key.getPublicKey();
const data = encodeEnvelope(createEnvelope({ type: "request", from: "Bench", to: "Target", content: "x".repeat(400) }));
const sig = key.sign(data);
const signNow = ed25519Signer(key);
perOp("before: nkeys sign", 50, () => key.sign(data));
perOp("before: nkeys verify", 50, () => fromPublic(pub).verify(data, sig));
perOp("now: node:crypto sign", 2000, () => signNow(data));
perOp("now: node:crypto verify", 2000, () => ed25519Verify(pub, data, sig));

const dir = mkdtempSync(join(tmpdir(), "natter-bench-flood-"));
const auth = generateAuth({ agents: ["Target", "Steady", "Rogue"], dir });
const srv = await startServer({ extraConfig: readFileSync(auth.confFile, "utf8") });
try {
  await (await openBus(loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent", NATS_NKEY: auth.seedFiles.admin! }))).close();
  const config = loadConfig({
    NATS_URL: srv.url,
    NATTER_LOG_LEVEL: "silent",
    NATTER_CREDENTIALS_DIR: dir,
    NATTER_VERIFY: "enforce",
    NATTER_TRUSTED_KEYS: auth.trustedKeysFile,
    NATTER_RATE_LIMIT: "10",
    NATTER_RATE_BURST: "10",
  });
  const host = await startHost({ agents: [defineAgent({ name: "Target", concurrency: 4, onRequest: async () => (await sleep(20), "ok") })], config });
  const steady = await connectClient({ name: "Steady", config });
  const { nc: rogue, signer: rogueSigner } = await connectRogue(srv.url, auth, "Rogue");

  const ask = async (ms: number) => {
    const calls: Promise<number | undefined>[] = [];
    for (const end = Date.now() + ms; Date.now() < end; await sleep(250)) {
      const t0 = performance.now();
      calls.push(steady.requestFromAgent("Target", "q", { timeoutMs: 8000 }).then(() => performance.now() - t0, () => undefined));
    }
    const done = await Promise.all(calls);
    return { asked: done.length, latencies: done.filter((x): x is number => x !== undefined) };
  };
  const flood = async () => {
    const codes: Promise<string>[] = [];
    for (const end = Date.now() + seconds * 1000; Date.now() < end; await sleep(50)) {
      for (let i = 0; i < perSecond / 20; i++) {
        const body = encodeEnvelope(createEnvelope({ type: "request", from: "Rogue", to: "Target", content: "flood" }));
        codes.push(rogue.request(requestSubject("Target"), body, { timeout: 10_000, headers: rogueSigner.sign(body) }).then((m) => m.headers?.get(HEADERS.errorCode) ?? "", () => "failed"));
      }
    }
    return Promise.all(codes);
  };

  await ask(1000);
  const alone = await ask(seconds * 1000);
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const [crowded, codes] = await Promise.all([ask(seconds * 1000), flood()]);
  const cpu = process.cpuUsage(cpu0);
  const cpuPct = ((cpu.user + cpu.system) / 1000 / (performance.now() - t0)) * 100;
  const show = (label: string, r: { asked: number; latencies: number[] }) =>
    console.log(`  ${label}: ${r.latencies.length}/${r.asked} answered, p50 ${pct(r.latencies, 0.5).toFixed(1)} ms, p95 ${pct(r.latencies, 0.95).toFixed(1)} ms`);
  console.log(`\nflood: ${perSecond}/s signed requests for ${seconds} s from Rogue (limit 10/s, burst 10); Steady asks 4/s; handler 20 ms, concurrency 4`);
  show("steady alone", alone);
  show("steady under flood", crowded);
  console.log(`  p50 ratio: x${(pct(crowded.latencies, 0.5) / pct(alone.latencies, 0.5)).toFixed(2)}`);
  console.log(`  flooder: ${codes.length} sent, ${codes.filter((c) => c === "").length} served, ${codes.filter((c) => c === ERROR_CODES.rateLimited).length} rate_limited, ${codes.filter((c) => c === "failed").length} failed`);
  console.log(`  CPU of this process (host, steady caller and flooder together) during the flood: ${cpuPct.toFixed(0)} % of one core`);
  await rogue.close();
  await steady.close();
  await host.stop();
} finally {
  await srv.dispose();
  rmSync(dir, { recursive: true, force: true });
}
