import * as v from "valibot";
import { nuid } from "@nats-io/transport-node";
import { ValidationError } from "../errors.ts";
import { AgentNameSchema } from "./names.ts";
import { isCurveKeyText, isId, isJsonObject, isMetadata, isName, isPriority, isSealed, isSealedBox, isTimestamp, isTimestampField, MAX_METADATA_DEPTH, nestsWithin } from "./envelope-check.ts";
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

const TimestampSchema = v.pipe(
  v.string("must be an ISO-8601 UTC timestamp string"),
  v.check(isTimestamp, "must be an ISO-8601 UTC timestamp like 2026-01-31T12:00:00.000Z"),
);

const MetadataSchema = v.pipe(
  v.custom<Record<string, unknown>>(isJsonObject, "must be a JSON object"),
  v.check((m) => nestsWithin(m, MAX_METADATA_DEPTH), `must not nest deeper than ${MAX_METADATA_DEPTH} levels`),
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
    /**
     * A sealed message (NATTER_SEAL, docs/protocol.md "Sealed messages"): `content` and `metadata` travel only inside
     * `box`, base64 of the NATS xkeys (`@nats-io/nkeys`) seal of `{"content":…,"metadata":…}` for the recipient's curve
     * key; `by` is the sender's curve public key (`X…`) that opens it. On the wire `content` is "" and `metadata` {}.
     */
    sealed: v.optional(
      v.object(
        {
          by: v.pipe(v.string("must be a string"), v.check((s: string) => isCurveKeyText(s), "must be a curve public NKey (X… , 56 characters)")),
          box: v.pipe(v.string("must be a string"), v.check((s: string) => isSealedBox(s), "must be base64 of an xkv1 sealed message")),
        },
        "must be an object {by, box}",
      ),
    ),
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
  return validateEnvelope(filled(input));
}

/**
 * Builds an envelope from fields natter took from an envelope it validated (names, ids, priority), checking only
 * `content` and `metadata`, which may come from a handler; throws the ValidationError {@link createEnvelope} would.
 */
export function assembleEnvelope(input: EnvelopeInput): Envelope {
  const value = filled(input);
  return checkWith(value, true) ?? validateEnvelope(value);
}

/** Validates an already-parsed value as an envelope. */
export function validateEnvelope(value: unknown): Envelope {
  const checked = checkEnvelope(value);
  if (checked) return checked;
  // valibot's object() accepts arrays; an envelope never is one.
  if (Array.isArray(value)) throw new ValidationError("invalid envelope: the envelope must be a JSON object, got an array");
  // Only a bad envelope pays for valibot: its issues make the message.
  const result = v.safeParse(EnvelopeSchema, value);
  if (result.success) return result.output;
  throw new ValidationError(`invalid envelope: ${describeIssues(result.issues)}`, result.issues);
}

/**
 * What `v.safeParse(EnvelopeSchema, value)` outputs when it succeeds (the same fields, in the same order, so the same
 * JSON), or undefined for any value it would reject or that is an array; builds no issues.
 */
export function checkEnvelope(value: unknown): Envelope | undefined {
  return checkWith(value, false);
}

function filled(input: EnvelopeInput): Record<string, unknown> {
  const value: Record<string, unknown> = { id: newId(), timestamp: new Date().toISOString(), metadata: {} };
  // Own keys only, as Object.entries gave, without building its array of pairs: this runs for every message sent.
  for (const key in input) {
    if (!Object.hasOwn(input, key)) continue;
    const val = (input as Record<string, unknown>)[key];
    if (val !== undefined) value[key] = val;
  }
  return value;
}

/**
 * EnvelopeSchema's rules without valibot, or undefined where it would find an issue. `trusted` checks only `content`
 * and `metadata`, for fields taken from a validated envelope. Keys go in the schema's order, as `v.object` copies them:
 * an optional key that is present (`in`, so inherited too) is kept even when undefined; every other key is dropped.
 */
function checkWith(value: unknown, trusted: boolean): Envelope | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  const input = value as Partial<Record<keyof Fields, unknown>>;
  const out: Partial<Record<keyof Fields, unknown>> = {};
  const { id, type, from, content, timestamp } = input;
  if (!trusted && !(isId(id) && MESSAGE_TYPES.includes(type as MessageType) && isName(from))) return undefined;
  out.id = id;
  out.type = type;
  out.from = from;
  if ("to" in input) {
    const to = input.to;
    if (!trusted && to !== undefined && !isName(to)) return undefined;
    out.to = to;
  }
  if (typeof content !== "string") return undefined;
  out.content = content;
  // A fresh default: valibot's is one object shared by every envelope that came without metadata.
  const metadata = input.metadata === undefined ? {} : input.metadata;
  if (!isMetadata(metadata)) return undefined;
  out.metadata = metadata;
  if ("priority" in input) {
    const priority = input.priority;
    if (!trusted && priority !== undefined && !isPriority(priority)) return undefined;
    out.priority = priority;
  }
  if (!trusted && !isTimestampField(timestamp)) return undefined;
  out.timestamp = timestamp;
  if ("threadId" in input) {
    const threadId = input.threadId;
    if (!trusted && threadId !== undefined && !isId(threadId)) return undefined;
    out.threadId = threadId;
  }
  if ("inReplyTo" in input) {
    const inReplyTo = input.inReplyTo;
    if (!trusted && inReplyTo !== undefined && !isId(inReplyTo)) return undefined;
    out.inReplyTo = inReplyTo;
  }
  if ("deadline" in input) {
    const deadline = input.deadline;
    if (!trusted && deadline !== undefined && !isTimestampField(deadline)) return undefined;
    out.deadline = deadline;
  }
  if ("notify" in input) {
    const notify = input.notify;
    if (!trusted && notify !== undefined && typeof notify !== "boolean") return undefined;
    out.notify = notify;
  }
  if ("sealed" in input) {
    const sealed = input.sealed;
    if (!trusted && sealed !== undefined && !isSealed(sealed)) return undefined;
    out.sealed = isSealed(sealed) ? { by: sealed.by, box: sealed.box } : sealed;
  }
  if (!UNADDRESSED.has(type as MessageType) && out.to === undefined) return undefined;
  // As the schema's transform assigns it: in place when `priority` was present (even undefined), else last.
  out.priority ??= type === "handoff" ? HANDOFF_PRIORITY : DEFAULT_PRIORITY;
  return out as Envelope;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * UTF-8 JSON bytes of an envelope. On Node a Buffer, which is a Uint8Array: small ones are cut from a shared pool
 * instead of each getting an ArrayBuffer of its own, about four times faster, and kept answers (the answer memory)
 * then hold no buffer each for the garbage collector to track. Its `.buffer` may be that shared pool: read the bytes
 * through the array itself (or `byteOffset` and `byteLength`), as with any Uint8Array view.
 */
export function encodeEnvelope(envelope: Envelope): Uint8Array {
  const json = JSON.stringify(envelope);
  return nodeBuffer ? nodeBuffer.from(json, "utf8") : encoder.encode(json);
}

/** Node's Buffer, where there is one (not in a browser). */
const nodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: "utf8"): Uint8Array } }).Buffer;

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
