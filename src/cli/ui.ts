import * as v from "valibot";
import { agentNameProblem } from "../protocol/names.ts";
import { createLogger } from "../logger.ts";
import { loadConfig } from "../config/config.ts";
import { LOCAL_ERROR_CODES, NatterError } from "../errors.ts";
import { DEFAULT_HUMAN, DEFAULT_UI_HOST, DEFAULT_UI_PORT } from "../ui/defaults.ts";
import { stopOnSignal, waitForSignal } from "./signals.ts";
import { takeWaitMs, WAIT_MS_HELP } from "./wait.ts";

/** Help text of `natter ui`. */
export const UI_USAGE = `usage: natter ui [--port N] [--host ADDR] [--human NAME | --no-human]

Serves the web console on http://${DEFAULT_UI_HOST}:${DEFAULT_UI_PORT}/ against NATS_URL (credentials as for
every natter command, from the environment) until SIGINT or SIGTERM.
  --port N        TCP port (default ${DEFAULT_UI_PORT}; 0 picks a free one)
  --host ADDR     address to bind (default ${DEFAULT_UI_HOST}); the console has no login, so bind
                  another address only on a network you trust
  --human NAME    agent name the console answers as (default ${DEFAULT_HUMAN})
  --no-human      watch only: do not join the network as an agent
${WAIT_MS_HELP}`;

const FlagsSchema = v.object({
  port: v.pipe(v.string(), v.regex(/^\d{1,5}$/, "--port: expected a port number from 0 to 65535"), v.transform((digits: string) => Number(digits)), v.maxValue(65535, "--port: expected a port number from 0 to 65535")),
  host: v.pipe(v.string(), v.regex(/^[A-Za-z0-9.:_-]+$/, "--host: expected an IP address or host name")),
  human: v.union(
    [v.literal(false), v.pipe(v.string(), v.check((s) => agentNameProblem(s) === undefined, (i) => `--human: "${String(i.input)}" is not an agent name: ${agentNameProblem(String(i.input))}`))],
    "--human: expected an agent name",
  ),
});

/** Parses `natter ui` flags; throws a NatterError naming the flag at fault. */
export function parseUiFlags(argv: readonly string[]): v.InferOutput<typeof FlagsSchema> {
  const raw: Record<string, string | false> = { port: String(DEFAULT_UI_PORT), host: DEFAULT_UI_HOST, human: DEFAULT_HUMAN };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith("--") && arg.includes("=") ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)] : [arg, undefined];
    if (flag === "--no-human") {
      raw.human = false;
      continue;
    }
    if (flag !== "--port" && flag !== "--host" && flag !== "--human") throw new NatterError(`unknown argument ${arg}`, LOCAL_ERROR_CODES.usage);
    const value = inline ?? argv[++i];
    if (value === undefined) throw new NatterError(`${flag} needs a value`, LOCAL_ERROR_CODES.usage);
    raw[flag.slice(2)] = value;
  }
  const result = v.safeParse(FlagsSchema, raw);
  if (!result.success) throw new NatterError(result.issues[0]?.message ?? "invalid flags", LOCAL_ERROR_CODES.usage);
  return result.output;
}

/** Entry of `natter ui`: serves the console until a signal; returns the exit code. */
export async function runUiCommand(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write(UI_USAGE + "\n");
    return 0;
  }
  let flags;
  let config;
  let waitMs;
  try {
    config = loadConfig();
    const { waitMs: wait, rest } = takeWaitMs(argv, config.connectWaitMs);
    waitMs = wait;
    flags = parseUiFlags(rest);
  } catch (err) {
    process.stderr.write(`natter ui: ${(err as Error).message}\n${UI_USAGE}\n`);
    return 2;
  }
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  try {
    // Loaded here so that no other command pays for the HTTP server.
    const { startConsole } = await import("../ui/server.ts");
    const running = await startConsole({ config, port: flags.port, host: flags.host, human: flags.human, logger: log, connectWaitMs: waitMs });
    process.stdout.write(`natter console: ${running.url}\n`);
    return await stopOnSignal(await waitForSignal(), () => running.close(), { what: "ui", shutdownMs: config.shutdownMs, log });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const message =
      code === "EADDRINUSE"
        ? `port ${flags.port} on ${flags.host} is in use; pass --port with another one`
        : err instanceof NatterError || config.logLevel !== "debug"
          ? (err as Error).message
          : (err as Error).stack ?? String(err);
    process.stderr.write(`natter ui: ${message}\n`);
    return 1;
  }
}
