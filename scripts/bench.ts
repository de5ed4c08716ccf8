#!/usr/bin/env -S npx tsx
// npm run bench -- [--quick] [--json] [--agents N]: natter against raw NATS and A2A; see docs/performance.md.
import { BENCH_USAGE, parseBenchArgs } from "./bench/options.ts";
import { formatTable } from "./bench/report.ts";
import { runBench } from "./bench/run.ts";

let options;
try {
  options = parseBenchArgs(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`bench: ${(err as Error).message}\n${BENCH_USAGE}\n`);
  process.exit(2);
}
if (options === "help") {
  process.stdout.write(BENCH_USAGE + "\n");
  process.exit(0);
}
const result = await runBench(options, (line) => process.stderr.write(`bench: ${line}\n`));
if (options.json) process.stdout.write(JSON.stringify(result, null, 2) + "\n");
else {
  const m = result.machine;
  process.stdout.write(`${formatTable(result.rows)}\n\n${m.cpus} × ${m.cpuModel}, ${m.memoryGB} GB, node ${m.node}, nats-server ${m.natsServer}, ${m.platform}; ${result.mode} run in ${result.seconds} s\n`);
}
// Peers and the server are stopped; exit now rather than wait on client timers.
process.exit(0);
