import { loadAgentModules } from "../agent/load.ts";
import { loadConfig } from "../config/config.ts";
import { startHost } from "../agent/host.ts";
import { createLogger } from "../logger.ts";
import { NatterError } from "../errors.ts";
import { waitForSignal } from "./signals.ts";

/** Help text of `natter run`. */
export const RUN_USAGE = `usage: natter run PATH [PATH...]

Runs the agent modules at PATH (each default-exports defineAgent({...}) or an array of them) in one host
against NATS_URL until SIGINT or SIGTERM. JavaScript modules load with plain Node; TypeScript modules
load through the tsx installed in your project (npm install --save-dev tsx), or with a Node that strips
types itself. Configuration comes from the environment (NATS_URL, NATTER_*); see the README.`;

/** Entry of `natter run` and scripts/agent.ts; returns the exit code. */
export async function runAgentHost(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    process.stderr.write(RUN_USAGE + "\n");
    return argv.length === 0 ? 2 : 0;
  }
  const unknown = argv.find((a) => a.startsWith("-"));
  if (unknown) {
    process.stderr.write(`unknown option ${unknown}\n${RUN_USAGE}\n`);
    return 2;
  }
  let config;
  let agents;
  try {
    config = loadConfig();
    agents = await loadAgentModules(argv);
  } catch (err) {
    process.stderr.write(`natter: ${(err as Error).message}\n`);
    return 2;
  }
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  try {
    const host = await startHost({ agents, config, logger: log });
    log.info("host.ready", { agents: agents.length, servers: config.servers.join(",") });
    const signal = await waitForSignal();
    log.info("host.stopping", { signal });
    await host.stop();
    return 0;
  } catch (err) {
    const message = err instanceof NatterError ? err.message : (err as Error).stack ?? String(err);
    log.error("host.failed", { error: message });
    return 1;
  }
}
