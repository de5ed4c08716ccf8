import * as v from "valibot";
import { ValidationError } from "../errors.ts";

// The token rules of the wire, written once: every other module (envelope, subjects, config, cli, registry,
// transport) takes them from here, so a foreign implementation can read them in one place.

/** One NATS subject token: no whitespace, no `.` (it separates tokens), no `*` or `>` (the wildcards). */
const SUBJECT_TOKEN_RE = /^[^\s.*>]+$/;
/** Longest message id, in characters. */
export const MAX_ID_LENGTH = 128;
/** Longest agent name, instance id, stream or bucket name, in characters. */
export const MAX_NAME_LENGTH = 64;

/** The characters of names: letters, digits, `-` and `_`, a subset of a subject token that every NATS tool accepts. */
const NAME_CHARS = "A-Za-z0-9_-";
const NAME_TOKEN_RE = new RegExp(`^[${NAME_CHARS}]+$`);
/** An agent name as one pattern (1–64 name characters), for JSON Schema and other checkers that take a regex. */
export const NAME_PATTERN = new RegExp(`^[${NAME_CHARS}]{1,${MAX_NAME_LENGTH}}$`);

/** Whether `value` is one non-empty NATS subject token: no whitespace, `.`, `*` or `>`. */
export function isSubjectToken(value: string): boolean {
  return SUBJECT_TOKEN_RE.test(value);
}

/** Throws a ValidationError naming `field` when `value` is not one subject token; returns it otherwise. */
export function assertSubjectToken(value: unknown, field: string): string {
  if (typeof value !== "string") throw new ValidationError(`${field} must be a string, got ${typeof value}`);
  if (!isSubjectToken(value)) throw new ValidationError(`${field} ${JSON.stringify(value)} is not a subject token: it must be non-empty, without whitespace, '.', '*' or '>'`);
  return value;
}

/** Whether `value` is 1–`max` letters, digits, `-` or `_` (default max {@link MAX_NAME_LENGTH}). */
export function isNameToken(value: string, max = MAX_NAME_LENGTH): boolean {
  return value.length <= max && NAME_TOKEN_RE.test(value);
}

/** The name-token rule in words, for messages. */
export const NAME_TOKEN_RULE = `1-${MAX_NAME_LENGTH} letters, digits, '-' or '_'`;

/** A message id (`id`, `threadId`, `inReplyTo`): one subject token of 1–128 characters; also the JetStream `Nats-Msg-Id`. */
export const IdSchema = v.pipe(
  v.string("must be a string"),
  v.minLength(1, "must not be empty"),
  v.maxLength(MAX_ID_LENGTH, `must be at most ${MAX_ID_LENGTH} characters`),
  v.regex(SUBJECT_TOKEN_RE, "must not contain whitespace, '.', '*' or '>'"),
);

/** A stream or KV bucket name: 1–64 letters, digits, `-` or `_`. */
export const StreamNameSchema = v.pipe(
  v.string(),
  v.check((s) => isNameToken(s), `expected ${NAME_TOKEN_RULE}`),
);

/** Default name of the stream that stores every natter message (`NATTER_STREAM`). */
export const DEFAULT_STREAM = "AGENTS";
/** Default name of the registry KV bucket (`NATTER_REGISTRY_BUCKET`). */
export const DEFAULT_REGISTRY_BUCKET = "natter-registry";

/** The stream JetStream keeps KV bucket `bucket` in: `KV_{bucket}`. */
export function kvStreamName(bucket: string): string {
  return `KV_${bucket}`;
}
