import * as v from "valibot";
import { nuid } from "@nats-io/transport-node";
import { ValidationError } from "../errors.ts";
import { AgentNameSchema } from "./names.ts";
import { IdSchema } from "./tokens.ts";

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

const TimestampSchema = v.pipe(
  v.string("must be an ISO-8601 UTC timestamp string"),
  v.check((s) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/.test(s) && !Number.isNaN(Date.parse(s)), "must be an ISO-8601 UTC timestamp like 2026-01-31T12:00:00.000Z"),
);

const MetadataSchema = v.pipe(
  v.custom<Record<string, unknown>>((m) => typeof m === "object" && m !== null && !Array.isArray(m), "must be a JSON object"),
  v.check((m) => jsonDepth(m) <= MAX_METADATA_DEPTH, `must not nest deeper than ${MAX_METADATA_DEPTH} levels`),
);

// Named, with the transform's result type, so that the emitted declarations refer to these fields instead of copying
// them without their docs: the docs then reach users' editors on `Envelope`.
const FieldsSchema = v.object(
  {
    /**
     * Unique id of this message, chosen by the sender (natter uses a NUID): one subject token of 1–128 characters,
     * without whitespace, `.`, `*` or `>`. Stored messages carry it as their `Nats-Msg-Id`, so a re-sent copy is
     * stored once.
     */
    id: IdSchema,
    /** What kind of message this is, one of {@link MESSAGE_TYPES}; it decides the subject it travels on and the handler that gets it. */
    type: v.picklist(MESSAGE_TYPES, `must be one of ${MESSAGE_TYPES.join(", ")}`),
    /** The sending agent's name (letters, digits, `-`, `_`; 1–64). With signing on, the signer's key must be registered for it. */
    from: AgentNameSchema,
    /**
     * The recipient agent's name: for a response or progress event, the requester. Required except on `broadcast`,
     * `announcement`, `heartbeat`, `cancel` and `group`, which are addressed to everyone listening.
     */
    to: v.optional(AgentNameSchema),
    /** The text of the message (may be empty); for a completion notice, what the handler returned, or `failed: …`. */
    content: v.string("must be a string"),
    /**
     * Anything else, as a JSON object nested at most 32 levels; default `{}`. natter's own keys: `error`
     * (`{code, message}` on a failure answer or notice), `group` on a group post, presence fields on an announcement.
     */
    metadata: v.optional(MetadataSchema, {}),
    /** Urgency from 1 (most urgent) to 5, an integer; default 3, or 1 for a handoff. A receiver runs the mail it holds most urgent first. */
    priority: v.optional(
      v.pipe(v.number("must be an integer from 1 to 5"), v.integer("must be an integer from 1 to 5"), v.minValue(1, "must be from 1 to 5"), v.maxValue(5, "must be from 1 to 5")),
    ),
    /** When the sender created the message: ISO-8601 in UTC with a `Z`, e.g. `2026-01-31T12:00:00.000Z`. */
    timestamp: TimestampSchema,
    /**
     * The conversation this message belongs to (an id); absent, the message starts one and its own `id` names it.
     * Answers and everything a handler sends inherit it; a `cancel` names the thread it stops.
     */
    threadId: v.optional(IdSchema),
    /** The `id` of the message this one answers: set on responses, progress events and completion notices. */
    inReplyTo: v.optional(IdSchema),
    /**
     * When the work becomes pointless (ISO-8601 UTC), by the receiver's clock. A message past it never starts a handler
     * and gets `deadline_exceeded`; a running handler's signal fires; everything the handler sends inherits it.
     */
    deadline: v.optional(TimestampSchema),
    /** On a direct message or handoff: whether the sender gets a completion notice when the handler finishes; default true. */
    notify: v.optional(v.boolean("must be true or false")),
  },
  "the envelope must be a JSON object",
);
/** The envelope's fields as parsed, before the defaults. */
type Fields = v.InferOutput<typeof FieldsSchema>;
/** The fields with `priority` filled in. */
type WithDefaults = Fields & { priority: number };

/** The JSON envelope of every natter message; see docs/protocol.md. */
export const EnvelopeSchema = v.pipe(
  FieldsSchema,
  v.check((e) => UNADDRESSED.has(e.type) || e.to !== undefined, (i) => `a ${(i.input as { type: string }).type} message needs "to"`),
  // Assign onto valibot's fresh output object rather than spread it: this runs for every message sent and received.
  v.transform((e: Fields): WithDefaults => Object.assign(e, { priority: e.priority ?? (e.type === "handoff" ? HANDOFF_PRIORITY : DEFAULT_PRIORITY) })),
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
