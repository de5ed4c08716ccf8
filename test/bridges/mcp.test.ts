// `natter mcp` as an MCP client sees it: the official SDK client spawns the real CLI (stdio) or talks to it over
// streamable HTTP, against a private nats-server with agents running in this process.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { request } from "node:http";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { Client as McpClient } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { ToolListChangedNotificationSchema, type CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { defineAgent } from "../../src/index.ts";
import { setup, type Bench } from "../helpers/in-process.ts";
import { natterEnv, spawnNatter } from "../cli/run-natter.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const echo = defineAgent({ name: "Echo", description: "repeats what it is asked", capabilities: ["echo"], onRequest: (msg) => `echo: ${msg.content}` });
const slow = defineAgent({ name: "Slow", description: "answers after 3 s", onRequest: async () => (await new Promise((r) => setTimeout(r, 3000)), "finally") });
const late = defineAgent({ name: "Late", description: "joins after the MCP client", onRequest: () => "late answer" });

let bench: Bench;
const children: ChildProcess[] = [];
const clients: McpClient[] = [];

before(async () => {
  bench = await setup();
  await bench.host(echo, slow);
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  for (const child of children) child.kill("SIGTERM");
  await bench.dispose();
});

async function stdioClient(extraArgs: string[] = []): Promise<{ client: McpClient; stderr: () => string }> {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: ["--import", "tsx", "scripts/natter.ts", "mcp", "--server", bench.srv.url, ...extraArgs],
    cwd: ROOT,
    env: natterEnv(bench.srv.url) as Record<string, string>,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const client = new McpClient({ name: "natter-test", version: "1.0.0" });
  clients.push(client);
  await client.connect(transport);
  return { client, stderr: () => stderr };
}

function text(result: Awaited<ReturnType<McpClient["callTool"]>>): string {
  return (result as CallToolResult).content.map((c) => (c.type === "text" ? c.text : "")).join("");
}

test("mcp: stdio lists the network tools with JSON schemas from valibot, and one ask tool per live agent", async () => {
  const { client } = await stdioClient();
  const { tools } = await client.listTools();
  const names = tools.map((t) => t.name);
  for (const name of ["list_agents", "find_agents_by_capability", "ask_agent", "send_direct_message", "hand_off_to_agent", "broadcast_message", "read_thread"]) assert.ok(names.includes(name), `${name} in ${names.join(", ")}`);
  const ask = tools.find((t) => t.name === "ask_agent")!;
  assert.deepEqual(Object.keys(ask.inputSchema.properties ?? {}).sort(), ["agent", "question"]);
  assert.deepEqual([...(ask.inputSchema.required ?? [])].sort(), ["agent", "question"]);
  // The registry watch may not have delivered Echo yet when the first list is asked for.
  for (let i = 0; i < 100 && !(await client.listTools()).tools.some((t) => t.name === "ask_Echo"); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok((await client.listTools()).tools.some((t) => t.name === "ask_Echo"), "ask_Echo is offered");
});

test("mcp: ask_agent returns a live agent's answer; list and find show it", async () => {
  const { client } = await stdioClient();
  const answer = await client.callTool({ name: "ask_agent", arguments: { agent: "Echo", question: "hello there" } });
  assert.notEqual(answer.isError, true, text(answer));
  assert.match(text(answer), /echo: hello there/);
  const found = JSON.parse(text(await client.callTool({ name: "find_agents_by_capability", arguments: { capability: "echo" } }))) as { name: string }[];
  assert.deepEqual(found.map((a) => a.name), ["Echo"]);
  const all = JSON.parse(text(await client.callTool({ name: "list_agents", arguments: {} }))) as { name: string }[];
  assert.ok(all.some((a) => a.name === "Echo"));
});

test("mcp: an unknown agent and bad arguments are tool errors naming the natter code and the field", async () => {
  const { client } = await stdioClient();
  const unknown = await client.callTool({ name: "ask_agent", arguments: { agent: "Nobody", question: "anyone?" } });
  assert.equal(unknown.isError, true);
  assert.match(text(unknown), /^natter error unavailable: .*Nobody/);
  assert.deepEqual((unknown.structuredContent as { error: { code: string } }).error.code, "unavailable");

  const wrongType = await client.callTool({ name: "ask_agent", arguments: { agent: 42, question: "hi" } });
  assert.equal(wrongType.isError, true);
  assert.match(text(wrongType), /^natter error bad_request: .*agent: must be an agent name/);

  const missing = await client.callTool({ name: "ask_agent", arguments: { agent: "Echo" } });
  assert.equal(missing.isError, true);
  assert.match(text(missing), /^natter error bad_request: .*question/);

  const noTool = await client.callTool({ name: "no_such_tool", arguments: {} });
  assert.equal(noTool.isError, true);
  assert.match(text(noTool), /^natter error not_found: /);
});

test("mcp: ask_agent waits --timeout, then fails with the timeout code", async () => {
  const { client } = await stdioClient(["--timeout", "300ms"]);
  const started = Date.now();
  const result = await client.callTool({ name: "ask_agent", arguments: { agent: "Slow", question: "are you there?" } });
  assert.equal(result.isError, true);
  assert.match(text(result), /^natter error timeout: .*Slow.*300 ms/);
  assert.ok(Date.now() - started < 2500, "it gave up well before the agent answered");
});

test("mcp: send_direct_message stores a message whose thread read_thread then shows", async () => {
  const { client } = await stdioClient(["--as", "desk"]);
  const sent = text(await client.callTool({ name: "send_direct_message", arguments: { agent: "Echo", message: "stored hello" } }));
  const id = /message id (\S+)\)/.exec(sent)?.[1];
  assert.ok(id, sent);
  const thread = await client.callTool({ name: "read_thread", arguments: { thread: id } });
  assert.notEqual(thread.isError, true, text(thread));
  const tree = JSON.parse(text(thread)) as { messages: number; roots: { from: string; to: string; content: string }[] };
  assert.deepEqual([tree.roots[0]!.from, tree.roots[0]!.to, tree.roots[0]!.content], ["desk", "Echo", "stored hello"]);
  const none = await client.callTool({ name: "read_thread", arguments: { thread: "no-such-thread" } });
  assert.equal(none.isError, true);
  assert.match(text(none), /^natter error not_found: /);
});

