import { AbortedError, NatterError, RemoteError } from "../errors.ts";
import { isJetStreamNotEnabled, natsFailure } from "../transport/nats-errors.ts";
import { EXIT, EXIT_HELP } from "./args.ts";
import { EXIT_BY_CODE } from "./exit-codes.ts";
import type { Command } from "./command.ts";
import { agentsCommand } from "./commands/agents.ts";
import { a2aCommand } from "./commands/a2a.ts";
import { replayCommand } from "./commands/replay.ts";
import { tailCommand } from "./commands/tail.ts";
import { askCommand, broadcastCommand, cancelCommand, sendCommand } from "./commands/talk.ts";
import { streamsCommand } from "./commands/streams.ts";
import { threadCommand } from "./commands/thread.ts";
import { mcpCommand } from "./commands/mcp.ts";
import { runUiCommand, UI_USAGE } from "./ui.ts";
import { AUTH_USAGE, runAuthCommand } from "./auth.ts";
import { RUN_USAGE, runAgentHost } from "./agent-host.ts";
import { INIT_USAGE, runInitCommand } from "./init.ts";
import { Io } from "./io.ts";
import { natterVersion } from "./version.ts";

const runCommand: Command = { name: "run", summary: "run agent modules (.js, or .ts with tsx installed) until SIGINT or SIGTERM", help: RUN_USAGE, run: (argv) => runAgentHost(argv) };

const initCommand: Command = { name: "init", summary: "write a starter project: one agent, its test and a README", help: INIT_USAGE, run: runInitCommand };

const uiCommand: Command = { name: "ui", summary: "serve the web console (agents, traffic, threads, replay, human in the loop)", help: UI_USAGE, run: (argv) => runUiCommand(argv) };

const authCommand: Command = { name: "auth", summary: "write per-agent users, permissions and keys for a secured nats-server", help: AUTH_USAGE, run: (argv) => runAuthCommand(argv) };

const COMMANDS: readonly Command[] = [runCommand, initCommand, agentsCommand, replayCommand, tailCommand, threadCommand, sendCommand, askCommand, broadcastCommand, cancelCommand, uiCommand, authCommand, streamsCommand, mcpCommand, a2aCommand];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return `usage: natter COMMAND [options]   (natter COMMAND --help for details)

Run natter agents; see and debug an agent network (the registry, the AGENTS stream, live traffic); talk to agents.

Commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join("\n")}

Every command takes --json (machine-readable output), --server URL and -h/--help.
${EXIT_HELP}`;
}

/** Runs `natter` with `argv` (after the program name); returns the exit code. Never throws. */
export async function runNatter(argv: readonly string[]): Promise<number> {
  const stop = new AbortController();
  const onSignal = () => stop.abort(new AbortedError("interrupted"));
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  // `natter replay | head` closes the pipe early: that is a normal end, not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(EXIT.ok);
  });
  const io = new Io(stop.signal);
  try {
    const [name, ...rest] = argv;
    if (name === undefined) {
      io.err(usage());
      return EXIT.usage;
    }
    if (name === "--help" || name === "-h" || name === "help") {
      await io.out(usage());
      return EXIT.ok;
    }
    if (name === "--version" || name === "-V") {
      await io.out(natterVersion());
      return EXIT.ok;
    }
    const command = COMMANDS.find((c) => c.name === name);
    if (!command) {
      io.err(`natter: unknown command ${JSON.stringify(name)}; commands: ${COMMANDS.map((c) => c.name).join(", ")} (natter --help)`);
      return EXIT.usage;
    }
    if (rest.includes("--help") || rest.includes("-h")) {
      await io.out(`${command.help}\n\n${EXIT_HELP}`);
      return EXIT.ok;
    }
    return await command.run(rest, io);
  } catch (err) {
    const [code, message] = describeFailure(err, io);
    io.err(`natter: ${message}`);
    return code;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}

/** The exit code and one line for anything a command threw; a stack only for bugs, and only at debug level. */
function describeFailure(err: unknown, io: Io): [number, string] {
  if (err instanceof AbortedError) return [EXIT.interrupted, "interrupted"];
  // A peer's code says why its handler failed, not how this command went.
  if (err instanceof RemoteError) return [EXIT.failure, err.message];
  // A code outside the table (a plain JavaScript caller, a cast) still fails the command.
  if (err instanceof NatterError) return [EXIT_BY_CODE[err.code] ?? EXIT.failure, err.message];
  const e = err instanceof Error ? err : new Error(String(err));
  const nats = natsFailure(e);
  if (nats) {
    const hint = isJetStreamNotEnabled(e) ? " (start nats-server with -js, or point NATS_URL at one that has JetStream)" : "";
    return [nats === "away" ? EXIT.unavailable : EXIT.failure, `NATS: ${e.message}${hint}`];
  }
  return [EXIT.failure, io.env.NATTER_LOG_LEVEL === "debug" ? (e.stack ?? e.message) : `${e.message} (NATTER_LOG_LEVEL=debug shows where)`];
}
