import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import * as v from "valibot";
import { assembleEnvelope, checkEnvelope, createEnvelope, decodeEnvelope, describeIssues, EnvelopeSchema, validateEnvelope, type EnvelopeInput } from "../../src/protocol/envelope.ts";
import { ValidationError } from "../../src/index.ts";
import { anyValue, badSealedField, byteEdits, deepEnvelopeText, fieldPatch, sealedField, validBytes, validEnvelope, validObject } from "../helpers/envelope-arbitraries.ts";

const RUNS = 2000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** What validateEnvelope answered before the fast path: valibot's output, or the message of its ValidationError. */
function byValibot(value: unknown): { output: unknown } | { message: string } {
  if (Array.isArray(value)) return { message: "invalid envelope: the envelope must be a JSON object, got an array" };
  const result = v.safeParse(EnvelopeSchema, value);
  return result.success ? { output: result.output } : { message: `invalid envelope: ${describeIssues(result.issues)}` };
}

/** The fast checker accepts exactly what valibot accepts, with an equal output that serialises to the same bytes. */
function agrees(value: unknown): void {
  const expected = byValibot(value);
  const fast = checkEnvelope(value);
  if ("output" in expected) {
    assert.ok(fast, `valibot accepts but the fast checker refuses ${safeJson(value)}`);
    assert.deepEqual(fast, expected.output);
    assert.equal(JSON.stringify(fast), JSON.stringify(expected.output));
    assert.deepEqual(validateEnvelope(value), expected.output);
  } else {
    assert.equal(fast, undefined, `the fast checker accepts what valibot refuses (${expected.message}): ${safeJson(value)}`);
    assert.throws(() => validateEnvelope(value), (err: unknown) => err instanceof ValidationError && err.message === expected.message);
  }
}

function safeJson(value: unknown): string {
  try {
    return String(JSON.stringify(value)).slice(0, 300);
  } catch {
    return String(value);
  }
}

/** Parses `data` as decodeEnvelope would, then checks agreement; bytes that are not JSON never reach either checker. */
function agreesOnBytes(data: Uint8Array): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(data));
  } catch {
    return;
  }
  agrees(parsed);
}

const viaJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value) ?? "null");
const KEYS = [...Object.keys(EnvelopeSchema.entries), "__proto__", "constructor", "toString", "hasOwnProperty", "extra"];
const patch = fc.dictionary(fc.constantFrom(...KEYS), anyValue, { maxKeys: 4 });

test("fast validation: every generated valid envelope is accepted with the same fields, defaults and JSON as before", () => {
  fc.assert(
    fc.property(validEnvelope, (e) => {
      assert.ok(checkEnvelope(e), safeJson(e));
      agrees(e);
      agrees(viaJson(e));
    }),
    { numRuns: RUNS },
  );
});

test("fast validation: a valid envelope with fields replaced by any value, extra keys, __proto__ or constructor gets the same answer as before", () => {
  fc.assert(
    fc.property(validEnvelope, patch, (e, p) => {
      const patched = { ...e, ...p };
      agrees(patched);
      agrees(viaJson(patched));
    }),
    { numRuns: RUNS },
  );
});

test("fast validation: fields inherited from a prototype count as valibot counts them", () => {
  fc.assert(
    fc.property(validEnvelope, fc.array(fc.boolean(), { minLength: 13, maxLength: 13 }), (e, inherit) => {
      const proto: Record<string, unknown> = {};
      const own: Record<string, unknown> = {};
      Object.entries(e).forEach(([key, value], i) => ((inherit[i] ? proto : own)[key] = value));
      agrees(Object.assign(Object.create(proto) as object, own));
    }),
    { numRuns: 500 },
  );
});

test("fast validation: sealed fields, good and near misses, get the same answer as before", () => {
  fc.assert(
    fc.property(validEnvelope, fc.oneof(sealedField, badSealedField), (e, sealed) => {
      const patched = { ...e, sealed };
      agrees(patched);
      agrees(viaJson(patched));
    }),
    { numRuns: RUNS },
  );
  fc.assert(fc.property(sealedField, (sealed) => assert.deepEqual(checkEnvelope({ ...base, sealed: { ...sealed, extra: 1 } })?.sealed, { ...sealed })), { numRuns: 200 });
});

test("fast validation: random JSON and random values get the same answer as before", () => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), agrees), { numRuns: RUNS });
  fc.assert(fc.property(fc.anything({ withNullPrototype: true, withBoxedValues: true, withMap: true, withSet: true, withSparseArray: true }), agrees), { numRuns: RUNS });
  fc.assert(fc.property(fc.dictionary(fc.constantFrom(...KEYS), anyValue), agrees), { numRuns: RUNS });
});

