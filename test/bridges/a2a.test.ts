import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { Role, TaskState, type SendMessageRequest, type StreamResponse } from "@a2a-js/sdk";
import { ClientFactory, type Client as A2aClient } from "@a2a-js/sdk/client";
import { defineAgent, NatterError } from "../../src/index.ts";
import { defineA2AProxy, startA2aBridge, type RunningA2aBridge } from "../../src/bridges/index.ts";
import { a2aMessage } from "../../scripts/bench/a2a-server.ts";
import { startRemoteA2a } from "../helpers/a2a-remote.ts";
import { TaskStore } from "../../src/bridges/a2a/tasks.ts";
import { TASK_STATE } from "../../src/bridges/a2a/wire.ts";
import { finished, firstLine, natter, spawnNatter } from "../cli/run-natter.ts";
import { eventually, gate, setup, type Bench } from "../helpers/in-process.ts";

let b: Bench;
let bridge: RunningA2aBridge;
const threads: string[] = [];
const slow = { started: gate(), aborted: gate() };

before(async () => {
  b = await setup();
  await b.host(
    defineAgent({ name: "Echo", description: "Echoes text", capabilities: ["echo"], onRequest: (m) => `echo: ${m.content}` }),
    defineAgent({
      name: "Writer",
      async onRequest(m, ctx) {
        for (const step of ["outline", "draft", "edit"]) await ctx.progress(step);
        return `essay about ${m.content}`;
      },
    }),
    defineAgent({ name: "Threads", onRequest: (m) => (threads.push(m.threadId ?? ""), "noted") }),
    defineAgent({
      name: "Slow",
      async onRequest(_m, ctx) {
        slow.started.open();
        await new Promise<void>((resolve) => ctx.signal.addEventListener("abort", () => resolve(), { once: true }));
        slow.aborted.open();
        return "never";
      },
    }),
  );
  bridge = await startA2aBridge({ config: b.config, port: 0 });
});
after(async () => {
  await bridge.close();
  await b.dispose();
});

const client = (agent: string): Promise<A2aClient> => new ClientFactory().createFromUrl(`${bridge.url}/agents/${agent}/`);
const request = (text: string, contextId?: string): SendMessageRequest => ({ tenant: "", message: a2aMessage(Role.ROLE_USER, text, { contextId }), configuration: undefined, metadata: undefined });
const textOf = (r: unknown): string | undefined => {
  const part = (r as { parts?: { content?: { $case: string; value: unknown } }[] }).parts?.[0]?.content;
  return part?.$case === "text" ? String(part.value) : undefined;
};

test("a2a: each live agent has a card at the well-known path, and the index lists them", async () => {
  const card = await (await client("Echo")).getAgentCard();
  assert.equal(card.name, "Echo");
  assert.equal(card.description, "Echoes text");
  assert.equal(card.capabilities?.streaming, true);
  assert.deepEqual(card.skills.map((s) => s.id), ["echo"]);
  assert.equal(card.supportedInterfaces[0]?.url, `${bridge.url}/agents/Echo`);
  const index = (await (await fetch(`${bridge.url}/agents`)).json()) as { agents: { name: string }[] };
  assert.deepEqual(index.agents.map((a) => a.name).sort(), ["Echo", "Slow", "Threads", "Writer"]);
});

test("a2a: sendMessage gets the agent's answer", async () => {
  const answer = await (await client("Echo")).sendMessage(request("hi"));
  assert.equal(textOf(answer), "echo: hi");
});

test("a2a: sendMessageStream yields the task, each progress step, then the answer, in order", async () => {
  const events: StreamResponse["payload"][] = [];
  for await (const e of (await client("Writer")).sendMessageStream(request("cats"))) events.push(e.payload ?? undefined);
  assert.equal(events[0]?.$case, "task");
  const updates = events.slice(1).map((e) => (e?.$case === "statusUpdate" ? [e.value.status?.state, textOf(e.value.status?.message)] : [e?.$case]));
  assert.deepEqual(updates, [
    [TaskState.TASK_STATE_WORKING, "outline"],
    [TaskState.TASK_STATE_WORKING, "draft"],
    [TaskState.TASK_STATE_WORKING, "edit"],
    [TaskState.TASK_STATE_COMPLETED, "essay about cats"],
  ]);
  const taskId = events[0]?.$case === "task" ? events[0].value.id : "";
  const task = await (await client("Writer")).getTask({ tenant: "", id: taskId, historyLength: 0 });
  assert.equal(task.status?.state, TaskState.TASK_STATE_COMPLETED);
});

