// fast-check generators of envelopes, good and bad, shared by the fuzz test and the fast-validation property test.
import fc from "fast-check";
import { createEnvelope, encodeEnvelope, MESSAGE_TYPES } from "../../src/protocol/index.ts";

/** Bytes of one valid direct envelope, for mutation. */
export const validBytes = encodeEnvelope(createEnvelope({ type: "direct", from: "Alice", to: "Bob", content: "hi", metadata: { k: [1, 2] } }));
/** The same envelope as a parsed object. */
export const validObject = JSON.parse(new TextDecoder().decode(validBytes)) as Record<string, unknown>;

/** Any value a field could be replaced with, JSON or not. */
export const anyValue = fc.oneof(fc.jsonValue(), fc.constant(undefined), fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));

/** Up to 5 of the envelope's keys, or `__proto__`, `constructor`, an extra key, set to any value. */
export const fieldPatch = fc.dictionary(fc.constantFrom(...Object.keys(validObject), "__proto__", "constructor", "extra"), anyValue, { maxKeys: 5 });

/** Envelope text whose metadata nests 1 to 20,000 levels. */
export const deepEnvelopeText = fc.integer({ min: 1, max: 20_000 }).map((n) => `{"id":"x","type":"direct","from":"A","to":"B","content":"","timestamp":"2026-01-01T00:00:00Z","metadata":${'{"a":'.repeat(n)}1${"}".repeat(n)}}`);

/** Up to 8 (offset, byte) overwrites of {@link validBytes}. */
export const byteEdits = fc.array(fc.tuple(fc.nat(validBytes.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 });

const NAME_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_".split("");
/** A valid agent name, 1–64 characters. */
export const agentName = fc.string({ unit: fc.constantFrom(...NAME_CHARS), minLength: 1, maxLength: 64 });
/** A valid message id: 1–128 characters, no whitespace, `.`, `*` or `>`. */
export const messageId = fc.string({ unit: fc.constantFrom(...NAME_CHARS, "~", "é", ":", "/", "😀"), minLength: 1, maxLength: 64 }).filter((s) => s.length <= 128);
/** A valid ISO-8601 UTC timestamp, with or without milliseconds. */
export const timestamp = fc
  .tuple(fc.date({ min: new Date("1970-01-01T00:00:00Z"), max: new Date("2999-12-31T23:59:59Z"), noInvalidDate: true }), fc.boolean())
  .map(([d, ms]) => (ms ? d.toISOString() : d.toISOString().replace(/\.\d+Z$/, "Z")));
/** JSON metadata objects, a few levels deep. */
export const metadata = fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 4 });

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".split("");
/** A `sealed` field as the schema accepts it: a curve-key-shaped `by` and base64 of at least 44 bytes. */
export const sealedField = fc.record({
  by: fc.string({ unit: fc.constantFrom(...BASE32), minLength: 55, maxLength: 55 }).map((s) => `X${s}`),
  box: fc.uint8Array({ minLength: 44, maxLength: 120 }).map((b) => Buffer.from(b).toString("base64")),
});
/** Near misses of a `sealed` field: wrong key prefix or length, non-base64 or short box, arrays, extra or missing keys. */
export const badSealedField = fc.oneof(
  sealedField.map((s) => ({ ...s, by: `U${s.by.slice(1)}` })),
  sealedField.map((s) => ({ ...s, by: s.by.slice(0, 40) })),
  sealedField.map((s) => ({ ...s, box: `${s.box.slice(0, -1)}!` })),
  sealedField.map((s) => ({ ...s, box: s.box.slice(0, 20) })),
  sealedField.map((s) => ({ by: s.by })),
  sealedField.map((s) => [s.by, s.box]),
  anyValue.filter((x) => x !== undefined),
);

/** A valid envelope of any type, as an object: required fields, and each optional one present or not. */
export const validEnvelope = fc
  .record(
    {
      id: messageId,
      type: fc.constantFrom(...MESSAGE_TYPES),
      from: agentName,
      to: agentName,
      content: fc.string({ maxLength: 40 }),
      metadata,
      priority: fc.integer({ min: 1, max: 5 }),
      timestamp,
      threadId: messageId,
      inReplyTo: messageId,
      deadline: timestamp,
      notify: fc.boolean(),
      sealed: sealedField,
    },
    { requiredKeys: ["id", "type", "from", "content", "timestamp"] },
  )
  .map((e): Record<string, unknown> => (e.to === undefined && !["broadcast", "announcement", "heartbeat", "cancel", "group"].includes(e.type) ? { ...e, to: "Bob" } : e))
  // Keys in any order: the output's order must not depend on the input's.
  .chain((e) => {
    const entries = Object.entries(e);
    return fc.shuffledSubarray(entries, { minLength: entries.length, maxLength: entries.length }).map((shuffled) => Object.fromEntries(shuffled));
  });
