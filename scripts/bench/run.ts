import { cpus, totalmem } from "node:os";
import { loadConfig } from "../../src/config/config.ts";
import { createLogger } from "../../src/logger.ts";
import { a2aCase } from "./cases/a2a.ts";
import { broadcastCase } from "./cases/broadcast.ts";
import { directCase } from "./cases/direct.ts";
import { handoffCase } from "./cases/handoff.ts";
import { requestCase } from "./cases/request.ts";
import { scaleCase } from "./cases/scale.ts";
import { SIZES, type BenchContext } from "./context.ts";
import type { BenchCase, BenchOptions } from "./options.ts";
import { sealCase } from "./cases/seal.ts";
import type { Row } from "./report.ts";
import { startBenchServer } from "./server.ts";

/** The machine and software a run measured. */
export interface BenchMachine {
  cpus: number;
  cpuModel: string;
  memoryGB: number;
  node: string;
  natsServer: string;
  platform: string;
}

/** Everything one run produced. */
export interface BenchResult {
  machine: BenchMachine;
  mode: "quick" | "full";
  seconds: number;
  rows: Row[];
}

/** Starts a private nats-server and runs every case against it, raw NATS and natter side by side. */
export async function runBench(options: BenchOptions, progress: (line: string) => void): Promise<BenchResult> {
  const started = performance.now();
  const server = await startBenchServer();
  try {
    // Default settings, the log level included, unless the caller set them: the bench measures what users get.
    const config = loadConfig({ ...process.env, NATS_URL: server.url });
    // Lines are formatted and kept as users' hosts would write them (the cost is measured), shown only if the run fails.
    let kept = "";
    const logger = createLogger({ level: config.logLevel, format: config.logFormat, write: (line) => (kept = (kept + line + "\n").slice(-65_536)) });
    const ctx: BenchContext = { url: server.url, config, sizes: options.quick ? SIZES.quick : SIZES.full, logger, progress };
    const rows: Row[] = [];
    try {
      const runs = (name: BenchCase) => options.cases === undefined || options.cases.includes(name);
      if (runs("request")) rows.push(...(await requestCase(ctx)));
      if (runs("direct")) rows.push(...(await directCase(ctx)));
      if (runs("broadcast")) rows.push(...(await broadcastCase(ctx)));
      if (runs("scale")) for (const n of options.agents) rows.push(...(await scaleCase(ctx, n)));
      if (runs("handoff")) rows.push(...(await handoffCase(ctx)));
      if (runs("a2a")) rows.push(...(await a2aCase(ctx)));
      if (runs("seal")) rows.push(...(await sealCase(ctx)));
    } catch (err) {
      progress(`failed; the last log lines of its agents:\n${kept}`);
      throw err;
    }
    const cpu = cpus();
    return {
      machine: {
        cpus: cpu.length,
        cpuModel: cpu[0]?.model ?? "unknown",
        memoryGB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
        node: process.version,
        natsServer: server.version,
        platform: `${process.platform} ${process.arch}`,
      },
      mode: options.quick ? "quick" : "full",
      seconds: Math.round((performance.now() - started) / 100) / 10,
      rows,
    };
  } finally {
    await server.dispose();
  }
}