test("a2a: sendMessage with returnImmediately gets a working task at once, and getTask follows it to the answer", async () => {
  const a2a = await client("Writer");
  const first = await a2a.sendMessage({ ...request("dogs"), configuration: { acceptedOutputModes: [], taskPushNotificationConfig: undefined, returnImmediately: true } });
  assert.ok("status" in first, "a task");
  assert.equal(first.status?.state, TaskState.TASK_STATE_WORKING);
  await eventually("the task completes", async () => (await a2a.getTask({ tenant: "", id: first.id, historyLength: 0 })).status?.state === TaskState.TASK_STATE_COMPLETED);
  assert.equal(textOf((await a2a.getTask({ tenant: "", id: first.id, historyLength: 0 })).status?.message), "essay about dogs");
});

test("a2a: cancelTask aborts the handler (its signal fires) and ends the stream cancelled", async () => {
  const a2a = await client("Slow");
  const stream = a2a.sendMessageStream(request("wait"));
  const first = await stream.next();
  const task = first.value?.payload;
  assert.equal(task?.$case, "task");
  if (task?.$case !== "task") return;
  await slow.started.promise;
  const cancelled = await a2a.cancelTask({ tenant: "", id: task.value.id, metadata: undefined });
  assert.equal(cancelled.status?.state, TaskState.TASK_STATE_CANCELED);
  await slow.aborted.promise;
  let last: StreamResponse | undefined;
  for await (const e of { [Symbol.asyncIterator]: () => stream }) last = e;
  assert.equal(last?.payload?.$case === "statusUpdate" && last.payload.value.status?.state, TaskState.TASK_STATE_CANCELED);
});

test("a2a: a second message with the same contextId lands in the same natter thread", async () => {
  const a2a = await client("Threads");
  const first = await a2a.sendMessage(request("one"));
  const contextId = (first as { contextId: string }).contextId;
  assert.ok(contextId);
  const second = await a2a.sendMessage(request("two", contextId));
  assert.equal((second as { contextId: string }).contextId, contextId);
  assert.deepEqual(threads, [contextId, contextId]);
});

test("a2a: an offline or unknown agent gets the unavailable error at once", async () => {
  const host = await b.host(defineAgent({ name: "Brief", onRequest: () => "here" }));
  const a2a = await client("Brief");
  assert.equal(textOf(await a2a.sendMessage(request("x"))), "here");
  await host.stop();
  await eventually("Brief goes offline in the bridge", async () => (await fetch(`${bridge.url}/agents/Brief/.well-known/agent-card.json`)).status === 404);
  for (const send of [() => a2a.sendMessage(request("x")), async () => (await client("Nobody")).sendMessage(request("x"))]) {
    const t0 = Date.now();
    await assert.rejects(send());
    assert.ok(Date.now() - t0 < 2000, `took ${Date.now() - t0} ms`);
  }
  const raw = await rpc("Brief", { jsonrpc: "2.0", id: 1, method: "SendMessage", params: { message: { messageId: "m", role: "ROLE_USER", parts: [{ text: "x" }] } } });
  assert.equal(raw.status, 503);
  assert.equal(raw.body.error?.code, -32000);
});

test("a2a: a natter requestByCapability reaches a remote A2A agent through the proxy; a stopped remote is a typed error", async () => {
  const remote = await startRemoteA2a({ name: "Remote Translator", skill: "translate", prefix: "translated: " });
  const proxy = await defineA2AProxy({ url: remote.url, timeoutMs: 5000 });
  assert.equal(proxy.name, "Remote-Translator");
  const host = await b.host(proxy);
  try {
    assert.equal((await b.client.requestByCapability("translate", "hola", { timeoutMs: 10_000 })).content, "translated: hola");
    await remote.stop();
    const t0 = Date.now();
    await assert.rejects(b.client.requestByCapability("translate", "hola", { timeoutMs: 10_000 }), (err: unknown) => {
      assert.ok(err instanceof NatterError, String(err));
      assert.equal(err.code, "unavailable", err.message);
      return true;
    });
    assert.ok(Date.now() - t0 < 5000, `took ${Date.now() - t0} ms`);
  } finally {
    await host.stop();
  }
});

test("a2a: a proxy for a URL where nothing answers fails with AgentUnavailableError", async () => {
  const remote = await startRemoteA2a({ name: "Gone", skill: "x", prefix: "" });
  await remote.stop();
  await assert.rejects(defineA2AProxy({ url: remote.url }), { name: "AgentUnavailableError" });
});

async function rpc(agent: string, body: unknown, init: RequestInit = {}): Promise<{ status: number; body: { error?: { code: number; message: string } } }> {
  const res = await fetch(`${bridge.url}/agents/${agent}`, { method: "POST", headers: { "content-type": "application/json" }, body: typeof body === "string" ? body : JSON.stringify(body), ...init });
  return { status: res.status, body: (await res.json()) as { error?: { code: number; message: string } } };
}

