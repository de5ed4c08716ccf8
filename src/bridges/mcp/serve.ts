import type { Client } from "../../agent/client.ts";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { networkCatalog } from "./catalog.ts";
import { serveMcpHttp } from "./http.ts";
import { createMcpServer } from "./server.ts";

/** Options of {@link serveMcp}. */
export interface ServeMcpOptions {
  /** Speaks for the MCP client on the network; the caller closes it. */
  client: Client;
  /** Reported to MCP clients as the server version. */
  version: string;
  /** How long ask tools wait for an answer (ms). */
  askTimeoutMs: number;
  /** Offer `ask_<Agent>` per live agent. */
  perAgent: boolean;
  /** Serve streamable HTTP on this port and address instead of stdio. */
  http?: { port: number; host: string };
  /** Stops serving. */
  signal: AbortSignal;
  /** Called once serving: `stdio`, or the HTTP endpoint's URL. */
  onReady(where: string): void;
}

/** Serves the agent network as MCP tools until `signal` fires or, on stdio, the client closes standard input. */
export async function serveMcp(options: ServeMcpOptions): Promise<void> {
  const { client } = options;
  const log = client.log.child({ bridge: "mcp" });
  const catalog = networkCatalog(client, { askTimeoutMs: options.askTimeoutMs, perAgent: options.perAgent });
  const newServer = () => createMcpServer({ catalog, version: options.version, log });
  const stopped = new Promise<void>((resolve) => (options.signal.aborted ? resolve() : options.signal.addEventListener("abort", () => resolve(), { once: true })));
  try {
    if (options.http) {
      const endpoint = await serveMcpHttp(newServer, options.http.port, options.http.host);
      options.onReady(endpoint.url);
      await stopped;
      await endpoint.close();
      return;
    }
    // Standard output carries the protocol only: natter logs go to standard error.
    const server = newServer();
    const transport = new StdioServerTransport();
    const ended = new Promise<void>((resolve) => {
      process.stdin.once("end", resolve);
      process.stdin.once("close", resolve);
    });
    await server.connect(transport);
    options.onReady("stdio");
    await Promise.race([stopped, ended]);
    await server.close();
  } finally {
    await catalog.stop();
  }
}
