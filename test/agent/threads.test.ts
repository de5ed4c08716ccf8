import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { defineAgent, RemoteError, type Envelope } from "../../src/index.ts";
import { eventually, setup, type Bench } from "../helpers/in-process.ts";

let b: Bench;
const seen: Envelope[] = [];
const aborted: { agent: string; reason: string }[] = [];
const recalled: Envelope[] = [];

function waitForAbort(signal: AbortSignal, agent: string): Promise<never> {
  return new Promise((_, reject) => {
    const fire = () => {
      aborted.push({ agent, reason: String((signal.reason as Error)?.message) });
      reject(signal.reason);
    };
    if (signal.aborted) fire();
    else signal.addEventListener("abort", fire, { once: true });
  });
}

before(async () => {
  b = await setup();
  await b.host(
    defineAgent({
      name: "Planner",
      async onMessage(msg, ctx) {
        seen.push(msg);
        if (msg.content === "plan") {
          await ctx.handoffToAgent("Worker", "do the work");
          const answer = await ctx.requestFromAgent("Worker", "how long?");
          seen.push(answer);
        }
        if (msg.content === "long") await ctx.requestFromAgent("Worker", "wait", { timeoutMs: 60_000 });
        if (msg.content === "recall") recalled.push(...(await ctx.thread()));
      },
      async onRequest(msg, ctx) {
        seen.push(msg);
        if (msg.content === "relay") return (await ctx.requestFromAgent("Worker", "wait", { timeoutMs: 60_000 })).content;
        return "ok";
      },
    }),
    defineAgent({
      name: "Worker",
      async onMessage(msg) {
        seen.push(msg);
      },
      async onRequest(msg, ctx) {
        seen.push(msg);
        if (msg.content === "wait") await waitForAbort(ctx.signal, "Worker");
        return "two days";
      },
    }),
  );
});
after(async () => b.dispose());

test("threads: a new conversation starts a thread, and handoffs, requests and replies inherit it", async () => {
  const sent = await b.client.sendDirectMessage("Planner", "plan", {}, { notify: false });
  assert.equal(sent.envelope.threadId, sent.envelope.id, "a new conversation is its own thread");
  await eventually("the chain", () => seen.some((m) => m.type === "response" && m.from === "Worker"));
  const thread = seen.filter((m) => m.threadId === sent.envelope.id);
  assert.deepEqual(
    thread.map((m) => `${m.type}:${m.from}->${m.to}`),
    ["direct:tester->Planner", "handoff:Planner->Worker", "request:Planner->Worker", "response:Worker->Planner"],
  );
  const request = thread.find((m) => m.type === "request")!;
  assert.equal(thread.find((m) => m.type === "response")!.inReplyTo, request.id);
});

test("threads: ctx.thread() gives a handler the stored history of its conversation", async () => {
  const start = seen.find((m) => m.content === "plan")!;
  await b.client.sendDirectMessage("Planner", "recall", {}, { threadId: start.threadId!, notify: false });
  await eventually("the recall", () => recalled.length > 0);
  const lines = recalled.map((m) => `${m.type}:${m.from}->${m.to}:${m.content}`);
  assert.deepEqual(lines.slice(0, 2), ["direct:tester->Planner:plan", "handoff:Planner->Worker:do the work"]);
  assert.ok(lines.includes("response:Worker->Planner:done"), "the handoff's completion notice is part of it");
  assert.equal(lines.at(-1), "direct:tester->Planner:recall");
  assert.ok(recalled.every((m) => m.threadId === start.threadId));
});

test("deadlines: the handler's signal fires at the deadline, and work it starts inherits the remaining time", async () => {
  const started = Date.now();
  await assert.rejects(b.client.requestFromAgent("Planner", "relay", { deadline: new Date(Date.now() + 700), timeoutMs: 10_000 }), (err: unknown) => {
    // Planner's own request to Worker carried the deadline: Worker's signal fired, so Planner's request failed.
    assert.ok(err instanceof RemoteError || (err as Error).name === "RequestTimeoutError", String(err));
    return true;
  });
  assert.ok(Date.now() - started < 5000, "ended at the deadline, not the 10 s timeout");
  await eventually("Worker's signal", () => aborted.some((a) => a.agent === "Worker"));
});

test("cancellation: cancelling a thread reaches every agent working on it", async () => {
  aborted.length = 0;
  const sent = await b.client.sendDirectMessage("Planner", "long", {}, { notify: false });
  await eventually("Worker to be waiting", () => seen.some((m) => m.threadId === sent.envelope.id && m.to === "Worker" && m.content === "wait"));
  await b.client.cancel(sent.envelope.threadId!, "changed my mind");
  await eventually("the Worker's handler to abort", () => aborted.some((a) => a.agent === "Worker" && /cancelled by tester: changed my mind/.test(a.reason)));
  // Planner's handler was cancelled too: its message is acknowledged, not retried.
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(seen.filter((m) => m.id === sent.envelope.id).length, 1, "the cancelled message is not redelivered");
});