test("a2a: bad input gets a JSON-RPC error and the right HTTP status, and the bridge keeps serving", async () => {
  const cases: [string, string, unknown, number, number][] = [
    ["malformed JSON", "Echo", "{not json", 400, -32700],
    ["not JSON-RPC", "Echo", { hello: 1 }, 400, -32600],
    ["unknown method", "Echo", { jsonrpc: "2.0", id: 1, method: "Nope" }, 200, -32601],
    ["missing message", "Echo", { jsonrpc: "2.0", id: 1, method: "SendMessage", params: {} }, 200, -32602],
    ["bad contextId", "Echo", { jsonrpc: "2.0", id: 1, method: "SendMessage", params: { message: { messageId: "m", contextId: "a b", parts: [{ text: "x" }] } } }, 200, -32602],
    ["file part", "Echo", { jsonrpc: "2.0", id: 1, method: "SendMessage", params: { message: { messageId: "m", parts: [{ url: "http://x" }] } } }, 200, -32005],
    ["unknown task", "Echo", { jsonrpc: "2.0", id: 1, method: "GetTask", params: { id: "nope" } }, 200, -32001],
    ["invalid agent name", "bad.name", { jsonrpc: "2.0", id: 1, method: "SendMessage" }, 400, -32600],
    ["oversized body", "Echo", JSON.stringify({ jsonrpc: "2.0", id: 1, method: "SendMessage", pad: "x".repeat(2 * 1024 * 1024) }), 413, -32600],
  ];
  for (const [what, agent, body, status, code] of cases) {
    const r = await rpc(agent, body);
    assert.equal(r.status, status, what);
    assert.equal(r.body.error?.code, code, `${what}: ${r.body.error?.message}`);
  }
  // Chunked, so no Content-Length tells the size up front.
  const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
  const chunked = new ReadableStream<Uint8Array>({ start: (c) => (Array.from({ length: 40 }, () => c.enqueue(chunk)), c.close()) });
  const big = await fetch(`${bridge.url}/agents/Echo`, { method: "POST", headers: { "content-type": "application/json" }, body: chunked, duplex: "half" } as RequestInit);
  assert.equal(big.status, 413, "oversized chunked body");
  assert.equal(textOf(await (await client("Echo")).sendMessage(request("still here"))), "echo: still here");
});

test("a2a: with a token, requests without it get 401 and requests with it are served", async () => {
  const token = "s3cret-token-of-20-chars";
  const guarded = await startA2aBridge({ config: b.config, port: 0, token });
  try {
    const card = `${guarded.url}/agents/Echo/.well-known/agent-card.json`;
    assert.equal((await fetch(card)).status, 401);
    assert.equal((await fetch(card, { headers: { authorization: "Bearer wrong-token-of-20-chars" } })).status, 401);
    assert.equal((await fetch(card, { headers: { authorization: `Bearer ${token}` } })).status, 200);
  } finally {
    await guarded.close();
  }
  await assert.rejects(startA2aBridge({ config: b.config, port: 0, token: "short" }), { name: "ConfigError" });
});

test("a2a: the CLI serves the agents (natter a2a) and runs a remote A2A agent (natter a2a add); bad flags exit 2", { timeout: 120_000 }, async () => {
  const serve = spawnNatter(b.srv.url, ["a2a", "--port", "0"]);
  const remote = await startRemoteA2a({ name: "CliRemote", skill: "shout", prefix: "loud: " });
  const add = spawnNatter(b.srv.url, ["a2a", "add", remote.url, "--as", "Shouter"]);
  try {
    const agents = (await firstLine(serve)).replace(/^natter a2a: /, "");
    assert.match(await firstLine(add), /runs as agent Shouter \(shout\)/);
    assert.equal((await b.client.requestByCapability("shout", "hey")).content, "loud: hey");
    await eventually("the served list shows Shouter", async () => ((await (await fetch(agents)).json()) as { agents: { name: string }[] }).agents.some((a) => a.name === "Shouter"));
    const viaBoth = await new ClientFactory().createFromUrl(`${agents}/Shouter/`);
    assert.equal(textOf(await viaBoth.sendMessage(request("both ways"))), "loud: both ways");
  } finally {
    // Both are followed before either is awaited: a child that closed before finished() listened would never resolve it.
    const ended = [finished(serve), finished(add)];
    serve.kill("SIGTERM");
    add.kill("SIGTERM");
    assert.deepEqual((await Promise.all(ended)).map((r) => r.code), [0, 0]);
    await remote.stop();
  }
  for (const args of [["a2a", "--port", "x"], ["a2a", "add"], ["a2a", "add", "ftp://x"], ["a2a", "--token", "short"]]) {
    const run = await natter(b.srv.url, args);
    assert.equal(run.code, 2, `${args.join(" ")}: ${run.stderr}`);
  }
});

