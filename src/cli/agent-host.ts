import { loadAgentModules } from "../agent/load.ts";
import { loadConfig } from "../config/config.ts";
import { startHost } from "../agent/host.ts";
import { createLogger } from "../logger.ts";
import { NatterError } from "../errors.ts";
import { stopOnSignal, waitForSignal } from "./signals.ts";
import { takeWaitMs, WAIT_MS_HELP } from "./wait.ts";

/** Help text of `natter run`. */
export const RUN_USAGE = `usage: natter run [--wait-ms N] PATH [PATH...]

Runs the agent modules at PATH (each default-exports defineAgent({...}) or an array of them) in one host
against NATS_URL until SIGINT or SIGTERM (a second one exits at once). JavaScript modules load with plain
Node; TypeScript modules load through the tsx installed in your project (npm install --save-dev tsx), or
with a Node that strips types itself. Configuration comes from the environment (NATS_URL, NATTER_*); see
the README.
${WAIT_MS_HELP}`;

/** Entry of `natter run` and scripts/agent.ts; returns the exit code. */
export async function runAgentHost(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    process.stderr.write(RUN_USAGE + "\n");
    return argv.length === 0 ? 2 : 0;
  }
  let config;
  let paths;
  let waitMs;
  try {
    config = loadConfig();
    ({ waitMs, rest: paths } = takeWaitMs(argv, config.connectWaitMs));
  } catch (err) {
    process.stderr.write(`natter: ${(err as Error).message}\n`);
    return 2;
  }
  const unknown = paths.find((a) => a.startsWith("-"));
  if (unknown) {
    process.stderr.write(`unknown option ${unknown}\n${RUN_USAGE}\n`);
    return 2;
  }
  let agents;
  try {
    agents = await loadAgentModules(paths);
  } catch (err) {
    process.stderr.write(`natter: ${(err as Error).message}\n`);
    return 2;
  }
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  try {
    const host = await startHost({ agents, config, logger: log, connectWaitMs: waitMs });
    log.info("host.ready", { agents: agents.length, servers: config.servers.join(",") });
    return await stopOnSignal(await waitForSignal(), () => host.stop(), { what: "host", shutdownMs: config.shutdownMs, log });
  } catch (err) {
    // One line an operator can act on; the stack only at debug level, for bugs.
    const message = err instanceof NatterError || config.logLevel !== "debug" ? (err as Error).message : (err as Error).stack ?? String(err);
    log.error("host.failed", { error: message });
    return 1;
  }
}
