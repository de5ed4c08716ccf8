export { defineAgent } from "./agent/define.ts";
export { startHost } from "./agent/host.ts";
export { connectClient } from "./agent/client.ts";
export { loadAgentModules } from "./agent/load.ts";
export { AgentRuntime, DEAD_LETTER_HEADERS } from "./agent/runtime.ts";
export { loadConfig, CONFIG_VARIABLES } from "./config/config.ts";
export { createLogger } from "./logger.ts";
export { openBus } from "./transport/bus.ts";
export { provision, ensureStream, agentsStreamConfig, registryStreamConfig } from "./transport/streams.ts";
export { createEnvelope, decodeEnvelope, encodeEnvelope, validateEnvelope, newId, MESSAGE_TYPES, DEFAULT_PRIORITY, HANDOFF_PRIORITY } from "./protocol/envelope.ts";
export { assertAgentName, agentNameProblem, MAX_NAME_LENGTH } from "./protocol/names.ts";
export { AGENT_STATUSES, decodeRecord, registryKey } from "./protocol/record.ts";
export { HEADERS, ERROR_CODES } from "./protocol/headers.ts";
export {
  ALL_SUBJECT,
  directSubject,
  requestSubject,
  responseSubject,
  handoffSubject,
  deadLetterSubject,
  parseSubject,
} from "./protocol/subjects.ts";
export { groupAgents, listInstances } from "./registry/query.ts";
export {
  NatterError,
  ConfigError,
  ValidationError,
  AgentUnavailableError,
  RequestTimeoutError,
  RemoteError,
  MessageTooLargeError,
  AbortedError,
} from "./errors.ts";

export type { AgentDefinition, Handler } from "./agent/define.ts";
export type { AgentContext, HandlerContext, SendOptions, RequestOptions, Sent } from "./agent/context.ts";
export type { Host, HostOptions } from "./agent/host.ts";
export type { Client, ClientOptions } from "./agent/client.ts";
export type { Config } from "./config/config.ts";
export type { Logger, LoggerOptions, LogLevel } from "./logger.ts";
export type { Bus, OpenBusOptions } from "./transport/bus.ts";
export type { Envelope, EnvelopeInput, MessageType } from "./protocol/envelope.ts";
export type { AgentRecord, AgentStatus } from "./protocol/record.ts";
export type { ParsedSubject } from "./protocol/subjects.ts";
export type { AgentInfo } from "./registry/query.ts";
export type { Reply } from "./rpc/serve.ts";

export { agentPermissions, agentInboxPrefix } from "./security/permissions.ts";
export { generateAuth, AUTH_CONF_FILE, TRUSTED_KEYS_FILE } from "./security/generate.ts";
export { agentConnection, agentSigner, createSigner, SIGNATURE_HEADERS } from "./security/identity.ts";
export { Verifier } from "./security/verify.ts";
export { SenderRateLimiter } from "./security/rate-limit.ts";
export type { PermissionScope, UserPermissions } from "./security/permissions.ts";
export type { GenerateAuthOptions, GeneratedAuth } from "./security/generate.ts";
export type { AgentConnection, Signer } from "./security/identity.ts";
export type { Arrival } from "./security/verify.ts";
