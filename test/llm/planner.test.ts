import { test } from "node:test";
import assert from "node:assert/strict";
import * as v from "valibot";
import { createLogger } from "../../src/logger.ts";
import { runLoop } from "../../src/llm/ooda.ts";
import { createOfflinePlanner } from "../../src/llm/planner.ts";
import { incomingMessage, systemPrompt } from "../../src/llm/prompt.ts";
import { talkTools, type PeerInfo, type TalkContext } from "../../src/llm/talk-tools.ts";
import { tool } from "../../src/llm/tools.ts";
import { createEnvelope } from "../../src/protocol/envelope.ts";

const PEERS: PeerInfo[] = [
  { name: "Weather-Bot", description: "weather", capabilities: ["weather"], tools: [], status: "available" },
  { name: "Task-Coordinator", description: "routes", capabilities: ["coordination"], tools: [], status: "available" },
];

/** A talking context that records what would have been sent instead of sending it. */
function recorder(self: string, peers: PeerInfo[]) {
  const sent: string[] = [];
  const env = (to: string, content: string) => ({ envelope: createEnvelope({ type: "direct", from: self, to, content }) });
  const ctx: TalkContext = {
    name: self,
    sendDirectMessage: async (to, content) => (sent.push(`direct ${to}: ${content}`), env(to, content)),
    handoffToAgent: async (to, content) => (sent.push(`handoff ${to}: ${content}`), env(to, content)),
    broadcastMessage: async (content) => (sent.push(`broadcast: ${content}`), env("x", content)),
    requestFromAgent: async (to, content) => (sent.push(`request ${to}: ${content}`), createEnvelope({ type: "response", from: to, to: self, content: "Sunny, 20 °C" })),
    listAgents: async () => peers,
    findAgents: async (cap) => peers.filter((p) => p.capabilities.includes(cap)),
    requestByCapability: async (cap, content) => (sent.push(`request by ${cap}: ${content}`), createEnvelope({ type: "response", from: "Weather-Bot", to: self, content: "Sunny, 20 °C" })),
  };
  return { ctx, sent };
}

async function plan(self: string, text: string, extra: ReturnType<typeof tool>[] = [], peers = PEERS) {
  const { ctx, sent } = recorder(self, peers);
  const message = createEnvelope({ type: "request", from: "Demo", to: self, content: text });
  const result = await runLoop({
    model: createOfflinePlanner(),
    messages: [{ role: "system", content: systemPrompt(self, "be useful", peers.filter((p) => p.name !== self)) }, incomingMessage(message)],
    tools: [...extra, ...talkTools(ctx, { askTimeoutMs: 1000 })],
    maxSteps: 8,
    signal: new AbortController().signal,
    log: createLogger({ level: "silent" }),
  });
  return { result, sent };
}

test("planner: weather with its own weather tool calls that tool", async () => {
  let asked = "";
  const weather = tool({ name: "get_weather", description: "forecast", parameters: v.object({ location: v.string() }), run: ({ location }) => ((asked = location), `rain in ${location}`) });
  const { result, sent } = await plan("Weather-Bot", "What is the forecast for Paris?", [weather]);
  assert.equal(asked, "Paris");
  assert.deepEqual(sent, []);
  assert.equal(result.answer, "[offline planner] rain in Paris");
});

test("planner: weather without the tool finds the weather agent by capability, asks it, and reports to the named agent", async () => {
  const unnamed = await plan("General-Assistant", "What's the weather in Oslo?");
  assert.deepEqual(unnamed.result.tools.map((t) => t.name), ["find_agents_by_capability", "ask_agent"]);
  assert.deepEqual(unnamed.sent, ["request Weather-Bot: [offline planner] What is the weather forecast for Oslo?"]);
  const chained = await plan("General-Assistant", "Ask Weather-Bot for the weather in London and report it to Task-Coordinator.");
  assert.deepEqual(chained.sent, [
    "request Weather-Bot: [offline planner] What is the weather forecast for London?",
    "direct Task-Coordinator: [offline planner] FYI from General-Assistant: weather for London, as Weather-Bot reports: Sunny, 20 °C",
  ]);
  assert.match(chained.result.answer, /^\[offline planner\] /);
});

test("planner: broadcast, hand off and direct message rules, and an FYI is only noted", async () => {
  assert.deepEqual((await plan("Task-Coordinator", 'Broadcast to all agents: "hello"')).sent, ["broadcast: [offline planner] hello"]);
  assert.deepEqual((await plan("Task-Coordinator", 'Hand off to Weather-Bot: "watch the sky"')).sent, ["handoff Weather-Bot: [offline planner] watch the sky"]);
  assert.deepEqual((await plan("General-Assistant", "Tell Task-Coordinator that lunch is at noon")).sent, ["direct Task-Coordinator: [offline planner] Tell Task-Coordinator that lunch is at noon"]);
  const fyi = await plan("Task-Coordinator", "[offline planner] FYI from General-Assistant: weather for London is sunny");
  assert.deepEqual(fyi.sent, []);
  assert.match(fyi.result.answer, /^\[offline planner\] noted: FYI/);
  const none = await plan("General-Assistant", "Write a poem");
  assert.match(none.result.answer, /^\[offline planner\] General-Assistant got: "Write a poem". No rule matched/);
});

test("planner: a weather question with no weather agent running says so instead of inventing one", async () => {
  const { result, sent } = await plan("General-Assistant", "Weather in Rome?", [], [PEERS[1]!]);
  assert.deepEqual(sent, []);
  assert.equal(result.answer, '[offline planner] no running agent declares the capability "weather"');
});

test("planner: a direct-message weather request whose target is missing from the peer list finds it by capability and still sends", async () => {
  const { result, sent } = await plan("Task-Coordinator", "Send a direct message asking for the weather forecast in Paris.", [], PEERS.filter((p) => p.name === "Weather-Bot"));
  assert.deepEqual(result.tools.map((t) => t.name), ["find_agents_by_capability", "send_direct_message"]);
  assert.deepEqual(sent, ["direct Weather-Bot: [offline planner] What is the weather forecast for Paris?"]);
});
