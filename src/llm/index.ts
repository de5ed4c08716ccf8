// natter/llm: agents whose handlers run an OODA loop on an OpenAI-compatible model, and their tools.
export { defineLLMAgent } from "./define-llm-agent.ts";
export { tool } from "./tools.ts";
export { talkTools, TALK_TOOL_NAMES } from "./talk-tools.ts";
export { runLoop } from "./ooda.ts";
export { createOpenAIModel, probeModelServer } from "./client.ts";
export { createOfflinePlanner, OFFLINE_LABEL } from "./planner.ts";
export { selectModel } from "./select-model.ts";
export { loadLLMConfig, LLM_MODES } from "./config.ts";
export { LLMError, LLM_ERROR_CODES } from "./model.ts";

export type { LLMAgentOptions, LLMAgentDefinition, LLMHandlerContext } from "./define-llm-agent.ts";
export type { Tool, ToolOptions, ToolOutcome, ToolRunContext } from "./tools.ts";
export type { TalkContext, PeerInfo } from "./talk-tools.ts";
export type { LoopOptions, LoopResult, ToolTrace } from "./ooda.ts";
export type { ProbeResult } from "./client.ts";
export type { LLMConfig, LLMMode } from "./config.ts";
export type { ChatModel, ChatMessage, ChatRequest, ChatTurn, ToolCall, ToolSpec, TokenUsage } from "./model.ts";
