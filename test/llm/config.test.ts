import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError } from "../../src/errors.ts";
import { loadLLMConfig } from "../../src/llm/config.ts";

test("llm config: defaults point at LM Studio with qwen/qwen3-32b and probe first", () => {
  assert.deepEqual(loadLLMConfig({}), {
    baseUrl: "http://localhost:1234/v1",
    apiKey: "lm-studio",
    model: "qwen/qwen3-32b",
    mode: "auto",
    timeoutMs: 120000,
    maxRetries: 2,
    askTimeoutMs: 120000,
    maxSteps: 8,
    probeTimeoutMs: 1500,
  });
});

test("llm config: valid values are parsed", () => {
  const c = loadLLMConfig({ OPENAI_BASE_URL: "http://gpu:8000/v1", NATTER_MODEL: "llama3.1", NATTER_LLM: "offline", NATTER_LLM_MAX_RETRIES: "0", NATTER_LLM_MAX_STEPS: "3" });
  assert.equal(c.baseUrl, "http://gpu:8000/v1");
  assert.equal(c.model, "llama3.1");
  assert.equal(c.mode, "offline");
  assert.equal(c.maxRetries, 0);
  assert.equal(c.maxSteps, 3);
});

const invalid: Array<[Record<string, string>, RegExp]> = [
  [{ NATTER_LLM: "gpt" }, /^NATTER_LLM: expected auto, openai or offline, got "gpt"$/],
  [{ OPENAI_BASE_URL: "localhost 1234" }, /^OPENAI_BASE_URL: expected an http\(s\) URL/],
  [{ NATTER_LLM_TIMEOUT_MS: "soon" }, /^NATTER_LLM_TIMEOUT_MS: expected a whole number from 100 to 3600000, got "soon"$/],
  [{ NATTER_LLM_MAX_RETRIES: "11" }, /^NATTER_LLM_MAX_RETRIES: expected a whole number from 0 to 10/],
  [{ NATTER_LLM_MAX_STEPS: "0" }, /^NATTER_LLM_MAX_STEPS: expected a whole number from 1 to 50/],
];
for (const [env, message] of invalid) {
  test(`llm config: rejects ${JSON.stringify(env)} naming the variable`, () => {
    assert.throws(() => loadLLMConfig(env), (err: unknown) => err instanceof ConfigError && message.test(err.message));
  });
}
