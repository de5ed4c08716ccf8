import { test } from "node:test";
import assert from "node:assert/strict";
import { TimeoutError } from "@nats-io/transport-node";
import { JetStreamApiError } from "@nats-io/jetstream";
import { ConfigError, NatterError } from "../../src/index.ts";
import { isJetStreamNotReady, retryUntilReady } from "../../src/transport/ready.ts";

const apiError = (err_code: number, code: number, description: string) => new JetStreamApiError({ err_code, code, description });

test("ready: errors of a JetStream that is not ready yet are told apart from real failures", () => {
  const cases: [string, unknown, boolean][] = [
    ["a request timeout (a new cluster drops API requests)", new TimeoutError(), true],
    ["10008 temporarily unavailable", apiError(10008, 503, "JetStream system temporarily unavailable"), true],
    ["10009 no meta leader", apiError(10009, 500, "JetStream cluster can not handle request"), true],
    ["10005 no peers for placement yet (a cold cluster before every server reported in)", apiError(10005, 500, "no suitable peers for placement"), true],
    ["wrapped in a ConfigError by ensureStream", new ConfigError("cannot create stream AGENTS", { cause: apiError(10008, 503, "JetStream system temporarily unavailable") }), true],
    ["stream not found", apiError(10059, 404, "stream not found"), false],
    ["replicas not supported", apiError(10074, 500, "replicas > 1 not supported in non-clustered mode"), false],
    ["a plain error", new Error("boom"), false],
    ["not an error", "timeout", false],
  ];
  for (const [what, err, expected] of cases) assert.equal(isJetStreamNotReady(err), expected, what);
});

test("ready: retries while JetStream is not ready and returns the result", async () => {
  let attempts = 0;
  const result = await retryUntilReady(
    "test",
    async () => {
      if (++attempts < 3) throw apiError(10008, 503, "JetStream system temporarily unavailable");
      return "ok";
    },
    { deadlineMs: 30_000, deadlineSetting: "NATTER_PROVISION_TIMEOUT_MS" },
  );
  assert.equal(result, "ok");
  assert.equal(attempts, 3);
});

test("ready: a real failure is thrown at once, and one that outlasts the deadline names the setting and the last error", async () => {
  let attempts = 0;
  await assert.rejects(
    retryUntilReady("test", async () => (attempts++, Promise.reject(new ConfigError("bad stream"))), { deadlineMs: 30_000, deadlineSetting: "X" }),
    (err: unknown) => err instanceof ConfigError && attempts === 1,
  );
  await assert.rejects(
    retryUntilReady("setting up JetStream", async () => Promise.reject(new TimeoutError()), { deadlineMs: 600, deadlineSetting: "NATTER_PROVISION_TIMEOUT_MS" }),
    (err: unknown) =>
      err instanceof NatterError && err.code === "unavailable" && /setting up JetStream: JetStream was not ready/.test(err.message) && /NATTER_PROVISION_TIMEOUT_MS=600/.test(err.message) && err.cause instanceof TimeoutError,
  );
  await assert.rejects(
    retryUntilReady("setting up JetStream", async () => Promise.reject(new ConfigError("cannot create stream AGENTS: no suitable peers for placement", { cause: apiError(10005, 500, "no suitable peers for placement") })), {
      deadlineMs: 600,
      deadlineSetting: "NATTER_PROVISION_TIMEOUT_MS",
    }),
    (err: unknown) => err instanceof NatterError && err.code === "unavailable" && /no suitable peers/.test(err.message) && /NATTER_REPLICAS/.test(err.message),
    "a cluster that never has enough servers for the replicas says which setting asks for them",
  );
});
