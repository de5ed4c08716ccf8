import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createLogger, loadConfig } from "../../src/index.ts";
import { runDemoFlow, DEMO_AGENTS } from "../../scripts/demo/flow.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import { startFakeLLM, type FakeLLM, type FakeReply, type FakeRequest } from "../helpers/fake-llm.ts";

const { weather: W, coordinator: C, assistant: A } = DEMO_AGENTS;
let srv: TestServer;
let fake: FakeLLM;

/** A scripted "model": what each agent's model does, decided from its system prompt and the conversation. */
function script(req: FakeRequest): FakeReply {
  const system = req.messages[0]?.content ?? "";
  const self = /^You are ([\w-]+),/.exec(system)?.[1];
  const user = [...req.messages].reverse().find((m) => m.role === "user")?.content ?? "";
  const results = req.messages.slice(req.messages.lastIndexOf([...req.messages].reverse().find((m) => m.role === "user")!)).filter((m) => m.role === "tool");
  const last = results.at(-1)?.content ?? "";
  if (self === W) return results.length ? { content: `Here you go: ${last}` } : { toolCalls: [{ name: "get_weather", arguments: { location: /Paris|Tokyo|London|Berlin|Rome/.exec(user)?.[0] ?? "Nowhere" } }] };
  if (self === C) {
    if (results.length) return { content: `Done: ${last}` };
    if (user.includes("Broadcast")) return { toolCalls: [{ name: "broadcast_message", arguments: { message: "Hello from the coordinator" } }] };
    if (user.includes(`Send ${W}`)) return { toolCalls: [{ name: "send_direct_message", arguments: { agent: W, message: "Forecast for Paris, please" } }] };
    if (user.includes("Hand off")) return { toolCalls: [{ name: "hand_off_to_agent", arguments: { agent: A, task: "Plan the offsite agenda" } }] };
    return { content: "Thanks, noted." };
  }
  if (user.includes("Tokyo")) return results.length ? { content: last } : { toolCalls: [{ name: "ask_agent", arguments: { agent: W, question: "Weather in Tokyo?" } }] };
  if (user.includes("Rome")) return results.length ? { content: last } : { toolCalls: [{ name: "ask_agent", arguments: { agent: W, question: "Weather in Rome?" } }] };
  if (user.includes("London")) {
    if (results.length === 0) return { toolCalls: [{ name: "ask_agent", arguments: { agent: W, question: "Weather in London?" } }] };
    if (results.length === 1) return { toolCalls: [{ name: "send_direct_message", arguments: { agent: C, message: `FYI from ${A}: ${last}` } }] };
    return { content: "Reported to the coordinator." };
  }
  return { content: "Agenda: 9:00 kickoff, 12:00 lunch, 15:00 retro." };
}

before(async () => {
  srv = await startServer();
  fake = await startFakeLLM(script, ["fake-model"]);
  Object.assign(process.env, { OPENAI_BASE_URL: fake.url, NATTER_MODEL: "fake-model", NATTER_LLM: "openai", NATTER_LLM_MAX_RETRIES: "0" });
});
after(async () => {
  await fake.close();
  await srv.dispose();
});

/** What the model of `agent` was given as the incoming message, per run. */
function incoming(agent: string): string[] {
  return fake.requests
    .filter((r) => r.messages[0]?.content?.startsWith(`You are ${agent},`) && r.messages.at(-1)?.role === "user")
    .map((r) => r.messages.at(-1)!.content ?? "");
}

test("demo: the model's tool calls travel over NATS between the three agents in all eight steps", async () => {
  const lines: string[] = [];
  const logs: string[] = [];
  const logger = createLogger({ level: "info", write: (l) => logs.push(l) });
  const run = await runDemoFlow({ config: loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "info" }), logger, out: (l) => lines.push(l), stepTimeoutMs: 15_000 });
  try {
    assert.deepEqual(run.failed, [], lines.join("\n"));
    assert.deepEqual(run.passed, [1, 2, 3, 4, 5, 6, 7, 8]);
    // Step 8 streamed the assistant's tool call as stored progress before the answer.
    assert.ok(lines.some((l) => /progress #\d+: step 1: ask_agent/.test(l)), lines.join("\n"));
    // What each receiving agent's model was handed came over the bus from the agent whose model called the tool.
    assert.ok(incoming(W).includes(`[${C} sent you a direct message]\nForecast for Paris, please`), incoming(W).join("\n"));
    assert.ok(incoming(W).includes(`[${A} asks and waits for your answer]\nWeather in Tokyo?`));
    assert.ok(incoming(W).includes(`[${A} asks and waits for your answer]\nWeather in London?`));
    assert.ok(incoming(A).includes(`[${C} handed this task to you]\nPlan the offsite agenda`));
    assert.ok(incoming(C).some((m) => m.startsWith(`[${A} sent you a direct message]\nFYI from ${A}: ${W} answered: Here you go: SIMULATED forecast for London`)), incoming(C).join("\n"));
    // The tool results the models saw are the other agents' real answers.
    const tokyo = fake.requests.find((r) => r.messages[0]?.content?.startsWith(`You are ${A},`) && r.messages.at(-1)?.role === "tool" && /Tokyo/.test(r.messages.at(-1)?.content ?? ""));
    assert.match(tokyo?.messages.at(-1)?.content ?? "", /^Weather-Bot answered: Here you go: SIMULATED forecast for Tokyo/);
    // The orient step showed each model the live registry of its peers.
    assert.match(fake.requests.find((r) => r.messages[0]?.content?.startsWith(`You are ${C},`))!.messages[0]!.content!, /- Weather-Bot \[(available|busy)\] capabilities: weather, forecast/);
    const broadcast = run.tap.seen.find((c) => c.envelope.type === "broadcast");
    assert.equal(broadcast?.envelope.content, "Hello from the coordinator");
    assert.ok(lines.some((l) => l.includes("Step 8/8")));
    // Token usage is logged per run: Weather-Bot's runs are two model calls of 10 + 5 tokens each.
    assert.ok(logs.some((l) => /llm\.run .*agent=Weather-Bot .*model="openai fake-model".*total_tokens=30/.test(l)), logs.filter((l) => l.includes("llm.run")).join("\n"));
    assert.ok(!lines.join("\n").includes("offline planner"), "a real (fake) model run is not labelled as the planner");
  } finally {
    await run.stop();
  }
});
