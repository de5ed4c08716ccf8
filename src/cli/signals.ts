import type { Logger, StopOutcome } from "../index.ts";

/** Resolves with the first SIGINT or SIGTERM the process receives. */
export function waitForSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve("SIGINT"));
    process.once("SIGTERM", () => resolve("SIGTERM"));
  });
}

/** Exit codes of a long-running command's stop: clean, cut short (deadline or server away), second signal. */
export const STOP_EXIT = { clean: 0, incomplete: 1, interrupted: 130 } as const;

/** Options of {@link stopOnSignal}. */
export interface StopOnSignalOptions {
  /** Event prefix of the log line, e.g. `host` or `ui`. */
  what: string;
  /** NATTER_SHUTDOWN_MS: the stop is abandoned a little after it, should it not end by itself. */
  shutdownMs: number;
  log: Logger;
}

/**
 * Runs `stop` after the first signal and gives the exit code, logging one line that says how it ended.
 * A second SIGINT/SIGTERM abandons the stop at once: a person at a terminal or a supervisor asked twice.
 */
export async function stopOnSignal(signal: NodeJS.Signals, stop: () => Promise<StopOutcome>, options: StopOnSignalOptions): Promise<number> {
  const { what, shutdownMs, log } = options;
  log.info(`${what}.stopping`, { signal, shutdownMs });
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    stop().catch(() => "unreachable" as const),
    waitForSignal().then((second) => `second ${second}` as const),
    // The stop bounds itself; this is the backstop should a step ignore it.
    new Promise<"deadline">((resolve) => (timer = setTimeout(() => resolve("deadline"), shutdownMs + 500))),
  ]);
  clearTimeout(timer);
  const code = exitCode(outcome);
  // Whatever still holds the process (a handler ignoring its signal, a connection being cut) must not keep it alive.
  setTimeout(() => process.exit(code), 200).unref();
  if (outcome === "clean") {
    log.info(`${what}.stopped`, { outcome });
    return code;
  }
  if (outcome === "unreachable") {
    log.warn(`${what}.stopped`, { outcome, reason: "NATS unreachable: registry entries expire with their TTL, unacknowledged messages come back after the ack wait" });
    return code;
  }
  if (outcome === "deadline") {
    log.warn(`${what}.stopped`, { outcome, reason: `NATTER_SHUTDOWN_MS (${shutdownMs}) ran out; unacknowledged messages come back after the ack wait` });
    return code;
  }
  log.warn(`${what}.stopped`, { outcome: "interrupted", reason: `${outcome} before the stop ended` });
  return code;
}

function exitCode(outcome: string): number {
  if (outcome === "clean") return STOP_EXIT.clean;
  return outcome === "unreachable" || outcome === "deadline" ? STOP_EXIT.incomplete : STOP_EXIT.interrupted;
}
