// natter/protocol: the wire contract (envelope, subjects, tokens, headers, names, registry records); no I/O.
export { createEnvelope, decodeEnvelope, encodeEnvelope, validateEnvelope, newId, MESSAGE_TYPES, DEFAULT_PRIORITY, HANDOFF_PRIORITY } from "./envelope.ts";
export { assertAgentName, agentNameProblem } from "./names.ts";
export { isSubjectToken, assertSubjectToken, MAX_ID_LENGTH, MAX_NAME_LENGTH, DEFAULT_STREAM, DEFAULT_REGISTRY_BUCKET, kvStreamName } from "./tokens.ts";
export { AGENT_STATUSES, decodeRecord, registryKey } from "./record.ts";
export { HEADERS, ERROR_CODES, DEAD_LETTER_HEADERS, TRACE_HEADERS } from "./headers.ts";
export {
  ALL_SUBJECT,
  directSubject,
  requestSubject,
  responseSubject,
  handoffSubject,
  deadLetterSubject,
  progressSubject,
  groupSubject,
  CANCEL_SUBJECT,
  SUBJECT_PATTERNS,
  kvSubject,
  parseSubject,
} from "./subjects.ts";

export type { ErrorCode } from "../errors.ts";
export type { Envelope, EnvelopeInput, MessageType } from "./envelope.ts";
export type { AgentRecord, AgentStatus } from "./record.ts";
export type { ParsedSubject } from "./subjects.ts";
