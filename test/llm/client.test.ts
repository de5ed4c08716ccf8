import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import * as v from "valibot";
import { createLogger } from "../../src/logger.ts";
import { createOpenAIModel } from "../../src/llm/client.ts";
import { loadLLMConfig, type LLMConfig } from "../../src/llm/config.ts";
import { LLMError, type ChatModel } from "../../src/llm/model.ts";
import { runLoop } from "../../src/llm/ooda.ts";
import { selectModel } from "../../src/llm/select-model.ts";
import { tool } from "../../src/llm/tools.ts";
import { OFFLINE_LABEL } from "../../src/llm/planner.ts";
import { freePort } from "../helpers/nats-server.ts";
import { startFakeLLM, type FakeLLM } from "../helpers/fake-llm.ts";

const log = createLogger({ level: "silent" });
let fake: FakeLLM;
before(async () => {
  fake = await startFakeLLM(() => ({ content: "unset" }));
});
after(() => fake.close());

function config(overrides: Partial<LLMConfig> = {}): LLMConfig {
  return loadLLMConfig({ OPENAI_BASE_URL: fake.url, NATTER_MODEL: "fake-model", NATTER_LLM: "openai" }, overrides);
}

let added = 0;
const add = tool({
  name: "add",
  description: "Adds two numbers",
  parameters: v.object({ a: v.number(), b: v.number() }),
  run: ({ a, b }) => {
    added++;
    return String(a + b);
  },
});

function loop(model: ChatModel, maxSteps = 5) {
  return runLoop({ model, messages: [{ role: "user", content: "what is 2+3?" }], tools: [add], maxSteps, signal: new AbortController().signal, log });
}

const reset = (respond: FakeLLM["respond"]) => fake.reset(respond);

describe("llm client and loop against a chat-completions server", () => {
  test("llm: the model's tool call runs and its result is fed back until it answers", async () => {
    reset((req, n) => (n === 1 ? { toolCalls: [{ name: "add", arguments: { a: 2, b: 3 } }] } : { content: `<think>easy</think>The sum is ${req.messages.at(-1)?.content}` }));
    const result = await loop(createOpenAIModel(config()));
    assert.equal(result.answer, "The sum is 5");
    assert.equal(result.steps, 2);
    assert.deepEqual(result.usage, { promptTokens: 20, completionTokens: 10 });
    const offered = fake.requests[0]!.tools?.[0]?.function;
    assert.equal(offered?.name, "add");
    assert.deepEqual(offered?.parameters, { type: "object", properties: { a: { type: "number" }, b: { type: "number" } }, required: ["a", "b"] });
    const second = fake.requests[1]!.messages;
    assert.equal(second.at(-2)?.tool_calls?.[0]?.function.name, "add");
    assert.equal(second.at(-1)?.role, "tool");
  });

  test("llm: bad tool calls are reported back to the model and the tool does not run", async () => {
    const before = added;
    reset((_req, n) =>
      n === 1
        ? { toolCalls: [{ name: "add", arguments: { a: "two", b: 3 } }, { name: "add", arguments: "{not json" }, { name: "subtract", arguments: {} }] }
        : { content: "sorry" },
    );
    const result = await loop(createOpenAIModel(config()));
    assert.equal(added, before);
    assert.equal(result.answer, "sorry");
    const results = fake.requests[1]!.messages.filter((m) => m.role === "tool").map((m) => m.content ?? "");
    assert.match(results[0]!, /^error: invalid arguments for add: a: Invalid type: Expected number but received "two"/);
    assert.match(results[1]!, /^error: the arguments of add are not valid JSON/);
    assert.match(results[2]!, /^error: there is no tool named "subtract"; available: add/);
    assert.deepEqual(result.tools.map((t) => t.ok), [false, false, false]);
  });

  test("llm: a run that keeps calling tools stops at the step limit", async () => {
    reset(() => ({ toolCalls: [{ name: "add", arguments: { a: 1, b: 1 } }] }));
    const result = await loop(createOpenAIModel(config()), 3);
    assert.equal(result.truncated, true);
    assert.equal(fake.requests.length, 3);
    assert.match(result.answer, /stopped after 3 steps/);
  });

  test("llm: a 429 is retried after Retry-After, then succeeds", async () => {
    reset((_req, n) => (n === 1 ? { status: 429, error: "slow down", headers: { "retry-after-ms": "20" } } : { content: "ok now" }));
    const result = await loop(createOpenAIModel(config({ maxRetries: 2 })));
    assert.equal(result.answer, "ok now");
    assert.equal(fake.requests.length, 2);
  });

  test("llm: a 500 is retried at most NATTER_LLM_MAX_RETRIES times, then fails with a server error", async () => {
    reset(() => ({ status: 500, error: "boom", headers: { "retry-after-ms": "5" } }));
    const err = await loop(createOpenAIModel(config({ maxRetries: 2 }))).catch((e: unknown) => e);
    assert.ok(err instanceof LLMError);
    assert.equal(err.code, "llm_server_error");
    assert.equal(err.status, 500);
    assert.match(err.message, /HTTP 500 after 2 retries/);
    assert.equal(fake.requests.length, 3);
  });

  test("llm: a server that hangs times out with a timeout error after bounded retries", async () => {
    reset(() => ({ hang: true }));
    const err = await loop(createOpenAIModel(config({ timeoutMs: 200, maxRetries: 1 }))).catch((e: unknown) => e);
    assert.ok(err instanceof LLMError);
    assert.equal(err.code, "llm_timeout");
    assert.match(err.message, /did not answer within 200 ms \(NATTER_LLM_TIMEOUT_MS\)/);
    assert.equal(fake.requests.length, 2);
  });

  test("llm: an unknown model is a clear error naming NATTER_MODEL", async () => {
    reset(() => ({ content: "never" }));
    const err = await loop(createOpenAIModel(config({ model: "no-such-model", maxRetries: 0 }))).catch((e: unknown) => e);
    assert.ok(err instanceof LLMError);
    assert.equal(err.code, "llm_unknown_model");
    assert.match(err.message, /model "no-such-model" \(NATTER_MODEL\)/);
    const selected = await selectModel(config({ model: "other-model" }), log).catch((e: unknown) => e);
    assert.ok(selected instanceof LLMError);
    assert.match(selected.message, /not served at .*; it has: fake-model/);
    assert.equal((await selectModel(config({ mode: "auto", model: "other-model" }), log)).label, OFFLINE_LABEL);
  });

  test("llm: no server answering is a clear error naming OPENAI_BASE_URL, and auto mode falls back to the offline planner", async () => {
    const url = `http://127.0.0.1:${await freePort()}/v1`;
    const down = loadLLMConfig({ OPENAI_BASE_URL: url, NATTER_LLM: "openai", NATTER_LLM_MAX_RETRIES: "0" });
    const err = await loop(createOpenAIModel(down)).catch((e: unknown) => e);
    assert.ok(err instanceof LLMError);
    assert.equal(err.code, "llm_unavailable");
    assert.ok(err.message.includes(`${url} (OPENAI_BASE_URL)`));
    const auto = await selectModel({ ...down, mode: "auto" }, log);
    assert.equal(auto.label, OFFLINE_LABEL);
    assert.equal((await selectModel(config({ mode: "auto" }), log)).label, "openai fake-model");
  });
});
