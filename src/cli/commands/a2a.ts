import * as v from "valibot";
import { ConfigError } from "../../errors.ts";
import { createLogger } from "../../logger.ts";
import { COMMON_FLAGS, duration, FLAG, parseCommand } from "../args.ts";
import type { Command } from "../command.ts";
import { flagHelp, valueFlag } from "../flags.ts";
import type { Io } from "../io.ts";
import { A2aTokenSchema as token, DEFAULT_A2A_PORT } from "../../bridges/a2a/wire.ts";
import { cliConfig } from "../session.ts";
import { stopOnSignal, waitForSignal } from "../signals.ts";

const port = v.pipe(v.string(), v.regex(/^\d{1,5}$/, "expected a port number from 0 to 65535"), v.transform(Number), v.maxValue(65535, "expected a port number from 0 to 65535"));
const httpUrl = v.pipe(v.string(), v.url("expected a URL"), v.regex(/^https?:\/\//i, "expected an http:// or https:// URL"));

const SERVE_FLAGS = {
  ...COMMON_FLAGS,
  port: valueFlag(port, `TCP port (default ${DEFAULT_A2A_PORT}; 0 picks a free one)`, { value: "N" }),
  host: valueFlag(v.pipe(v.string(), v.regex(/^[A-Za-z0-9.:_-]+$/, "expected an IP address or host name")), "address to bind (default 127.0.0.1)", { value: "ADDR" }),
  "public-url": valueFlag(httpUrl, "the address A2A clients use, written into the agent cards (default the bound one)", { value: "URL" }),
  token: valueFlag(token, "require Authorization: Bearer TOKEN on every HTTP request (default NATTER_A2A_TOKEN; none: open)", { value: "TOKEN" }),
  as: valueFlag(FLAG.agentName, "name the bridge speaks to natter agents as", { value: "NAME", default: "a2a" }),
};
const ADD_FLAGS = {
  ...COMMON_FLAGS,
  as: valueFlag(FLAG.agentName, "natter name of the proxy (default: from the agent card's name)", { value: "NAME" }),
  token: valueFlag(token, "send Authorization: Bearer TOKEN to the remote agent (default NATTER_A2A_REMOTE_TOKEN)", { value: "TOKEN" }),
  timeout: valueFlag(duration, "how long one remote call may take (default 30s)", { value: "DUR" }),
};

/** `natter a2a`: serve natter agents to A2A clients, or run a remote A2A agent as a natter agent. */
export const a2aCommand: Command = {
  name: "a2a",
  summary: "serve every natter agent to A2A clients, or add a remote A2A agent (natter a2a add URL)",
  help: `usage: natter a2a [serve] [--port ${DEFAULT_A2A_PORT}] [--host ADDR] [--public-url URL] [--token TOKEN] [options]
       natter a2a add URL [--as NAME] [--token TOKEN] [--timeout 30s] [options]

serve: one HTTP server making every running natter agent an A2A agent (JSON-RPC, protocol 1.0): its card at
/agents/NAME/.well-known/agent-card.json, its endpoint at /agents/NAME, the list at /agents. Runs until
SIGINT or SIGTERM. See docs/bridges.md.
${flagHelp(SERVE_FLAGS, ["port", "host", "public-url", "token", "as", "server"])}

add: reads the agent card at URL and runs a natter agent that forwards requests and direct messages to it,
with the card's skills as capabilities, until SIGINT or SIGTERM.
${flagHelp(ADD_FLAGS, ["as", "token", "timeout"])}`,
  async run(argv, io) {
    return argv[0] === "add" ? add(argv.slice(1), io) : serve(argv[0] === "serve" ? argv.slice(1) : argv, io);
  },
};

async function serve(argv: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = parseCommand("a2a", argv, SERVE_FLAGS);
  if (positionals.length > 0) throw new ConfigError(`a2a: unexpected argument ${JSON.stringify(positionals[0])}; subcommands: serve, add`);
  const secret = flags.token ?? envToken(io, "NATTER_A2A_TOKEN");
  const config = cliConfig(io, flags.server);
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  // Loaded here so that no other command pays for the HTTP server and the A2A SDK.
  const { startA2aBridge } = await import("../../bridges/a2a/server.ts");
  const running = await startA2aBridge({ config, logger: log, name: flags.as, ...(flags.port !== undefined ? { port: flags.port } : {}), ...(flags.host ? { host: flags.host } : {}), ...(flags["public-url"] ? { publicUrl: flags["public-url"] } : {}), ...(secret ? { token: secret } : {}) });
  await io.out(flags.json ? JSON.stringify({ url: running.url, agents: `${running.url}/agents` }) : `natter a2a: ${running.url}/agents`);
  return stopOnSignal(await waitForSignal(), async () => (await running.close(), "clean"), { what: "a2a", shutdownMs: config.shutdownMs, log });
}

async function add(argv: readonly string[], io: Io): Promise<number> {
  const { flags, positionals } = parseCommand("a2a", argv, ADD_FLAGS);
  const url = v.safeParse(httpUrl, positionals[0]);
  if (!url.success || positionals.length !== 1) throw new ConfigError(`a2a add: expected one URL of an A2A agent, e.g. natter a2a add http://localhost:9999/, got ${JSON.stringify(positionals.join(" "))}`);
  const secret = flags.token ?? envToken(io, "NATTER_A2A_REMOTE_TOKEN");
  const config = cliConfig(io, flags.server);
  const log = createLogger({ level: config.logLevel, format: config.logFormat });
  const { defineA2AProxy } = await import("../../bridges/a2a/proxy.ts");
  const { startHost } = await import("../../agent/host.ts");
  const agent = await defineA2AProxy({ url: url.output, ...(flags.as ? { name: flags.as } : {}), ...(secret ? { token: secret } : {}), ...(flags.timeout ? { timeoutMs: flags.timeout } : {}) });
  const host = await startHost({ agents: [agent], config, logger: log });
  await io.out(flags.json ? JSON.stringify({ name: agent.name, capabilities: agent.capabilities }) : `natter a2a: ${url.output} runs as agent ${agent.name} (${agent.capabilities?.join(", ") || "no skills"})`);
  return stopOnSignal(await waitForSignal(), () => host.stop(), { what: "host", shutdownMs: config.shutdownMs, log });
}

function envToken(io: Io, variable: string): string | undefined {
  const value = io.env[variable];
  if (value === undefined || value === "") return undefined;
  if (!v.is(token, value)) throw new ConfigError(`${variable}: expected 16 to 512 visible ASCII characters without spaces`);
  return value;
}

