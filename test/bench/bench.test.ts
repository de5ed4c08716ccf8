import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { parseBenchArgs } from "../../scripts/bench/options.ts";
import { ConfigError } from "../../src/errors.ts";

const run = promisify(execFile);

// Eight cases, each starting its own peer processes: about a minute on a quiet machine, three and more on a loaded one.
test("bench: --quick --json produces every row, each with a natter figure and a baseline", { timeout: 360_000 }, async () => {
  const { stdout } = await run(process.execPath, ["--import", "tsx", "scripts/bench.ts", "--quick", "--json", "--agents", "50"], {
    cwd: new URL("../../", import.meta.url),
    maxBuffer: 10 * 1024 * 1024,
  });
  const result = JSON.parse(stdout) as { mode: string; machine: { cpus: number; natsServer: string }; rows: { name: string; natter: number; baseline?: number; ratio?: number }[] };
  assert.equal(result.mode, "quick");
  assert.ok(result.machine.cpus >= 1 && result.machine.natsServer.length > 0);
  const expected = [
    "1 request round trip p50",
    "1 request round trip p99",
    "1 request sequential rate",
    "1 host alone, plain caller p50",
    "1 host alone, plain caller p99",
    "1 host CPU per request",
    "1 host CPU per request, natter's extra",
    "2 direct msgs throughput, notify:false",
    "2 direct msgs throughput, with notice",
    "2 direct send→handler p50",
    "2 direct send→handler p99",
    "3 broadcast to 10 p50",
    "3 broadcast to 10 p99",
    "3 broadcast to 100 p50",
    "3 broadcast to 100 p99",
    "4 scale 50: all registered",
    "4 scale 50: RSS",
    "4 scale 50: heap used",
    "4 scale 50: RSS per agent",
    "4 scale 50: heap per agent",
    "4 scale 50: request random agent p50",
    "4 scale 50: request random agent p99",
    "5 handoff call→handler p50",
    "5 handoff call→notice back p50",
    "5 handoff call→notice back p99",
    "6 vs A2A message p50",
    "6 vs A2A message p99",
    "6 vs A2A message rate",
    "6 vs A2A task p50",
    "6 vs A2A task rate",
    "6 vs A2A stream to final p50",
    "6 A2A via natter a2a message p50",
    "6 A2A via natter a2a message p99",
    "6 A2A via natter a2a stream to final p50",
    "7 sealed request p50",
    "7 sealed request p99",
    "7 sealed direct msgs throughput",
    "8 request p50, tracing on (SDK, no context manager)",
    "8 request p99, tracing on (SDK, no context manager)",
    "8 direct msgs throughput, tracing on (SDK, no context manager)",
    "8 host CPU per request, tracing on (SDK, no context manager)",
    "8 sender CPU per request, tracing on (SDK, no context manager)",
    "8 host CPU per direct msg, tracing on (SDK, no context manager)",
    "8 request p50, tracing on + ALS context manager",
    "8 direct msgs throughput, tracing on + ALS context manager",
    "8 host CPU per request, tracing on + ALS context manager",
    "8 host CPU per direct msg, tracing on + ALS context manager",
    "8 request p50, ALS context manager alone, tracing off",
    "8 direct msgs throughput, ALS context manager alone, tracing off",
    "8 host CPU per request, ALS context manager alone, tracing off",
    "8 host CPU per direct msg, ALS context manager alone, tracing off",
  ];
  assert.deepEqual(
    result.rows.map((r) => r.name),
    expected,
  );
  for (const r of result.rows) {
    // natter's extra CPU over raw may come out as nothing in a noisy quick run; every other figure is a real measure.
    const least = r.name.endsWith("natter's extra") ? 0 : Number.MIN_VALUE;
    assert.ok(Number.isFinite(r.natter) && r.natter >= least, `${r.name}: natter figure ${r.natter}`);
    assert.ok(r.baseline !== undefined && Number.isFinite(r.baseline) && r.baseline > 0, `${r.name}: baseline ${r.baseline}`);
    assert.ok(r.ratio !== undefined && Number.isFinite(r.ratio), `${r.name}: ratio ${r.ratio}`);
  }
});

test("bench: flags are validated with the flag named", () => {
  assert.deepEqual(parseBenchArgs([]), { quick: false, json: false, agents: [100, 1000] });
  assert.deepEqual(parseBenchArgs(["--quick"]), { quick: true, json: false, agents: [100] });
  assert.deepEqual(parseBenchArgs(["--json", "--agents", "250"]), { quick: false, json: true, agents: [250] });
  assert.deepEqual(parseBenchArgs(["--agents=10", "--agents", "20"]), { quick: false, json: false, agents: [10, 20] });
  assert.deepEqual(parseBenchArgs(["--quick", "--case", "seal", "--case=request"]), { quick: true, json: false, agents: [100], cases: ["seal", "request"] });
  assert.deepEqual(parseBenchArgs(["--case", "tracing", "--case=request"]), { quick: false, json: false, agents: [100, 1000], cases: ["tracing", "request"] });
  assert.equal(parseBenchArgs(["--help"]), "help");
  for (const [argv, message] of [
    [["--agents"], /--agents: expected a whole number, got ""/],
    [["--agents", "many"], /--agents: expected a whole number, got "many"/],
    [["--agents", "0"], /--agents: expected at least 1/],
    [["--agents", "9000"], /--agents: expected at most 5000/],
    [["--case", "everything"], /--case: expected one of request, direct, .*seal, tracing, got "everything"/],
    [["--fast"], /unknown option "--fast"/],
    [["--case", "speed"], /--case: expected one of request, direct, .*tracing, got "speed"/],
  ] as const) {
    assert.throws(() => parseBenchArgs(argv), (err: unknown) => err instanceof ConfigError && message.test(err.message), argv.join(" "));
  }
});
