import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from "@opentelemetry/sdk-trace-base";
import { connectClient, defineAgent, loadConfig, startHost, type Client, type Host } from "../../src/index.ts";
import { createOpenAIModel } from "../../src/llm/client.ts";
import { loadLLMConfig } from "../../src/llm/config.ts";
import { defineLLMAgent } from "../../src/llm/define-llm-agent.ts";
import { eventually } from "../helpers/eventually.ts";
import { startFakeLLM, type FakeLLM } from "../helpers/fake-llm.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

const exporter = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));

let srv: TestServer;
let fake: FakeLLM;
let host: Host;
let client: Client;

before(async () => {
  srv = await startServer();
  fake = await startFakeLLM((req) => {
    const toolResult = req.messages.find((m) => m.role === "tool");
    if (toolResult) return { content: `tool said: ${toolResult.content}` };
    return { toolCalls: [{ name: "ask_agent", arguments: { agent: "Sky", question: "Paris tomorrow?" } }] };
  });
  const model = createOpenAIModel(loadLLMConfig({ OPENAI_BASE_URL: fake.url, NATTER_MODEL: "fake-model", NATTER_LLM_MAX_RETRIES: "0" }));
  const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "warn" });
  const bot = defineAgent(defineLLMAgent({ name: "Trace-Bot", instructions: "Ask Sky.", model }));
  const sky = defineAgent({ name: "Sky", onRequest: (msg) => `sunny for "${msg.content}"` });
  host = await startHost({ agents: [bot, sky], config });
  client = await connectClient({ name: "tester", config });
});

after(async () => {
  await client.close();
  await host.stop();
  await fake.close();
  await srv.dispose();
});

test("tracing: an LLM agent's model calls and tool calls are spans of its handler run, with the GenAI attributes", async () => {
  const reply = await client.requestFromAgent("Trace-Bot", "weather?", { timeoutMs: 20_000 });
  assert.match(reply.content, /^tool said: .*sunny for "Paris tomorrow\?"/);
  const spans = await eventually("the bot's handler span", async () => {
    const all = exporter.getFinishedSpans();
    return all.some((s) => s.name === "process request" && s.attributes["natter.agent"] === "Trace-Bot") ? all : undefined;
  });
  const id = (s: ReadableSpan) => s.spanContext().spanId;
  const run = spans.find((s) => s.name === "process request" && s.attributes["natter.agent"] === "Trace-Bot")!;
  const chats = spans.filter((s) => s.name === "chat fake-model");
  assert.equal(chats.length, 2, "two model calls: the tool call, then the answer");
  for (const chat of chats) {
    assert.equal(chat.parentSpanContext?.spanId, id(run));
    assert.equal(chat.attributes["gen_ai.request.model"], "fake-model");
    assert.equal(typeof chat.attributes["gen_ai.usage.input_tokens"], "number");
    assert.equal(typeof chat.attributes["gen_ai.usage.output_tokens"], "number");
  }
  const tool = spans.find((s) => s.name === "execute_tool ask_agent");
  assert.ok(tool, "the tool call is a span");
  assert.equal(tool.parentSpanContext?.spanId, id(run));
  // The tool's question to Sky is part of the same trace, sent from the handler run.
  const asked = spans.find((s) => s.name === "process request" && s.attributes["natter.agent"] === "Sky")!;
  const send = spans.find((s) => id(s) === asked.parentSpanContext?.spanId)!;
  assert.equal(send.name, "send request");
  assert.equal(send.spanContext().traceId, run.spanContext().traceId);
});
