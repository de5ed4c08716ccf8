import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ListToolsRequestSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { LOCAL_ERROR_CODES } from "../../errors.ts";
import { runToolCall, type Tool } from "../../llm/tools.ts";
import type { Logger } from "../../logger.ts";

/** The tools an MCP server offers; the list may change while it runs (agents come and go). */
export interface ToolCatalog {
  tools(): readonly Tool[];
  /** Calls `listener` whenever `tools()` changes; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** Options of {@link createMcpServer}. */
export interface McpServerOptions {
  catalog: ToolCatalog;
  version: string;
  log: Logger;
}

/** An MCP server (one per connected client) offering the catalog's tools; a failed call is a tool error with the natter code. */
export function createMcpServer(options: McpServerOptions): Server {
  const server = new Server({ name: "natter", version: options.version }, { capabilities: { tools: { listChanged: true } } });
  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: options.catalog.tools().map((t) => ({ name: t.spec.name, description: t.spec.description, inputSchema: { ...t.spec.parameters, type: "object" as const } })),
  }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { name, arguments: args } = request.params;
    // The tools take their arguments as JSON text, as a model sends them; validation happens there.
    const outcome = await runToolCall(options.catalog.tools(), { id: String(extra.requestId), name, arguments: JSON.stringify(args ?? {}) }, { signal: extra.signal });
    if (outcome.ok) return { content: [{ type: "text", text: outcome.content }] };
    const code = outcome.code ?? LOCAL_ERROR_CODES.internal;
    const message = outcome.content.replace(/^error: /, "");
    options.log.info("mcp.tool_failed", { tool: name, code, error: message });
    return { isError: true, content: [{ type: "text", text: `natter error ${code}: ${message}` }], structuredContent: { error: { code, message } } };
  });
  const unsubscribe = options.catalog.onChange(() => {
    // Before initialization there is nobody to tell; the client lists the tools then anyway.
    if (server.getClientCapabilities()) void server.sendToolListChanged().catch((err: unknown) => options.log.debug("mcp.notify_failed", { error: err }));
  });
  server.onclose = unsubscribe;
  server.onerror = (err) => options.log.warn("mcp.error", { error: err });
  return server;
}
