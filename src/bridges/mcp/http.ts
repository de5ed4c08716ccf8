import { randomUUID } from "node:crypto";
import { once } from "node:events";
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { createAdaptorServer } from "@hono/node-server";
import { Hono } from "hono";
import type { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { WebStandardStreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js";

/** Path the MCP endpoint is served on. */
export const MCP_PATH = "/mcp";

const LOOPBACK = new Set(["127.0.0.1", "localhost", "::1"]);
const LOOPBACK_HOSTS = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** A running streamable HTTP endpoint. */
export interface McpHttpEndpoint {
  /** `http://HOST:PORT/mcp`. */
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves MCP over streamable HTTP at {@link MCP_PATH}: one session (and one server from `newServer`) per client.
 * Bound to a loopback address it answers only requests whose Host is a loopback name.
 */
export async function serveMcpHttp(newServer: () => Server, port: number, host: string): Promise<McpHttpEndpoint> {
  const sessions = new Map<string, { server: Server; transport: WebStandardStreamableHTTPServerTransport }>();
  const app = new Hono();
  const loopback = LOOPBACK.has(host);
  app.all(MCP_PATH, async (c) => {
    // DNS rebinding: a web page whose name resolves to 127.0.0.1 reaches this port with its own name as Host.
    const hostname = (c.req.header("host") ?? "").replace(/:\d+$/, "");
    if (loopback && !LOOPBACK_HOSTS.has(hostname)) return c.json({ jsonrpc: "2.0", error: { code: -32000, message: `Host ${hostname || "(none)"} refused: this endpoint answers loopback names only` }, id: null }, 403);
    const id = c.req.header("mcp-session-id");
    if (id !== undefined) {
      const session = sessions.get(id);
      if (!session) return c.json({ jsonrpc: "2.0", error: { code: -32001, message: `unknown or closed session ${id}: initialize again` }, id: null }, 404);
      return session.transport.handleRequest(c.req.raw);
    }
    // No session yet: the transport accepts only an initialize request here and answers anything else with an error.
    const server = newServer();
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (sid) => void sessions.set(sid, { server, transport }),
      onsessionclosed: (sid) => void sessions.delete(sid),
    });
    await server.connect(transport);
    const response = await transport.handleRequest(c.req.raw);
    if (transport.sessionId === undefined) await server.close();
    return response;
  });
  const http = createAdaptorServer({ fetch: app.fetch }) as HttpServer;
  http.listen(port, host);
  await once(http, "listening");
  const address = http.address() as AddressInfo;
  return {
    url: `http://${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}${MCP_PATH}`,
    close: async () => {
      await Promise.all([...sessions.values()].map((s) => s.server.close()));
      sessions.clear();
      const closed = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeAllConnections();
      await closed;
    },
  };
}
