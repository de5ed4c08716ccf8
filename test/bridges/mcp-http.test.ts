// The streamable HTTP endpoint of `natter mcp` on its own (no agents needed): what it keeps per client.
import assert from "node:assert/strict";
import { test } from "node:test";
import { serveMcpHttp } from "../../src/bridges/mcp/http.ts";
import { createMcpServer } from "../../src/bridges/mcp/server.ts";
import { createLogger } from "../../src/logger.ts";

const HEADERS = { "content-type": "application/json", accept: "application/json, text/event-stream" };
const INITIALIZE = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "t", version: "1" } } });
const LIST = JSON.stringify({ jsonrpc: "2.0", id: 2, method: "tools/list", params: {} });

async function initialize(url: string): Promise<string> {
  const res = await fetch(url, { method: "POST", headers: HEADERS, body: INITIALIZE });
  await res.text();
  assert.equal(res.status, 200);
  const id = res.headers.get("mcp-session-id");
  assert.ok(id, "a session id");
  return id;
}

async function list(url: string, session: string): Promise<number> {
  const res = await fetch(url, { method: "POST", headers: { ...HEADERS, "mcp-session-id": session, "mcp-protocol-version": "2025-06-18" }, body: LIST });
  await res.text();
  return res.status;
}

test("mcp http: clients that never close their session cannot grow it without bound; the least recently used goes first", async () => {
  const log = createLogger({ level: "silent" });
  const catalog = { tools: () => [], onChange: () => () => undefined };
  const endpoint = await serveMcpHttp(() => createMcpServer({ catalog, version: "0", log }), 0, "127.0.0.1", 3);
  try {
    const first = await initialize(endpoint.url);
    const second = await initialize(endpoint.url);
    await initialize(endpoint.url);
    // Used again: the second is now the least recently used.
    assert.equal(await list(endpoint.url, first), 200);
    await initialize(endpoint.url);
    assert.equal(await list(endpoint.url, second), 404, "the least recently used session was closed");
    assert.equal(await list(endpoint.url, first), 200, "a session in use stays");
  } finally {
    await endpoint.close();
  }
});
