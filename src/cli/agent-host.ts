import { loadAgentModules, loadConfig, startHost, createLogger, NatterError } from "../index.ts";
import { stopOnSignal, waitForSignal } from "./signals.ts";

const USAGE = `usage: tsx scripts/agent.ts PATH [PATH...]

Runs the agent modules at PATH (each default-exports defineAgent({...}) or an array of them)
against NATS_URL until SIGINT or SIGTERM. Configuration comes from the environment; see README.`;

/** Entry of scripts/agent.ts; returns the exit code. */
export async function runAgentHost(argv: readonly string[]): Promise<number> {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    process.stderr.write(USAGE + "\n");
    return argv.length === 0 ? 2 : 0;
  }
  const unknown = argv.find((a) => a.startsWith("-"));
  if (unknown) {
    process.stderr.write(`unknown option ${unknown}\n${USAGE}\n`);
    return 2;
  }
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    process.stderr.write(`natter: ${(err as Error).message}\n`);
    return 2;
  }
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  try {
    const agents = await loadAgentModules(argv);
    const host = await startHost({ agents, config, logger: log });
    log.info("host.ready", { agents: agents.length, servers: config.servers.join(",") });
    return await stopOnSignal(await waitForSignal(), () => host.stop(), { what: "host", shutdownMs: config.shutdownMs, log });
  } catch (err) {
    const message = err instanceof NatterError ? err.message : (err as Error).stack ?? String(err);
    log.error("host.failed", { error: message });
    return 1;
  }
}
