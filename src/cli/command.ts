import type { Io } from "./io.ts";

/** One `natter` subcommand. */
export interface Command {
  name: string;
  /** One line for `natter --help`. */
  summary: string;
  /** The whole `natter NAME --help` text. */
  help: string;
  /** Runs with the arguments after the command name; returns the exit code. */
  run(argv: readonly string[], io: Io): Promise<number>;
}
