import OpenAI from "openai";
import type { ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources/chat/completions";
import type { LLMConfig } from "./config.ts";
import { LLM_ERROR_CODES, LLMError, type ChatMessage, type ChatModel, type ChatRequest, type ChatTurn, type ToolSpec } from "./model.ts";

/** A {@link ChatModel} on any OpenAI-compatible chat-completions server (LM Studio, Ollama, vLLM, OpenAI). */
export function createOpenAIModel(config: LLMConfig): ChatModel {
  // The client's own retries cover 408/409/429/5xx and connection failures with exponential backoff (honouring
  // Retry-After); maxRetries bounds them, so one call makes at most maxRetries + 1 attempts.
  const client = new OpenAI({ baseURL: config.baseUrl, apiKey: config.apiKey, timeout: config.timeoutMs, maxRetries: config.maxRetries });
  return {
    label: `openai ${config.model}`,
    model: config.model,
    offline: false,
    async complete(request: ChatRequest): Promise<ChatTurn> {
      let completion;
      try {
        completion = await client.chat.completions.create(
          {
            model: config.model,
            messages: request.messages.map(toWire),
            ...(request.tools.length ? { tools: request.tools.map(toolToWire) } : {}),
          },
          request.signal ? { signal: request.signal } : {},
        );
      } catch (err) {
        throw describeFailure(err, config);
      }
      const message = completion.choices[0]?.message;
      if (!message) throw new LLMError(`model ${config.model} at ${config.baseUrl} returned no choices`, LLM_ERROR_CODES.server);
      const toolCalls = (message.tool_calls ?? []).flatMap((c) => (c.type === "function" ? [{ id: c.id, name: c.function.name, arguments: c.function.arguments }] : []));
      const usage = completion.usage ? { promptTokens: completion.usage.prompt_tokens, completionTokens: completion.usage.completion_tokens } : undefined;
      return { content: message.content ?? null, toolCalls, ...(usage ? { usage } : {}) };
    },
  };
}

/** What {@link probeModelServer} found. */
export interface ProbeResult {
  reachable: boolean;
  /** Model ids the server lists (empty when it lists none). */
  models: string[];
}

/** Asks the server for its models within `probeTimeoutMs`, once, without retries. */
export async function probeModelServer(config: LLMConfig): Promise<ProbeResult> {
  const client = new OpenAI({ baseURL: config.baseUrl, apiKey: config.apiKey, timeout: config.probeTimeoutMs, maxRetries: 0 });
  try {
    const page = await client.models.list();
    return { reachable: true, models: page.data.map((m) => m.id) };
  } catch (err) {
    // A server that answers at all, even with an error status, is there.
    return { reachable: err instanceof OpenAI.APIError && err.status !== undefined, models: [] };
  }
}

function describeFailure(err: unknown, config: LLMConfig): Error {
  const where = `${config.baseUrl} (OPENAI_BASE_URL)`;
  if (err instanceof OpenAI.APIUserAbortError) return err;
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new LLMError(`model server at ${where} did not answer within ${config.timeoutMs} ms (NATTER_LLM_TIMEOUT_MS), after ${config.maxRetries} retries`, LLM_ERROR_CODES.timeout, undefined, { cause: err });
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return new LLMError(`no model server answers at ${where}: start LM Studio, Ollama or vLLM there, point OPENAI_BASE_URL at one, or set NATTER_LLM=offline`, LLM_ERROR_CODES.unavailable, undefined, { cause: err });
  }
  if (err instanceof OpenAI.NotFoundError) {
    return new LLMError(`model "${config.model}" (NATTER_MODEL) is not known to the server at ${where}: ${err.message}`, LLM_ERROR_CODES.unknownModel, 404, { cause: err });
  }
  if (err instanceof OpenAI.RateLimitError) {
    return new LLMError(`model server at ${where} is still rate limiting after ${config.maxRetries} retries (NATTER_LLM_MAX_RETRIES)`, LLM_ERROR_CODES.rateLimited, 429, { cause: err });
  }
  if (err instanceof OpenAI.APIError && err.status !== undefined && err.status >= 500) {
    return new LLMError(`model server at ${where} failed with HTTP ${err.status} after ${config.maxRetries} retries: ${err.message}`, LLM_ERROR_CODES.server, err.status, { cause: err });
  }
  if (err instanceof OpenAI.APIError) {
    return new LLMError(`model server at ${where} rejected the request (HTTP ${err.status ?? "?"}): ${err.message}`, LLM_ERROR_CODES.rejected, err.status, { cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

function toWire(m: ChatMessage): ChatCompletionMessageParam {
  switch (m.role) {
    case "tool":
      return { role: "tool", tool_call_id: m.toolCallId, content: m.content };
    case "assistant":
      return {
        role: "assistant",
        content: m.content,
        ...(m.toolCalls?.length ? { tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } })) } : {}),
      };
    default:
      return { role: m.role, content: m.content };
  }
}

function toolToWire(t: ToolSpec): ChatCompletionTool {
  return { type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } };
}
