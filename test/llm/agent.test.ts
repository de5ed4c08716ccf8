import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { connectClient, defineAgent, loadConfig, startHost, type AgentDefinition, type Client, type Host } from "../../src/index.ts";
import { createOpenAIModel } from "../../src/llm/client.ts";
import { loadLLMConfig } from "../../src/llm/config.ts";
import { defineLLMAgent } from "../../src/llm/define-llm-agent.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import { startFakeLLM, type FakeLLM } from "../helpers/fake-llm.ts";

let srv: TestServer;
let fake: FakeLLM;
let host: Host;
let client: Client;

before(async () => {
  srv = await startServer();
  fake = await startFakeLLM((req) => {
    const toolResult = req.messages.find((m) => m.role === "tool");
    if (toolResult) return { content: `tool said: ${toolResult.content}` };
    if (req.messages.some((m) => m.role === "user" && m.content?.includes("route this"))) {
      return { toolCalls: [{ name: "ask_by_capability", arguments: { capability: "weather", question: "Paris tomorrow?" } }] };
    }
    return { content: `answer ${req.messages.filter((m) => m.role === "user").length}` };
  });
  const model = createOpenAIModel(loadLLMConfig({ OPENAI_BASE_URL: fake.url, NATTER_MODEL: "fake-model", NATTER_LLM_MAX_RETRIES: "0" }));
  // Typed as the runtime's definition and validated by defineAgent: an LLM agent is an ordinary agent module.
  const bot: AgentDefinition = defineAgent(defineLLMAgent({ name: "Memo-Bot", instructions: "Remember the conversation.", capabilities: ["memory"], model }));
  const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "warn" });
  const sky = defineAgent({ name: "Sky", capabilities: ["weather"], onRequest: (msg) => `sunny for "${msg.content}"` });
  host = await startHost({ agents: [bot, sky], config });
  client = await connectClient({ name: "tester", config });
});
after(async () => {
  await client.close();
  await host.stop();
  await fake.close();
  await srv.dispose();
});

test("llm agent: observe hands the model the thread so far, read from the stream, and requests get the answer", async () => {
  await client.sendDirectMessage("Memo-Bot", "my name is Ada", {}, { threadId: "t-memo" });
  // The first answer goes back as a stored completion notice; wait until the stream has it.
  const noticed = async () => (await client.thread("t-memo")).some((e) => e.type === "response" && e.from === "Memo-Bot");
  for (let i = 0; i < 200 && !(await noticed()); i++) await sleep(50);
  const reply = await client.requestFromAgent("Memo-Bot", "what is my name?", { threadId: "t-memo", timeoutMs: 10_000 });
  assert.equal(reply.content, "answer 2");
  const seen = fake.requests.at(-1)!.messages.map((m) => `${m.role}: ${m.content}`);
  assert.deepEqual(seen.slice(1), ["user: [earlier: tester to Memo-Bot, direct]\nmy name is Ada", "assistant: answer 1", "user: [tester asks and waits for your answer]\nwhat is my name?"]);
  assert.match(seen[0]!, /^system: You are Memo-Bot, an agent on a NATS message bus/);
  assert.ok(fake.requests[0]!.tools?.some((t) => t.function.name === "ask_agent"), "the talking tools are offered");
});

test("llm agent: the model routes by capability with a tool, and the question really crosses NATS", async () => {
  const reply = await client.requestFromAgent("Memo-Bot", "please route this weather question", { timeoutMs: 10_000 });
  assert.equal(reply.content, 'tool said: Sky (has weather) answered: sunny for "Paris tomorrow?"');
});
