import { LOCAL_ERROR_CODES, NatterError } from "../errors.ts";

/** Help line of `--wait-ms`, shared by the long-running commands. */
export const WAIT_MS_HELP = `  --wait-ms N     while no NATS server answers, keep trying for N ms, then exit 1 (default: NATTER_CONNECT_WAIT_MS,
                  else until one does, logging each attempt)`;

/**
 * Takes `--wait-ms N` (or `--wait-ms=N`) out of `argv`: how long a long-running command waits for its server.
 * Default NATTER_CONNECT_WAIT_MS, else forever: a supervisor may start natter before nats-server.
 */
export function takeWaitMs(argv: readonly string[], fromConfig: number | undefined): { waitMs: number; rest: string[] } {
  const rest: string[] = [];
  let waitMs = fromConfig ?? Number.POSITIVE_INFINITY;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg !== "--wait-ms" && !arg.startsWith("--wait-ms=")) {
      rest.push(arg);
      continue;
    }
    const value = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
    if (value === undefined || !/^\d+$/.test(value)) throw new NatterError(`--wait-ms: expected a whole number of milliseconds, got ${JSON.stringify(value ?? "")}`, LOCAL_ERROR_CODES.usage);
    waitMs = Number(value);
  }
  return { waitMs, rest };
}