test("fast validation: the fuzz corpus (random bytes, mutated and patched envelopes, deep metadata) gets the same answer as before", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), agreesOnBytes), { numRuns: RUNS });
  fc.assert(fc.property(fieldPatch, (p) => agreesOnBytes(encoder.encode(JSON.stringify({ ...validObject, ...p })))), { numRuns: RUNS });
  fc.assert(
    fc.property(byteEdits, (edits) => {
      const copy = Uint8Array.from(validBytes);
      for (const [i, b] of edits) copy[i] = b;
      agreesOnBytes(copy);
    }),
    { numRuns: RUNS },
  );
  fc.assert(fc.property(deepEnvelopeText, (text) => agreesOnBytes(encoder.encode(text))), { numRuns: 100 });
});

const base = { id: "m1", type: "direct", from: "Alice", to: "Bob", content: "hi", timestamp: "2026-01-31T12:00:00.000Z" };
/** `levels` objects, each inside the one before. */
const nest = (levels: number): unknown => (levels === 0 ? 1 : { a: nest(levels - 1) });
const without = (key: string, e: Record<string, unknown> = base): Record<string, unknown> => Object.fromEntries(Object.entries(e).filter(([k]) => k !== key));

test("fast validation: edge cases at every limit get the same answer as before", () => {
  const cases: [string, unknown, boolean][] = [
    ["id of 128 characters", { ...base, id: "x".repeat(128) }, true],
    ["id of 129 characters", { ...base, id: "x".repeat(129) }, false],
    ["id with a dot", { ...base, id: "a.b" }, false],
    ["id with *", { ...base, id: "a*" }, false],
    ["id with >", { ...base, id: ">" }, false],
    ["id with a space", { ...base, id: "a b" }, false],
    ["id with a tab", { ...base, id: "a\tb" }, false],
    ["id with a no-break space", { ...base, id: "a\u00a0b" }, false],
    ["empty id", { ...base, id: "" }, false],
    ["threadId of 129 characters", { ...base, threadId: "x".repeat(129) }, false],
    ["inReplyTo with a dot", { ...base, inReplyTo: "a.b" }, false],
    ["from of 64 characters", { ...base, from: "a".repeat(64) }, true],
    ["from of 65 characters", { ...base, from: "a".repeat(65) }, false],
    ["to of 64 characters", { ...base, to: "b".repeat(64) }, true],
    ["to of 65 characters", { ...base, to: "b".repeat(65) }, false],
    ["name with a dot", { ...base, to: "a.b" }, false],
    ["timestamp without milliseconds", { ...base, timestamp: "2026-01-31T12:00:00Z" }, true],
    ["timestamp in month 13, day 45", { ...base, timestamp: "2026-13-45T00:00:00Z" }, false],
    ["timestamp on February 30", { ...base, timestamp: "2026-02-30T00:00:00Z" }, true],
    ["timestamp without Z", { ...base, timestamp: "2026-01-31T12:00:00" }, false],
    ["timestamp with an offset", { ...base, timestamp: "2026-01-31T12:00:00+02:00" }, false],
    ["timestamp as a number", { ...base, timestamp: 1769860800000 }, false],
    ["deadline with an offset", { ...base, deadline: "2026-01-31T12:00:00+02:00" }, false],
    ["priority 1.5", { ...base, priority: 1.5 }, false],
    ["priority 0", { ...base, priority: 0 }, false],
    ["priority 6", { ...base, priority: 6 }, false],
    ["priority 5", { ...base, priority: 5 }, true],
    ["priority NaN", { ...base, priority: NaN }, false],
    ["priority Infinity", { ...base, priority: Infinity }, false],
    ["priority -0", { ...base, priority: -0 }, false],
    ["priority null (what JSON makes of NaN)", { ...base, priority: null }, false],
    ['priority "3"', { ...base, priority: "3" }, false],
    ["priority undefined", { ...base, priority: undefined }, true],
    ["handoff without priority", { ...base, type: "handoff" }, true],
    ["handoff with priority undefined", { ...base, type: "handoff", priority: undefined }, true],
    ["metadata nested 32 levels", { ...base, metadata: nest(32) }, true],
    ["metadata nested 33 levels", { ...base, metadata: nest(33) }, false],
    ["metadata an array", { ...base, metadata: [1] }, false],
    ["metadata null", { ...base, metadata: null }, false],
    ["metadata undefined", { ...base, metadata: undefined }, true],
    ["metadata a Date", { ...base, metadata: new Date(0) }, true],
    ["content a number", { ...base, content: 3 }, false],
    ["content empty", { ...base, content: "" }, true],
    ["notify a string", { ...base, notify: "false" }, false],
    ["notify 0", { ...base, notify: 0 }, false],
    ["notify false", { ...base, notify: false }, true],
    ["type unknown", { ...base, type: "shout" }, false],
    ["to undefined on a direct", { ...base, to: undefined }, false],
    ["an array holding an envelope", [base], false],
    ["an empty array", [], false],
    ["null", null, false],
    ["a string", "x", false],
    ["a function", () => base, false],
    ["a null-prototype envelope", Object.assign(Object.create(null) as object, base), true],
    ["an own __proto__ key", JSON.parse(`{"__proto__":{"x":1},${JSON.stringify(base).slice(1)}`), true],
    ["a constructor key", { ...base, constructor: "x" }, true],
  ];
  for (const type of ["direct", "request", "response", "handoff", "progress"]) {
    cases.push([`${type} without to`, without("to", { ...base, type }), false], [`${type} with to`, { ...base, type }, true]);
  }
  for (const type of ["broadcast", "announcement", "heartbeat", "cancel", "group"]) {
    cases.push([`${type} without to`, without("to", { ...base, type }), true], [`${type} with to`, { ...base, type }, true]);
  }
  for (const key of ["id", "type", "from", "content", "timestamp"]) cases.push([`${key} missing`, without(key), false]);
  for (const [name, value, valid] of cases) {
    assert.equal(checkEnvelope(value) !== undefined, valid, `${name}: fast checker`);
    assert.equal("output" in byValibot(value), valid, `${name}: valibot`);
    agrees(value);
  }
});