test("a2a: a streamed request that fails at once ends its stream failed and leaves no progress consumer behind", async () => {
  // No onRequest: every request is refused as soon as it arrives, before or while the bridge opens its progress reader.
  const host = await b.host(defineAgent({ name: "Mute", onMessage: () => undefined }));
  try {
    const consumers = async () => (await b.client.bus.jsm.streams.info(b.config.stream)).state.consumer_count;
    const before = await consumers();
    const a2a = await client("Mute");
    for (let i = 0; i < 10; i++) {
      let last: StreamResponse | undefined;
      const read = (async () => {
        for await (const e of a2a.sendMessageStream(request(`x${i}`))) last = e;
      })();
      const ended = await Promise.race([read.then(() => true), new Promise<false>((r) => setTimeout(() => r(false), 10_000).unref())]);
      assert.ok(ended, `stream ${i} never ended`);
      assert.equal(last?.payload?.$case === "statusUpdate" && last.payload.value.status?.state, TaskState.TASK_STATE_FAILED);
    }
    await eventually("the progress consumers are gone", async () => (await consumers()) <= before);
  } finally {
    await host.stop();
  }
});

test("a2a: a remote task that stops for input fails the request at once with its question; one natter gives up on is cancelled remotely", async () => {
  const remote = await startRemoteA2a({ name: "Asker", skill: "ask", prefix: "" });
  const host = await b.host(await defineA2AProxy({ url: remote.url, timeoutMs: 1500 }));
  try {
    const t0 = Date.now();
    await assert.rejects(b.client.requestFromAgent("Asker", "ask: translate", { timeoutMs: 20_000 }), (err: unknown) => {
      assert.ok(err instanceof NatterError, String(err));
      assert.equal(err.code, "handler_error", err.message);
      assert.match(err.message, /needs more input: which language\?/);
      return true;
    });
    assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms: it waited for the proxy's timeout`);
    await assert.rejects(b.client.requestFromAgent("Asker", "hold: forever", { timeoutMs: 20_000 }), (err: unknown) => err instanceof NatterError && err.code === "timeout");
    for (const text of ["ask: translate", "hold: forever"]) await eventually(`the remote task of "${text}" is cancelled`, async () => (await remote.taskState(text)) === TaskState.TASK_STATE_CANCELED);
  } finally {
    await host.stop();
    await remote.stop();
  }
});

test("a2a: closing the bridge ends its open streams and leaves no progress consumer behind", async () => {
  const host = await b.host(defineAgent({ name: "Hang", onRequest: (_m, ctx) => new Promise<string>((resolve) => ctx.signal.addEventListener("abort", () => resolve("stopped"), { once: true })) }));
  const consumers = async () => (await b.client.bus.jsm.streams.info(b.config.stream)).state.consumer_count;
  const before = await consumers();
  const own = await startA2aBridge({ config: b.config, port: 0 });
  let open = true;
  try {
    const stream = (await new ClientFactory().createFromUrl(`${own.url}/agents/Hang/`)).sendMessageStream(request("wait"));
    assert.equal((await stream.next()).value?.payload?.$case, "task");
    await eventually("the stream reads its progress", async () => (await consumers()) > before);
    await own.close();
    open = false;
    // The connection is gone: the stream ends, with or without an error.
    await (async () => {
      for await (const _ of { [Symbol.asyncIterator]: () => stream }) void _;
    })().catch(() => undefined);
    await eventually("the progress consumer is gone", async () => (await consumers()) <= before);
  } finally {
    if (open) await own.close();
    await host.stop();
  }
});

test("a2a: the task store drops its oldest tasks past its bounds on count and on answer text", () => {
  const store = new TaskStore({ maxTasks: 3, maxTextChars: 1000 });
  const ids = Array.from({ length: 4 }, (_, i) => store.create(`t${i}`, "Echo", "c").id);
  assert.deepEqual(ids.map((id) => store.get("Echo", id) !== undefined), [false, true, true, true]);
  for (const id of ids.slice(1)) store.update(store.get("Echo", id)!, TASK_STATE.completed, { messageId: `m-${id}`, text: "x".repeat(400) });
  // 1200 characters of answers: the oldest goes, the two newest (800) stay.
  assert.deepEqual(ids.map((id) => store.get("Echo", id) !== undefined), [false, false, true, true]);
  const big = store.create("big", "Echo", "c");
  store.update(big, TASK_STATE.completed, { messageId: "m-big", text: "y".repeat(5000) });
  assert.equal(store.get("Echo", "big")?.status?.text.length, 5000, "the newest task is kept even alone over the bound");
  assert.deepEqual(ids.map((id) => store.get("Echo", id) !== undefined), [false, false, false, false]);
});
