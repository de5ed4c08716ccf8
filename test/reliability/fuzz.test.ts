import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { decodeEnvelope } from "../../src/protocol/index.ts";
import { ValidationError } from "../../src/index.ts";
import { byteEdits, deepEnvelopeText, fieldPatch, validBytes, validObject } from "../helpers/envelope-arbitraries.ts";

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

test("fuzz: decodeEnvelope on random bytes throws nothing but ValidationError", () => {
  fc.assert(fc.property(fc.uint8Array({ maxLength: 512 }), decodesOrRejects), { numRuns: RUNS });
});

test("fuzz: decodeEnvelope on arbitrary JSON throws nothing but ValidationError", () => {
  fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (json) => decodesOrRejects(encoder.encode(JSON.stringify(json) ?? ""))), { numRuns: RUNS });
});

test("fuzz: decodeEnvelope on a valid envelope with fields replaced by wrong types throws nothing but ValidationError", () => {
  fc.assert(fc.property(fieldPatch, (patch) => decodesOrRejects(encoder.encode(JSON.stringify({ ...validObject, ...patch })))), { numRuns: RUNS });
});

test("fuzz: decodeEnvelope on mutated bytes of a valid envelope and on deep JSON throws nothing but ValidationError", () => {
  fc.assert(
    fc.property(byteEdits, (edits) => {
      const copy = Uint8Array.from(validBytes);
      for (const [i, b] of edits) copy[i] = b;
      decodesOrRejects(copy);
    }),
    { numRuns: RUNS },
  );
  fc.assert(fc.property(deepEnvelopeText, (text) => decodesOrRejects(encoder.encode(text))), { numRuns: 200 });
  fc.assert(fc.property(fc.integer({ min: 1, max: 200_000 }), (n) => decodesOrRejects(encoder.encode("[".repeat(n) + "]".repeat(n)))), { numRuns: 50 });
});