test("fast validation: every field of the schema reaches the envelope, in the schema's order", () => {
  const full = { ...base, metadata: { a: 1 }, priority: 2, threadId: "t", inReplyTo: "r", deadline: "2026-02-01T00:00:00Z", notify: true, sealed: { by: `X${"A".repeat(55)}`, box: "A".repeat(60) }, extra: 1 };
  assert.deepEqual(Object.keys(checkEnvelope(full) ?? {}), Object.keys(EnvelopeSchema.entries));
  // Without `priority`, the default goes last, as the schema's transform appends it.
  assert.deepEqual(Object.keys(checkEnvelope(without("priority", full)) ?? {}), [...Object.keys(EnvelopeSchema.entries).filter((k) => k !== "priority"), "priority"]);
});

test("fast validation: each envelope without metadata gets its own empty object", () => {
  const a = decodeEnvelope(encoder.encode(JSON.stringify(base)));
  const b = decodeEnvelope(encoder.encode(JSON.stringify(base)));
  a.metadata.touched = true;
  assert.deepEqual(b.metadata, {});
});

const response: EnvelopeInput = { type: "response", from: "Bob", to: "Alice", content: "done", metadata: { n: 1 }, inReplyTo: "r1", threadId: "t1", priority: 2 };

test("createEnvelope: bad user input is refused with the same message as before", () => {
  const cases: [EnvelopeInput, RegExp][] = [
    [{ type: "direct", from: "Alice", to: "Bob.x", content: "hi" }, /^invalid envelope: to: invalid agent name "Bob\.x": .*dots/],
    [{ type: "direct", from: "Alice", to: "Bob", content: 42 as unknown as string }, /^invalid envelope: content: must be a string$/],
    [{ type: "direct", from: "Alice", content: "hi" }, /^invalid envelope: a direct message needs "to"$/],
    [{ type: "direct", from: "Alice", to: "Bob", content: "hi", metadata: nest(33) as Record<string, unknown> }, /^invalid envelope: metadata: must not nest deeper than 32 levels$/],
  ];
  for (const [input, why] of cases) assert.throws(() => createEnvelope(input), (err: unknown) => err instanceof ValidationError && why.test(err.message), String(why));
});

test("assembleEnvelope: a handler's bad content or metadata is refused with the same message as createEnvelope's", () => {
  const bad: Partial<EnvelopeInput>[] = [{ content: 42 as unknown as string }, { metadata: [1] as unknown as Record<string, unknown> }, { metadata: null as unknown as Record<string, unknown> }, { metadata: nest(33) as Record<string, unknown> }];
  for (const change of bad) {
    const input = { ...response, ...change };
    const expected = (() => {
      try {
        createEnvelope(input);
      } catch (err) {
        return (err as Error).message;
      }
      return "no error";
    })();
    assert.match(expected, /^invalid envelope: (content|metadata): /);
    assert.throws(() => assembleEnvelope(input), (err: unknown) => err instanceof ValidationError && err.message === expected);
  }
});

test("assembleEnvelope: builds the envelope createEnvelope would, byte for byte", () => {
  for (const input of [response, without("priority", response) as EnvelopeInput, { ...response, metadata: undefined, notify: false }]) {
    const assembled = assembleEnvelope(input);
    const same = { ...createEnvelope(input), id: assembled.id, timestamp: assembled.timestamp };
    assert.equal(JSON.stringify(assembled), JSON.stringify(same));
    assert.deepEqual(v.parse(EnvelopeSchema, assembled), assembled);
  }
});
