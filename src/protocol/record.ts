import * as v from "valibot";
import { ValidationError } from "../errors.ts";
import { describeIssues } from "./envelope.ts";
import { AgentNameSchema } from "./names.ts";
import { isNameToken, NAME_TOKEN_RULE } from "./tokens.ts";

/** Presence states of an agent instance. */
export const AGENT_STATUSES = ["available", "busy", "offline"] as const;
/** One of {@link AGENT_STATUSES}. */
export type AgentStatus = (typeof AGENT_STATUSES)[number];

const Timestamp = v.pipe(v.string(), v.isoTimestamp("must be an ISO-8601 timestamp"));
const Count = v.pipe(v.number(), v.integer(), v.minValue(0));

/** The registry record one agent instance keeps under `{name}.{instanceId}` in the KV bucket. */
export const AgentRecordSchema = v.object({
  name: AgentNameSchema,
  instanceId: v.pipe(v.string(), v.check((s) => isNameToken(s), `must be ${NAME_TOKEN_RULE}`)),
  description: v.optional(v.string(), ""),
  capabilities: v.optional(v.array(v.string()), []),
  tools: v.optional(v.array(v.string()), []),
  status: v.picklist(AGENT_STATUSES),
  lastHeartbeat: Timestamp,
  startedAt: v.optional(Timestamp),
  host: v.optional(v.string(), ""),
  pid: v.optional(Count),
  version: v.optional(v.string(), ""),
  /** Handlers running now. */
  load: v.optional(Count, 0),
  /** Most handlers this instance runs at once. */
  concurrency: v.optional(Count),
  /** Messages handled since start. */
  handled: v.optional(Count, 0),
  /** Of those, handlers that failed (threw). Absent from records of older versions. */
  failed: v.optional(Count),
  /** Milliseconds handlers have run in total since start, so busyMs / handled is the mean handler time. Absent from older records. */
  busyMs: v.optional(Count),
  /** Group channels the instance has joined. */
  groups: v.optional(v.array(v.string()), []),
  /** Ed25519 public key (NKey, "U…") the instance signs with, when signing is on. */
  publicKey: v.optional(v.string()),
  /** Curve public key (NKey, "X…") that senders seal this agent's mail to (NATTER_SEAL). */
  sealKey: v.optional(v.string()),
  /** The identity key ("U…") that signed `sealKey`; it must be a known key of `name` (docs/security.md). */
  sealKeySigner: v.optional(v.string()),
  /** Base64url Ed25519 signature by `sealKeySigner` of {@link sealKeyStatement}, so a registry write cannot swap the key. */
  sealKeySig: v.optional(v.string()),
});

/** The bytes an agent signs to vouch for its curve key: `natter-seal-key\n{name}\n{sealKey}`. */
export function sealKeyStatement(name: string, sealKey: string): Uint8Array {
  return new TextEncoder().encode(`natter-seal-key\n${name}\n${sealKey}`);
}

/** A validated registry record. */
export type AgentRecord = v.InferOutput<typeof AgentRecordSchema>;

/** The KV key of an instance: `{name}.{instanceId}`. */
export function registryKey(name: string, instanceId: string): string {
  return `${name}.${instanceId}`;
}

/** Validates a registry value read from KV. */
export function decodeRecord(data: Uint8Array): AgentRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(data));
  } catch (cause) {
    throw new ValidationError("invalid registry record: not JSON", [], { cause });
  }
  const result = v.safeParse(AgentRecordSchema, parsed);
  if (!result.success) throw new ValidationError(`invalid registry record: ${describeIssues(result.issues)}`, result.issues);
  return result.output;
}
