import type { Logger } from "../logger.ts";
import type { ChatMessage, ChatModel, ChatRequest, ChatTurn, TokenUsage } from "./model.ts";
import { modelCallObservers } from "./observe.ts";
import { runToolCall, type Tool } from "./tools.ts";

/** Options of {@link runLoop}. */
export interface LoopOptions {
  model: ChatModel;
  /** Observe + orient: the system prompt, the thread so far and the new message. */
  messages: readonly ChatMessage[];
  tools: readonly Tool[];
  /** Model calls at most; then the run ends with what it has. */
  maxSteps: number;
  signal: AbortSignal;
  log: Logger;
  /** Told before each tool runs, e.g. to report progress to a requester that streams it. */
  onToolCall?: (name: string, step: number) => Promise<void> | void;
}

/** One tool call of a run and how it ended. */
export interface ToolTrace {
  name: string;
  arguments: string;
  ok: boolean;
  result: string;
}

/** What a run produced. */
export interface LoopResult {
  answer: string;
  /** Model calls made. */
  steps: number;
  usage: TokenUsage;
  tools: ToolTrace[];
  /** True when the step limit ended the run before the model answered. */
  truncated: boolean;
}

/** Decide and act until the model answers: call the model, run the tools it asks for, feed the results back. */
export async function runLoop(options: LoopOptions): Promise<LoopResult> {
  const { model, tools, maxSteps, signal, log } = options;
  const messages: ChatMessage[] = [...options.messages];
  const usage: TokenUsage = { promptTokens: 0, completionTokens: 0 };
  const trace: ToolTrace[] = [];
  const specs = tools.map((t) => t.spec);
  let last = "";
  for (let step = 1; step <= maxSteps; step++) {
    signal.throwIfAborted();
    const turn = await complete(model, { messages, tools: specs, signal });
    usage.promptTokens += turn.usage?.promptTokens ?? 0;
    usage.completionTokens += turn.usage?.completionTokens ?? 0;
    const text = stripThinking(turn.content ?? "");
    if (text) last = text;
    if (turn.toolCalls.length === 0) {
      log.debug("llm.answer", { step, chars: text.length });
      return { answer: text, steps: step, usage, tools: trace, truncated: false };
    }
    messages.push({ role: "assistant", content: turn.content, toolCalls: turn.toolCalls });
    for (const call of turn.toolCalls) {
      log.info("llm.tool_call", { step, tool: call.name, arguments: call.arguments });
      await options.onToolCall?.(call.name, step);
      const outcome = await runToolCall(tools, call, { signal });
      (outcome.ok ? log.info : log.warn)("llm.tool_result", { step, tool: call.name, ok: outcome.ok, result: outcome.content.slice(0, 300) });
      trace.push({ name: call.name, arguments: call.arguments, ok: outcome.ok, result: outcome.content });
      messages.push({ role: "tool", toolCallId: call.id, content: outcome.content });
    }
  }
  log.warn("llm.step_limit", { maxSteps, reason: "the model kept calling tools; NATTER_LLM_MAX_STEPS bounds a run" });
  const answer = last || `stopped after ${maxSteps} steps without a final answer; last tool result: ${trace.at(-1)?.result ?? "none"}`;
  return { answer, steps: maxSteps, usage, tools: trace, truncated: true };
}

/** One model call, timed and told to the model-call observers when there are any. */
async function complete(model: ChatModel, request: ChatRequest): Promise<ChatTurn> {
  if (!modelCallObservers()) return model.complete(request);
  const started = performance.now();
  let turn: ChatTurn | undefined;
  try {
    return (turn = await model.complete(request));
  } finally {
    const call = { model: model.label, seconds: (performance.now() - started) / 1000, promptTokens: turn?.usage?.promptTokens ?? 0, completionTokens: turn?.usage?.completionTokens ?? 0, ok: turn !== undefined };
    for (const observe of modelCallObservers() ?? []) observe(call);
  }
}

/** Removes the `<think>…</think>` reasoning some models (Qwen3, DeepSeek-R1) put before their answer. */
export function stripThinking(text: string): string {
  return text.replace(/<think>[\s\S]*?(<\/think>|$)/g, "").trim();
}
