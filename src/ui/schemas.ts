import * as v from "valibot";
import { AgentNameSchema } from "../protocol/names.ts";

const Content = v.pipe(
  v.string("content must be a string"),
  v.check((s) => s.trim().length > 0, "the message is empty: write something to send"),
);

/** POST /api/send: a direct message, request, handoff or broadcast from the person. */
export const SendSchema = v.pipe(
  v.object({
    kind: v.picklist(["direct", "request", "handoff", "broadcast"], "kind must be direct, request, handoff or broadcast"),
    to: v.optional(v.pipe(v.string(), v.trim(), AgentNameSchema)),
    content: Content,
    /** How long a request waits for its answer, in ms; default NATTER_REQUEST_TIMEOUT_MS. */
    timeoutMs: v.optional(v.pipe(v.number("timeoutMs must be a number"), v.integer(), v.minValue(1), v.maxValue(600_000, "timeoutMs must be at most 600000 (10 minutes)"))),
  }),
  v.forward(
    v.check((b) => b.kind === "broadcast" || (b.to !== undefined && b.to !== ""), "choose the agent to send to"),
    ["to"],
  ),
);
/** A validated send. */
export type SendBody = v.InferOutput<typeof SendSchema>;

/** POST /api/answer: the person's answer to a waiting question. */
export const AnswerSchema = v.object({
  id: v.pipe(v.string("id must be a string"), v.minLength(1, "id must not be empty")),
  content: Content,
});

/** POST /api/replay: redeliver a stored message into an agent's mailbox. */
export const ReplaySchema = v.object({
  seq: v.pipe(v.number("seq must be a stream sequence number"), v.integer("seq must be a whole number"), v.minValue(1, "seq must be at least 1")),
  to: v.pipe(v.string(), v.trim(), AgentNameSchema),
});

/** Query of GET /api/events: feed filters. */
export const FilterSchema = v.object({
  agent: v.optional(v.pipe(v.string(), v.maxLength(64))),
  type: v.optional(v.pipe(v.string(), v.maxLength(32))),
  thread: v.optional(v.pipe(v.string(), v.maxLength(128))),
});
