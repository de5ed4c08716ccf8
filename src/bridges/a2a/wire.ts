// The A2A v1.0 JSON-RPC wire as @a2a-js/sdk 1.x speaks it (proto JSON: `{ text }` parts, `ROLE_AGENT`,
// `TASK_STATE_COMPLETED`). Only the fields natter reads are checked; the rest pass through unread.
import * as v from "valibot";
import { describeIssues } from "../../protocol/envelope.ts";
import { IdSchema } from "../../protocol/tokens.ts";

/** Default TCP port of `natter a2a`. */
export const DEFAULT_A2A_PORT = 8090;

/** A bearer token for the bridge or a remote agent: 16 to 512 visible ASCII characters. */
export const A2aTokenSchema = v.pipe(v.string("must be a string"), v.regex(/^[\x21-\x7e]{16,512}$/, "expected 16 to 512 visible ASCII characters without spaces"));

/** JSON-RPC and A2A error codes the bridge answers with. */
export const RPC_ERRORS = {
  parse: -32700,
  invalidRequest: -32600,
  methodNotFound: -32601,
  invalidParams: -32602,
  internal: -32603,
  taskNotFound: -32001,
  taskNotCancelable: -32002,
  contentTypeNotSupported: -32005,
  /** A2A defines no code for an absent agent: -32000 is the first JSON-RPC implementation-defined server error. */
  agentUnavailable: -32000,
} as const;

/** A2A task states, as the v1.0 JSON names them. */
export const TASK_STATE = {
  working: "TASK_STATE_WORKING",
  completed: "TASK_STATE_COMPLETED",
  failed: "TASK_STATE_FAILED",
  canceled: "TASK_STATE_CANCELED",
} as const;

/** One of {@link TASK_STATE}. */
export type TaskState = (typeof TASK_STATE)[keyof typeof TASK_STATE];

/** A JSON-RPC 2.0 request. */
export const RpcRequestSchema = v.object({
  jsonrpc: v.literal("2.0", 'jsonrpc must be "2.0"'),
  id: v.optional(v.nullable(v.union([v.string(), v.number()], "id must be a string, a number or null"))),
  method: v.string("method must be a string"),
  params: v.optional(v.unknown()),
});

const PartSchema = v.object({ text: v.optional(v.string("text must be a string")), data: v.optional(v.unknown()) });

/** The fields of an A2A message natter reads. */
export const MessageSchema = v.object({
  messageId: v.pipe(v.string("messageId must be a string"), v.minLength(1, "messageId must not be empty")),
  contextId: v.optional(v.union([v.literal(""), IdSchema], "contextId must be an id without spaces, '.', '*' or '>'")),
  parts: v.pipe(v.array(PartSchema, "parts must be an array"), v.minLength(1, "parts must not be empty")),
});

/** Params of SendMessage and SendStreamingMessage. */
export const SendParamsSchema = v.object({
  message: MessageSchema,
  configuration: v.optional(v.object({ returnImmediately: v.optional(v.boolean("returnImmediately must be true or false")) })),
});

/** Params of GetTask and CancelTask. */
export const TaskParamsSchema = v.object({ id: v.pipe(v.string("id must be a string"), v.minLength(1, "id must not be empty")) });

/** A JSON-RPC error object. */
export interface RpcError {
  code: number;
  message: string;
  data?: Record<string, unknown>;
}

/** Parses `params` with `schema`, or the invalid-params error naming each field at fault. */
export function parseParams<S extends v.GenericSchema>(schema: S, params: unknown): v.InferOutput<S> | RpcError {
  const result = v.safeParse(schema, params ?? {});
  if (result.success) return result.output;
  return { code: RPC_ERRORS.invalidParams, message: `invalid params: ${describeIssues(result.issues)}` };
}

/** Whether `value` is an error rather than parsed params. */
export function isRpcError(value: unknown): value is RpcError {
  return typeof value === "object" && value !== null && "code" in value && typeof (value as RpcError).code === "number" && "message" in value;
}

/** The natter content of an A2A message: text parts joined by newlines, data parts as JSON. */
export function contentOf(parts: v.InferOutput<typeof MessageSchema>["parts"]): string | RpcError {
  const out: string[] = [];
  for (const p of parts) {
    if (p.text !== undefined) out.push(p.text);
    else if (p.data !== undefined) out.push(JSON.stringify(p.data));
    else return { code: RPC_ERRORS.contentTypeNotSupported, message: "only text and data parts are supported" };
  }
  return out.join("\n");
}

/** An agent's message carrying `text`. */
export function agentMessage(messageId: string, text: string, contextId: string, taskId?: string): Record<string, unknown> {
  return { messageId, contextId, ...(taskId ? { taskId } : {}), role: "ROLE_AGENT", parts: [{ text }] };
}
