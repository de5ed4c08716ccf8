import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createEnvelope, decodeEnvelope, encodeEnvelope } from "../../src/protocol/index.ts";
import { ValidationError } from "../../src/index.ts";

const RUNS = 3000;
const encoder = new TextEncoder();

/** Decodes `data`; passes if it yields an envelope or throws ValidationError, fails on anything else thrown. */
function decodesOrRejects(data: Uint8Array): void {
  try {
    const env = decodeEnvelope(data);
    assert.equal(typeof env.id, "string");
  } catch (err) {
    if (!(err instanceof ValidationError)) throw new Error(`decodeEnvelope threw ${String(err)} for ${JSON.stringify(Buffer.from(data).toString("base64").slice(0, 200))}`, { cause: err });
    assert.ok(err.message.length > 0);
  }
}

const valid = encodeEnvelope(createEnvelope({ type: "direct", from: "Alice", to: "Bob", content: "hi", metadata: { k: [1, 2] } }));
const validObject = JSON.parse(new TextDecoder().decode(valid)) as Record<string, unknown>;
const anyValue = fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const deep = fc.integer({ min: 1, max: 20_000 }).map((n) => `{"id":"x","type":"direct","from":"A","to":"B","content":"","timestamp":"2026-01-01T00:00:00Z","metadata":${'{"a":'.repeat(n)}1${"}".repeat(n)}}`);

test("fuzz: decodeEnvelope on random bytes throws nothing but ValidationError", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), decodesOrRejects), { numRuns: RUNS });
});

test("fuzz: decodeEnvelope on arbitrary JSON throws nothing but ValidationError", () => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (json) => decodesOrRejects(encoder.encode(JSON.stringify(json) ?? ""))), { numRuns: RUNS });
});

test("fuzz: decodeEnvelope on a valid envelope with fields replaced by wrong types throws nothing but ValidationError", () => {
  const fields = fc.dictionary(fc.constantFrom(...Object.keys(validObject), "__proto__", "constructor", "extra"), anyValue, { maxKeys: 5 });
  fc.assert(fc.property(fields, (patch) => decodesOrRejects(encoder.encode(JSON.stringify({ ...validObject, ...patch })))), { numRuns: RUNS });
});

test("fuzz: decodeEnvelope on mutated bytes of a valid envelope and on deep JSON throws nothing but ValidationError", () => {
  const mutation = fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 });
  fc.assert(
    fc.property(mutation, (edits) => {
      const copy = Uint8Array.from(valid);
      for (const [i, b] of edits) copy[i] = b;
      decodesOrRejects(copy);
    }),
    { numRuns: RUNS },
  );
  fc.assert(fc.property(deep, (text) => decodesOrRejects(encoder.encode(text))), { numRuns: 200 });
  fc.assert(fc.property(fc.integer({ min: 1, max: 200_000 }), (n) => decodesOrRejects(encoder.encode("[".repeat(n) + "]".repeat(n)))), { numRuns: 50 });
});
