export { defineAgent } from "./agent/define.ts";
export { startHost } from "./agent/host.ts";
export { connectClient } from "./agent/client.ts";
export { loadAgentModules } from "./agent/load.ts";
export { NatsAgentMixin } from "./agent/mixin.ts";
export { AgentRuntime } from "./agent/runtime.ts";
export { loadConfig, CONFIG_VARIABLES } from "./config/config.ts";
export { createLogger } from "./logger.ts";
export { openBus } from "./transport/bus.ts";
export { provision, ensureStream, agentsStreamConfig, registryStreamConfig } from "./transport/streams.ts";
export type { ProvisionOptions, StreamDifference, StreamReport } from "./transport/streams.ts";
export { createEnvelope, decodeEnvelope, encodeEnvelope, validateEnvelope, newId, MESSAGE_TYPES, DEFAULT_PRIORITY, HANDOFF_PRIORITY } from "./protocol/envelope.ts";
export { assertAgentName, agentNameProblem, MAX_NAME_LENGTH } from "./protocol/names.ts";
export { AGENT_STATUSES, decodeRecord, registryKey } from "./protocol/record.ts";
export { HEADERS, ERROR_CODES, DEAD_LETTER_HEADERS } from "./protocol/headers.ts";
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
  parseSubject,
} from "./protocol/subjects.ts";
export { groupAgents, listInstances } from "./registry/query.ts";
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

export type { AgentDefinition, Handler } from "./agent/define.ts";
export type { AgentContext, HandlerContext, SendOptions, RequestOptions, Sent, StreamedRequest } from "./agent/context.ts";
export type { ProgressEvent } from "./mailbox/progress.ts";
export type { Host, HostOptions, StopOutcome } from "./agent/host.ts";
export type { RunnableAgent, ConnectNatsOptions } from "./agent/mixin.ts";
export type { Client, ClientOptions } from "./agent/client.ts";
export type { Config } from "./config/config.ts";
export type { Logger, LoggerOptions, LogLevel } from "./logger.ts";
export type { Bus, OpenBusOptions } from "./transport/bus.ts";
export type { Envelope, EnvelopeInput, MessageType } from "./protocol/envelope.ts";
export type { AgentRecord, AgentStatus } from "./protocol/record.ts";
export type { ParsedSubject } from "./protocol/subjects.ts";
export type { AgentInfo } from "./registry/query.ts";
export type { Reply } from "./rpc/serve.ts";

// Inspection (src/inspect): reading, following and replaying agent traffic, shared by the CLI and the web console.
export { readStream, collectStream, getStoredMessage } from "./inspect/read.ts";
export { tailTraffic } from "./inspect/tail.ts";
export { buildThread, readThread, walkThread } from "./inspect/thread.ts";
export { prepareRedelivery, redeliver } from "./inspect/redeliver.ts";
export { listAgents, watchAgents } from "./inspect/agents.ts";
export { planFilter, matchesFilter, subjectMatches, isCoreOnlySubject, parseTimeSpec, parseDurationMs } from "./inspect/filter.ts";
export { inspectMessage } from "./inspect/message.ts";
export type { ReadStreamOptions } from "./inspect/read.ts";
export type { TailOptions, Tail } from "./inspect/tail.ts";
export type { Redelivery } from "./inspect/redeliver.ts";
export type { WatchAgentsOptions, AgentsWatch } from "./inspect/agents.ts";
export type { FilterPlan } from "./inspect/filter.ts";
export type { RawMessage } from "./inspect/message.ts";
export type { Channel, DeadLetterInfo, InspectedMessage, MessageFilter, ReadProgress, ThreadNode, AgentsSnapshot } from "./inspect/types.ts";

export { defineLLMAgent } from "./llm/define-llm-agent.ts";
export { tool } from "./llm/tools.ts";
export { talkTools, TALK_TOOL_NAMES } from "./llm/talk-tools.ts";
export { runLoop } from "./llm/ooda.ts";
export { createOpenAIModel, probeModelServer } from "./llm/client.ts";
export { createOfflinePlanner, OFFLINE_LABEL } from "./llm/planner.ts";
export { selectModel } from "./llm/select-model.ts";
export { loadLLMConfig, LLM_MODES } from "./llm/config.ts";
export { LLMError, LLM_ERROR_CODES } from "./llm/model.ts";
export type { LLMAgentOptions, LLMAgentDefinition, LLMHandlerContext } from "./llm/define-llm-agent.ts";
export type { Tool, ToolOptions, ToolOutcome, ToolRunContext } from "./llm/tools.ts";
export type { TalkContext, PeerInfo } from "./llm/talk-tools.ts";
export type { LoopOptions, LoopResult, ToolTrace } from "./llm/ooda.ts";
export type { ProbeResult } from "./llm/client.ts";
export type { LLMConfig, LLMMode } from "./llm/config.ts";
export type { ChatModel, ChatMessage, ChatRequest, ChatTurn, ToolCall, ToolSpec, TokenUsage } from "./llm/model.ts";
export { SUBJECT_PATTERNS } from "./protocol/subjects.ts";
export { startEmbeddedServer, findNatsServer, isListening } from "./transport/embedded.ts";
export type { EmbeddedServer, EmbeddedServerOptions } from "./transport/embedded.ts";

// Web console (src/ui): the HTTP API, event stream and page behind `natter ui`.
export { startConsole, DEFAULT_UI_PORT, DEFAULT_UI_HOST, DEFAULT_HUMAN } from "./ui/server.ts";
export type { ConsoleOptions, RunningConsole } from "./ui/server.ts";

export { agentPermissions, agentInboxPrefix } from "./security/permissions.ts";
export { generateAuth, AUTH_CONF_FILE, TRUSTED_KEYS_FILE } from "./security/generate.ts";
export { agentConnection, agentSigner, createSigner, SIGNATURE_HEADERS } from "./security/identity.ts";
export { Verifier } from "./security/verify.ts";
export { SenderRateLimiter } from "./security/rate-limit.ts";
export type { PermissionScope, UserPermissions } from "./security/permissions.ts";
export type { GenerateAuthOptions, GeneratedAuth } from "./security/generate.ts";
export type { AgentConnection, Signer } from "./security/identity.ts";
export type { Arrival, Expectation } from "./security/verify.ts";