test("mcp: an agent that starts later becomes a tool, and stops being one when it stops; the client is told each time", async () => {
  const { client } = await stdioClient();
  let changed = 0;
  client.setNotificationHandler(ToolListChangedNotificationSchema, () => void changed++);
  await client.listTools();
  const host = await bench.host(late);
  const deadline = Date.now() + 15_000;
  while (!(await client.listTools()).tools.some((t) => t.name === "ask_Late")) {
    assert.ok(Date.now() < deadline, "ask_Late never appeared");
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(changed > 0, "notifications/tools/list_changed was sent");
  const answer = await client.callTool({ name: "ask_Late", arguments: { question: "there?" } });
  assert.equal(text(answer), "late answer");
  const seen = changed;
  await host.stop();
  while ((await client.listTools()).tools.some((t) => t.name === "ask_Late")) {
    assert.ok(Date.now() < deadline + 15_000, "ask_Late stayed after its agent stopped");
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.ok(changed > seen, "the client was told again when the agent left");
});

test("mcp: malformed JSON on stdio is skipped and the next request is answered", async () => {
  const child = spawnNatter(bench.srv.url, ["mcp"]);
  children.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stdin!.write("this is not json\n{\"jsonrpc\": \"2.0\", \"id\": \n");
  child.stdin!.write(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "raw", version: "1" } } }) + "\n");
  const deadline = Date.now() + 20_000;
  while (!out.includes("\n")) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `no answer; exit ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const first = JSON.parse(out.split("\n")[0]!) as { id: number; result: { serverInfo: { name: string } } };
  assert.equal(first.id, 1);
  assert.equal(first.result.serverInfo.name, "natter");
  const exited = new Promise((resolve) => child.once("close", resolve));
  child.stdin!.end();
  assert.equal(await exited, 0, "it exits cleanly when the client closes standard input");
  for (const line of out.trim().split("\n")) assert.doesNotThrow(() => JSON.parse(line), `standard output carries only protocol: ${line}`);
});

test("mcp: streamable HTTP lists tools and asks an agent; malformed JSON gets a parse error and a foreign Host a 403, not a crash", async () => {
  const child = spawnNatter(bench.srv.url, ["mcp", "--http", "0"]);
  children.push(child);
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const deadline = Date.now() + 20_000;
  let url: string | undefined;
  while (!(url = /serving MCP on (http:\S+)/.exec(stderr)?.[1])) {
    assert.ok(Date.now() < deadline && child.exitCode === null, `not serving: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const bad = await fetch(url, { method: "POST", headers: { "content-type": "application/json", accept: "application/json, text/event-stream" }, body: "{not json" });
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { error: { code: number } }).error.code, -32700);

  const rebound = await new Promise<number>((resolve, reject) => {
    const u = new URL(url!);
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: "POST", headers: { host: `evil.example:${u.port}`, "content-type": "application/json", accept: "application/json, text/event-stream" } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on("error", reject);
    req.end(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "page", version: "1" } } }));
  });
  assert.equal(rebound, 403, "a request naming another host (DNS rebinding) is refused");

  const client = new McpClient({ name: "natter-test-http", version: "1.0.0" });
  clients.push(client);
  await client.connect(new StreamableHTTPClientTransport(new URL(url)));
  assert.ok((await client.listTools()).tools.some((t) => t.name === "ask_agent"));
  const answer = await client.callTool({ name: "ask_agent", arguments: { agent: "Echo", question: "over http" } });
  assert.match(text(answer), /echo: over http/);
  await client.close();
  const exited = new Promise((resolve) => child.once("close", resolve));
  child.kill("SIGTERM");
  assert.equal(await exited, 0, "SIGTERM stops it cleanly");
});
