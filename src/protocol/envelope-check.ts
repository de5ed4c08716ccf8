import { isNameToken, isSubjectToken, MAX_ID_LENGTH } from "./tokens.ts";

// The envelope's field rules as plain predicates. The valibot schema in envelope.ts takes from here what its own
// actions cannot say; the fast path of validateEnvelope uses all of them, so a valid message is checked without
// building issues. test/protocol/fast-validate.test.ts holds both to the same answers.

/** Deepest nesting accepted in `metadata`. */
export const MAX_METADATA_DEPTH = 32;

const TIMESTAMP_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** Whether `s` is an ISO-8601 UTC timestamp with a `Z`, naming a real instant. */
export function isTimestamp(s: string): boolean {
  return TIMESTAMP_RE.test(s) && !Number.isNaN(Date.parse(s));
}

/** Whether `m` is an object and not an array: what `metadata` must be before its depth is measured. */
export function isJsonObject(m: unknown): m is Record<string, unknown> {
  return typeof m === "object" && m !== null && !Array.isArray(m);
}

/** Whether `value` nests objects and arrays at most `levels` deep (a scalar nests 0, `{}` 1). */
export function nestsWithin(value: unknown, levels: number): boolean {
  if (value === null || typeof value !== "object") return true;
  if (levels === 0) return false;
  for (const child of Object.values(value)) if (!nestsWithin(child, levels - 1)) return false;
  return true;
}

/** A message id: one subject token of 1–{@link MAX_ID_LENGTH} characters. */
export function isId(x: unknown): x is string {
  return typeof x === "string" && x.length >= 1 && x.length <= MAX_ID_LENGTH && isSubjectToken(x);
}

/** An agent name. */
export function isName(x: unknown): x is string {
  return typeof x === "string" && isNameToken(x);
}

/** An integer from 1 to 5 (not NaN, not Infinity). */
export function isPriority(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x) && x >= 1 && x <= 5;
}

/** A timestamp string. */
export function isTimestampField(x: unknown): x is string {
  return typeof x === "string" && isTimestamp(x);
}

/** Metadata: a JSON object nested at most {@link MAX_METADATA_DEPTH} levels. */
export function isMetadata(x: unknown): x is Record<string, unknown> {
  return isJsonObject(x) && nestsWithin(x, MAX_METADATA_DEPTH);
}

/** A curve public NKey as text: `X` and 55 base32 characters (its checksum is checked when it is used). */
export function isCurveKeyText(x: unknown): x is string {
  return typeof x === "string" && x.length === 56 && /^X[A-Z2-7]{55}$/.test(x);
}

/** Standard base64, padded, long enough for "xkv1", a 24-byte nonce and a 16-byte tag. */
const BOX_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Base64 text of at least the 44 bytes of an empty xkv1 seal. */
export function isSealedBox(x: unknown): x is string {
  return typeof x === "string" && x.length >= 60 && BOX_RE.test(x);
}

/** The `sealed` field: an object (not an array) with `by` a curve key and `box` sealed bytes. */
export function isSealed(x: unknown): x is { by: string; box: string } {
  if (!isJsonObject(x)) return false;
  const { by, box } = x as { by?: unknown; box?: unknown };
  return isCurveKeyText(by) && isSealedBox(box);
}
