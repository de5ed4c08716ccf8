import { test } from "node:test";
import assert from "node:assert/strict";
import { createEnvelope, decodeEnvelope, encodeEnvelope } from "../../src/protocol/index.ts";
import { ValidationError } from "../../src/index.ts";

const good = {
  id: "m1",
  type: "direct",
  from: "Task-Coordinator",
  to: "Weather-Bot",
  content: "What is the weather in Paris?",
  metadata: { priority: "high" },
  priority: 2,
  timestamp: "2026-01-31T12:00:00.000Z",
};
const bytes = (v: unknown) => new TextEncoder().encode(typeof v === "string" ? v : JSON.stringify(v));

test("envelope: a valid message decodes unchanged", () => {
  assert.deepEqual(decodeEnvelope(bytes(good)), good);
});

test("envelope: defaults priority 3, handoffs 1, and empty metadata", () => {
  const { priority: _p, metadata: _m, ...bare } = good;
  assert.deepEqual(decodeEnvelope(bytes(bare)), { ...bare, priority: 3, metadata: {} });
  assert.equal(decodeEnvelope(bytes({ ...bare, type: "handoff" })).priority, 1);
  assert.equal(decodeEnvelope(bytes({ ...bare, type: "handoff", priority: 4 })).priority, 4);
});

test("envelope: broadcasts need no recipient, addressed types do", () => {
  const { to: _to, ...noTo } = good;
  assert.equal(decodeEnvelope(bytes({ ...noTo, type: "broadcast" })).to, undefined);
  assert.throws(() => decodeEnvelope(bytes(noTo)), /a direct message needs "to"/);
});

test("envelope: createEnvelope fills id and timestamp and round-trips through bytes", () => {
  const env = createEnvelope({ type: "request", from: "A", to: "B", content: "hi" });
  assert.match(env.id, /^\w{22}$/);
  assert.ok(Date.parse(env.timestamp) <= Date.now());
  assert.deepEqual(decodeEnvelope(encodeEnvelope(env)), env);
  assert.notEqual(createEnvelope({ type: "request", from: "A", to: "B", content: "hi" }).id, env.id);
});

test("envelope: each bad input is rejected naming the field and what was expected", () => {
  const cases: [unknown, RegExp][] = [
    [{ ...good, priority: 0 }, /priority: must be from 1 to 5/],
    [{ ...good, priority: 6 }, /priority: must be from 1 to 5/],
    [{ ...good, priority: 2.5 }, /priority: must be an integer from 1 to 5/],
    [{ ...good, priority: "1" }, /priority: must be an integer from 1 to 5/],
    [{ ...good, type: "shout" }, /type: must be one of direct, request, response, handoff, broadcast, announcement, heartbeat/],
    [{ ...good, from: "Weather.Bot" }, /from: invalid agent name "Weather.Bot": .*dots/],
    [{ ...good, to: "*" }, /to: invalid agent name "\*": .*wildcard/],
    [{ ...good, to: ">" }, /to: invalid agent name ">"/],
    [{ ...good, from: "" }, /from: invalid agent name "": it is empty/],
    [{ ...good, from: "x".repeat(65) }, /over the limit of 64/],
    [{ ...good, content: 42 }, /content: must be a string/],
    [{ ...good, metadata: [1, 2] }, /metadata: must be a JSON object/],
    [{ ...good, metadata: "x" }, /metadata: must be a JSON object/],
    [{ ...good, timestamp: "yesterday" }, /timestamp: must be an ISO-8601 UTC timestamp/],
    [{ ...good, id: "" }, /id: must not be empty/],
    [{ ...good, id: "a.b" }, /id: must not contain whitespace/],
    [{ ...good, notify: "no" }, /notify: must be true or false/],
    [(({ id: _i, ...r }) => r)(good), /id: is required/],
    [(({ content: _c, ...r }) => r)(good), /content: is required/],
    [(({ from: _f, ...r }) => r)(good), /from: is required/],
    [(({ timestamp: _t, ...r }) => r)(good), /timestamp: is required/],
    [(({ type: _t, ...r }) => r)(good), /type: is required/],
    [[good], /the envelope must be a JSON object/],
    [null, /the envelope must be a JSON object/],
  ];
  for (const [input, why] of cases) {
    assert.throws(
      () => decodeEnvelope(bytes(input)),
      (err: unknown) => err instanceof ValidationError && why.test(err.message),
      `${JSON.stringify(input)?.slice(0, 80)} should fail with ${why}`,
    );
  }
});

test("envelope: non-JSON, empty, invalid UTF-8 and deeply nested payloads fail as ValidationError", () => {
  const cases: [Uint8Array, RegExp][] = [
    [bytes("hello there"), /payload is not JSON \(starts with "hello there"\)/],
    [new Uint8Array(), /payload is empty/],
    [new Uint8Array([0xff, 0xfe, 0x00]), /not valid UTF-8/],
    [bytes("[".repeat(200_000) + "]".repeat(200_000)), /nests too deeply|must be a JSON object/],
    [bytes({ ...good, metadata: JSON.parse("{\"a\":".repeat(40) + "1" + "}".repeat(40)) }), /metadata: must not nest deeper than 32 levels/],
  ];
  for (const [data, why] of cases) {
    assert.throws(() => decodeEnvelope(data), (err: unknown) => err instanceof ValidationError && why.test(err.message), String(why));
  }
});
