// natter: the agent API. Everything else sits behind its own entry: natter/protocol, natter/transport,
// natter/inspect, natter/llm, natter/console, natter/security and natter/testing (package.json "exports").
export { defineAgent } from "./agent/define.ts";
export { startHost } from "./agent/host.ts";
export { connectClient } from "./agent/client.ts";
export { loadAgentModules } from "./agent/load.ts";
export { NatsAgentMixin } from "./agent/mixin.ts";
export { loadConfig, CONFIG_VARIABLES } from "./config/config.ts";
export { createLogger } from "./logger.ts";
export {
  NatterError,
  ConfigError,
  ValidationError,
  AgentUnavailableError,
  NoAgentWithCapabilityError,
  RequestTimeoutError,
  RemoteError,
  UnverifiedResponseError,
  MessageTooLargeError,
  AbortedError,
} from "./errors.ts";

export type { ErrorCode } from "./errors.ts";
export type { AgentDefinition, Handler } from "./agent/define.ts";
export type { AgentContext, HandlerContext, SendOptions, RequestOptions, Sent, StreamedRequest } from "./agent/context.ts";
export { traceContextOf } from "./tracing/handler.ts";
export type { ProgressEvent } from "./mailbox/progress.ts";
export type { Host, HostOptions, StopOutcome } from "./agent/host.ts";
export type { RunnableAgent, ConnectNatsOptions } from "./agent/mixin.ts";
export type { Client, ClientOptions } from "./agent/client.ts";
export type { Config } from "./config/config.ts";
export type { Logger, LoggerOptions, LogLevel } from "./logger.ts";
export type { Envelope, EnvelopeInput, MessageType } from "./protocol/envelope.ts";
export type { AgentRecord, AgentStatus } from "./protocol/record.ts";
export type { AgentInfo } from "./registry/query.ts";
export type { Reply } from "./rpc/serve.ts";
