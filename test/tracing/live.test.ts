import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { connectClient, defineAgent, loadConfig, startHost, type Client, type Host } from "../../src/index.ts";
import { eventually } from "../helpers/eventually.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

const exporter = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));

let srv: TestServer;
let host: Host;
let client: Client;
const seenActive: { what: string; spanId: string | undefined }[] = [];

before(async () => {
  srv = await startServer();
  const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "warn" });
  const listener = defineAgent({
    name: "Listener",
    groups: ["room"],
    onBroadcast: () => undefined,
    onGroupMessage: () => undefined,
    async onRequest(msg, ctx) {
      await ctx.progress("half way");
      return `done ${msg.content}`;
    },
  });
  // A handler whose own code is instrumented: its spans must be children of the handler run (the ALS manager is registered).
  const userTracer = trace.getTracer("user-code");
  const nested = async (what: string) => {
    await new Promise((resolve) => setImmediate(resolve));
    seenActive.push({ what, spanId: trace.getActiveSpan()?.spanContext().spanId });
    await userTracer.startActiveSpan(`user ${what}`, async (span) => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      span.end();
    });
  };
  const worker = defineAgent({
    name: "Instrumented",
    onRequest: async (msg) => (await nested("request"), msg.content),
    onMessage: async () => nested("direct"),
    onBroadcast: async (msg) => (msg.content === "instrumented" ? nested("broadcast") : undefined),
  });
  host = await startHost({ agents: [listener, worker], config });
  client = await connectClient({ name: "tester", config });
});

after(async () => {
  await client.close();
  await host.stop();
  await srv.dispose();
});

const id = (s: ReadableSpan) => s.spanContext().spanId;
const ofMessage = (messageId: string, name: string) => (s: ReadableSpan) => s.name === name && s.attributes["messaging.message.id"] === messageId;

test("tracing: broadcasts and group posts are traced from sender to each listener's handler run", async () => {
  const broadcast = await client.broadcastMessage("hello all");
  const post = await client.postToGroup("room", "hello room");
  for (const [sent, kind] of [[broadcast, "broadcast"], [post, "group"]] as const) {
    const [send, run] = await eventually(`the ${kind} spans`, async () => {
      const spans = exporter.getFinishedSpans();
      const s = spans.find(ofMessage(sent.envelope.id, `send ${kind}`));
      const r = spans.find(ofMessage(sent.envelope.id, `process ${kind}`));
      return s && r ? [s, r] : undefined;
    });
    assert.equal(run.parentSpanContext?.spanId, id(send), `${kind}: the handler run is the send's child`);
    assert.equal(run.attributes["natter.agent"], "Listener");
  }
});

test("tracing: a streamed request's progress is sent from its handler run, and the answer names that run", async () => {
  const streamed = await client.requestStream("Listener", "job", { timeoutMs: 10_000 });
  const answer = await streamed.result;
  assert.equal(answer.content, "done job");
  const spans = await eventually("the request's spans", async () => {
    const all = exporter.getFinishedSpans();
    return all.some(ofMessage(streamed.id, "send request")) && all.some((s) => s.name === "send progress") ? all : undefined;
  });
  const run = spans.find(ofMessage(streamed.id, "process request"))!;
  assert.equal(run.parentSpanContext?.spanId, id(spans.find(ofMessage(streamed.id, "send request"))!));
  const progress = spans.find((s) => s.name === "send progress" && s.attributes["natter.to"] === "tester")!;
  assert.equal(progress.parentSpanContext?.spanId, id(run));
});

test("tracing: with a context manager registered, a handler's own spans and trace.getActiveSpan() see the handler run as parent", async () => {
  const asked = await client.requestFromAgent("Instrumented", "q", { timeoutMs: 10_000 });
  const sent = await client.sendDirectMessage("Instrumented", "work", {}, { notify: false });
  const heard = await client.broadcastMessage("instrumented");
  const byKind = { request: asked.inReplyTo!, direct: sent.envelope.id, broadcast: heard.envelope.id };
  for (const [kind, messageId] of Object.entries(byKind)) {
    const [run, mine] = await eventually(`the ${kind} handler's spans`, async () => {
      const spans = exporter.getFinishedSpans();
      const r = spans.find((s) => ofMessage(messageId, `process ${kind}`)(s) && s.attributes["natter.agent"] === "Instrumented");
      const m = r && spans.find((s) => s.name === `user ${kind}` && s.parentSpanContext?.spanId === id(r));
      return r && m ? [r, m] : undefined;
    });
    assert.equal(mine.spanContext().traceId, run.spanContext().traceId, `${kind}: the handler's span is in the message's trace`);
    assert.equal(seenActive.find((s) => s.what === kind)?.spanId, id(run), `${kind}: trace.getActiveSpan() in the handler is its run`);
  }
});
