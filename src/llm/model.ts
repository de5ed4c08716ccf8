import { LOCAL_ERROR_CODES, NatterError } from "../errors.ts";

/** A tool call the model asked for; `arguments` is the raw JSON text it wrote. */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** One message of a conversation with the model. */
export type ChatMessage =
  | { role: "system" | "user"; content: string }
  | { role: "assistant"; content: string | null; toolCalls?: ToolCall[] }
  | { role: "tool"; toolCallId: string; content: string };

/** A tool as offered to the model: name, description and JSON schema of its arguments. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: Record<string, unknown>;
}

/** Tokens one call (or one run) used; zero when the server does not say. */
export interface TokenUsage {
  promptTokens: number;
  completionTokens: number;
}

/** What one model call returns: an answer, tool calls, or both. */
export interface ChatTurn {
  content: string | null;
  toolCalls: ToolCall[];
  usage?: TokenUsage;
}

/** A chat request: the conversation so far and the tools on offer. */
export interface ChatRequest {
  messages: readonly ChatMessage[];
  tools: readonly ToolSpec[];
  signal?: AbortSignal;
}

/** The model behind an agent: an OpenAI-compatible server or the offline planner. */
export interface ChatModel {
  /** Shown in every log line of a run, e.g. `openai qwen/qwen3-32b` or `offline planner`. */
  readonly label: string;
  /** True for the built-in deterministic planner. */
  readonly offline: boolean;
  /** The model's id on its server (`gen_ai.request.model` in traces); absent for the offline planner. */
  readonly model?: string;
  complete(request: ChatRequest): Promise<ChatTurn>;
}

/** Why a model call failed, by who must act: the model's share of natter's error codes. */
export const LLM_ERROR_CODES = {
  unavailable: LOCAL_ERROR_CODES.llmUnavailable,
  unknownModel: LOCAL_ERROR_CODES.llmUnknownModel,
  timeout: LOCAL_ERROR_CODES.llmTimeout,
  rateLimited: LOCAL_ERROR_CODES.llmRateLimited,
  server: LOCAL_ERROR_CODES.llmServerError,
  rejected: LOCAL_ERROR_CODES.llmRejected,
} as const;

/** A model call that failed after its retries; `code` is one of {@link LLM_ERROR_CODES}. */
export class LLMError extends NatterError {
  /** HTTP status of the last attempt, when there was one. */
  readonly status: number | undefined;
  constructor(message: string, code: (typeof LLM_ERROR_CODES)[keyof typeof LLM_ERROR_CODES], status?: number, options?: ErrorOptions) {
    super(message, code, options);
    this.status = status;
  }
}
