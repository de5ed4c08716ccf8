import * as v from "valibot";
import { COMMON_FLAGS, EXIT, FLAG, duration, parseCommand, unexpectedArgument, wholeNumber } from "../args.ts";
import type { Command } from "../command.ts";
import { flagHelp, switchFlag, valueFlag } from "../flags.ts";
import { openCliClient } from "../session.ts";
import { natterVersion } from "../version.ts";

const { json: _json, ...BASE_FLAGS } = COMMON_FLAGS;
const FLAGS = {
  ...BASE_FLAGS,
  http: valueFlag(v.pipe(wholeNumber(0, "a port number from 0 to 65535"), v.maxValue(65535, "expected a port number from 0 to 65535")), "serve streamable HTTP on PORT (0 picks a free one) instead of stdio", { value: "PORT" }),
  host: valueFlag(v.pipe(v.string(), v.regex(/^[A-Za-z0-9.:_-]+$/, "expected an IP address or host name")), "address --http binds; the endpoint has no login, so bind\nanother address only on a network you trust", { value: "ADDR", default: "127.0.0.1" }),
  as: valueFlag(FLAG.agentName, "speak as agent NAME on the network", { value: "NAME", default: "mcp" }),
  timeout: valueFlag(duration, "how long the ask tools wait for an answer: 30s, 2m, ... (default NATTER_REQUEST_TIMEOUT_MS)", { value: "DUR" }),
  "no-agent-tools": switchFlag("do not offer one ask_<Agent> tool per live agent"),
};

/** `natter mcp`: the agent network as Model Context Protocol tools. */
export const mcpCommand: Command = {
  name: "mcp",
  summary: "serve the agent network as MCP tools (stdio for desktop and IDE clients, or --http)",
  help: `usage: natter mcp [--http PORT [--host ADDR]] [--as NAME] [--timeout DUR] [--no-agent-tools] [--server URL]

Serves the agent network to a Model Context Protocol client. By default it speaks MCP on standard input
and output (what desktop and IDE clients start: standard output carries only the protocol, natter logs go
to standard error) until the client closes standard input; with --http it serves streamable HTTP on
http://ADDR:PORT/mcp until SIGINT or SIGTERM.

Tools: list_agents, find_agents_by_capability, ask_agent, ask_by_capability, send_direct_message,
hand_off_to_agent, broadcast_message, read_thread, and ask_<Agent> for each live agent (the list follows the
registry; clients get notifications/tools/list_changed). A failed call is a tool error (isError) whose text
starts "natter error CODE:", e.g. unavailable, timeout, bad_request.

${flagHelp(FLAGS, ["http", "host", "as", "timeout", "no-agent-tools", "server"])}`,
  async run(argv, io) {
    const { flags, positionals } = parseCommand("mcp", argv, FLAGS);
    if (positionals.length) throw unexpectedArgument("mcp", positionals[0]!);
    // The MCP SDK loads only for this command.
    const { serveMcp } = await import("../../bridges/mcp/serve.ts");
    const client = await openCliClient(io, flags.server, flags.as);
    try {
      await serveMcp({
        client,
        version: natterVersion(),
        askTimeoutMs: flags.timeout ?? client.bus.config.requestTimeoutMs,
        perAgent: flags["no-agent-tools"] !== true,
        ...(flags.http !== undefined ? { http: { port: flags.http, host: flags.host } } : {}),
        signal: io.signal,
        onReady: (where) => io.err(where === "stdio" ? `natter mcp: serving MCP on stdio as ${client.name}` : `natter mcp: serving MCP on ${where} as ${client.name}`),
      });
      return EXIT.ok;
    } finally {
      await client.close();
    }
  },
};
