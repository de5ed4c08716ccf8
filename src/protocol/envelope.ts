import * as v from "valibot";
import { nuid } from "@nats-io/transport-node";
import { ValidationError } from "../errors.ts";
import { AgentNameSchema } from "./names.ts";

/** Every kind of message on the wire. */
export const MESSAGE_TYPES = ["direct", "request", "response", "handoff", "broadcast", "announcement", "heartbeat", "progress", "cancel", "group"] as const;
/** One of {@link MESSAGE_TYPES}. */
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Types that are addressed to everyone and carry no `to`. */
const UNADDRESSED: ReadonlySet<MessageType> = new Set(["broadcast", "announcement", "heartbeat", "cancel", "group"]);

/** Default priority, 1 most urgent and 5 least. */
export const DEFAULT_PRIORITY = 3;
/** Handoffs are urgent unless the sender says otherwise. */
export const HANDOFF_PRIORITY = 1;
/** Deepest nesting accepted in `metadata`. */
export const MAX_METADATA_DEPTH = 32;

const IdSchema = v.pipe(
  v.string("must be a string"),
  v.minLength(1, "must not be empty"),
  v.maxLength(128, "must be at most 128 characters"),
  v.regex(/^[^\s.*>]+$/, "must not contain whitespace, '.', '*' or '>'"),
);

const TimestampSchema = v.pipe(
  v.string("must be an ISO-8601 UTC timestamp string"),
  v.check((s) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(s) && !Number.isNaN(Date.parse(s)), "must be an ISO-8601 UTC timestamp like 2026-01-31T12:00:00.000Z"),
);

const MetadataSchema = v.pipe(
  v.custom<Record<string, unknown>>((m) => typeof m === "object" && m !== null && !Array.isArray(m), "must be a JSON object"),
  v.check((m) => jsonDepth(m) <= MAX_METADATA_DEPTH, `must not nest deeper than ${MAX_METADATA_DEPTH} levels`),
);

/** The JSON envelope of every natter message; see docs/protocol.md. */
export const EnvelopeSchema = v.pipe(
  v.object(
    {
      id: IdSchema,
      type: v.picklist(MESSAGE_TYPES, `must be one of ${MESSAGE_TYPES.join(", ")}`),
      from: AgentNameSchema,
      to: v.optional(AgentNameSchema),
      content: v.string("must be a string"),
      metadata: v.optional(MetadataSchema, {}),
      priority: v.optional(
        v.pipe(v.number("must be an integer from 1 to 5"), v.integer("must be an integer from 1 to 5"), v.minValue(1, "must be from 1 to 5"), v.maxValue(5, "must be from 1 to 5")),
      ),
      timestamp: TimestampSchema,
      threadId: v.optional(IdSchema),
      inReplyTo: v.optional(IdSchema),
      deadline: v.optional(TimestampSchema),
      notify: v.optional(v.boolean("must be true or false")),
    },
    "the envelope must be a JSON object",
  ),
  v.check((e) => UNADDRESSED.has(e.type) || e.to !== undefined, (i) => `a ${(i.input as { type: string }).type} message needs "to"`),
  // Assign onto valibot's fresh output object rather than spread it: this runs for every message sent and received.
  v.transform((e) => Object.assign(e, { priority: e.priority ?? (e.type === "handoff" ? HANDOFF_PRIORITY : DEFAULT_PRIORITY) })),
);

/** A validated envelope, with defaults applied. */
export type Envelope = v.InferOutput<typeof EnvelopeSchema>;
/** What a sender may give; the rest is filled in by {@link createEnvelope}. */
export type EnvelopeInput = Pick<Envelope, "type" | "from" | "content"> & Partial<Omit<Envelope, "type" | "from" | "content">>;

/** A fresh unique id, usable as a subject token and a JetStream message id. */
export function newId(): string {
  return nuid.next();
}

/** Builds a valid envelope, filling id, timestamp, priority and metadata; throws ValidationError on bad fields. */
export function createEnvelope(input: EnvelopeInput): Envelope {
  const value: Record<string, unknown> = { id: newId(), timestamp: new Date().toISOString(), metadata: {} };
  for (const [key, val] of Object.entries(input)) if (val !== undefined) value[key] = val;
  return validateEnvelope(value);
}

/** Validates an already-parsed value as an envelope. */
export function validateEnvelope(value: unknown): Envelope {
  // valibot's object() accepts arrays; an envelope never is one.
  if (Array.isArray(value)) throw new ValidationError("invalid envelope: the envelope must be a JSON object, got an array");
  const result = v.safeParse(EnvelopeSchema, value);
  if (result.success) return result.output;
  throw new ValidationError(`invalid envelope: ${describeIssues(result.issues)}`, result.issues);
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/** UTF-8 JSON bytes of an envelope. */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  return encoder.encode(JSON.stringify(envelope));
}

/** Decodes and validates bytes off the wire; throws ValidationError with a specific reason. */
export function decodeEnvelope(data: Uint8Array): Envelope {
  let text: string;
  try {
    text = decoder.decode(data);
  } catch (cause) {
    throw new ValidationError("invalid envelope: payload is not valid UTF-8", [], { cause });
  }
  if (text.length === 0) throw new ValidationError("invalid envelope: payload is empty");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (cause) {
    const why = cause instanceof RangeError ? "JSON nests too deeply" : "payload is not JSON";
    throw new ValidationError(`invalid envelope: ${why} (starts with ${JSON.stringify(text.slice(0, 24))})`, [], { cause });
  }
  return validateEnvelope(parsed);
}

/** One line naming each failing field and what was expected. */
export function describeIssues(issues: readonly v.BaseIssue<unknown>[]): string {
  return issues
    .map((issue) => {
      const path = issue.path?.map((p) => String(p.key)).join(".");
      // A missing key is reported by the enclosing object; say what is missing instead.
      if (path && issue.type === "object" && issue.received === "undefined") return `${path}: is required`;
      return path ? `${path}: ${issue.message}` : issue.message;
    })
    .join("; ");
}

function jsonDepth(value: unknown): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    if (depth > max) max = depth;
    if (max > MAX_METADATA_DEPTH) return max;
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  return max;
}
