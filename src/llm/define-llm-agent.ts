import type { Logger } from "../logger.ts";
import type { Envelope } from "../protocol/envelope.ts";
import { loadLLMConfig, type LLMConfig } from "./config.ts";
import { ThreadMemory } from "./memory.ts";
import type { ChatModel } from "./model.ts";
import { runLoop } from "./ooda.ts";
import { traceContextOf } from "../tracing/handler.ts";
import { incomingMessage, systemPrompt, threadTurns } from "./prompt.ts";
import { selectModel } from "./select-model.ts";
import { talkTools, TALK_TOOL_NAMES, type PeerInfo, type TalkContext } from "./talk-tools.ts";
import type { Tool } from "./tools.ts";

/** The handler context an LLM agent needs; the runtime's HandlerContext satisfies it. */
export interface LLMHandlerContext extends TalkContext {
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** The stored messages of a thread, oldest first (the runtime reads them from the stream). */
  thread?(threadId?: string, options?: { since?: Date }): Promise<Envelope[]>;
  /** Reports progress to a requester that streams the request. */
  progress?(content: string, metadata?: Record<string, unknown>): Promise<void>;
}

/** How far back observe reads a thread from the stream: keeps the scan bounded on a long-lived stream. */
const THREAD_WINDOW_MS = 60 * 60 * 1000;

/** Options of {@link defineLLMAgent}. */
export interface LLMAgentOptions {
  name: string;
  description?: string;
  capabilities?: string[];
  version?: string;
  /** Handlers at once; default NATTER_CONCURRENCY. */
  concurrency?: number;
  /** What the agent is for and how it behaves; the start of its system prompt. */
  instructions: string;
  /** The agent's own tools, made with `tool({...})`. */
  tools?: Tool[];
  /** Offer the talking tools (ask, send, hand off, broadcast, list, find); default true. */
  talk?: boolean;
  /** Use this model instead of the one NATTER_LLM selects. */
  model?: ChatModel;
  /** Settings over those read from the environment at start. */
  llm?: Partial<LLMConfig>;
}

/** An agent definition whose handlers run the OODA loop; usable wherever `defineAgent` results are (startHost, agent modules). */
export interface LLMAgentDefinition {
  name: string;
  description: string;
  capabilities: string[];
  tools: string[];
  version?: string;
  concurrency?: number;
  onStart(ctx: { readonly log: Logger }): Promise<void>;
  onRequest(message: Envelope, ctx: LLMHandlerContext): Promise<string>;
  onMessage(message: Envelope, ctx: LLMHandlerContext): Promise<string>;
  onResponse(message: Envelope, ctx: LLMHandlerContext): void;
  onBroadcast(message: Envelope, ctx: LLMHandlerContext): void;
}

/**
 * Declares an LLM-backed agent: each request, direct message or handoff runs observe (message and thread so far),
 * orient (instructions, tools, live peers), decide (a chat-completions call) and act (tool calls fed back) until the model answers.
 * Requests get the answer back; direct messages and handoffs end with it as the completion notice.
 */
export function defineLLMAgent(options: LLMAgentOptions): LLMAgentDefinition {
  const own = options.tools ?? [];
  const memory = new ThreadMemory();
  let config: LLMConfig | undefined;
  let model: Promise<ChatModel> | undefined;
  const settings = () => (config ??= loadLLMConfig(process.env, options.llm ?? {}));
  const ready = (log: Logger) => (model ??= options.model ? Promise.resolve(options.model) : selectModel(settings(), log));

  async function run(message: Envelope, ctx: LLMHandlerContext): Promise<string> {
    const chosen = await ready(ctx.log);
    const thread = message.threadId ?? message.id;
    const log = ctx.log.child({ model: chosen.label, thread });
    let peers: PeerInfo[] | undefined;
    try {
      peers = (await ctx.listAgents()).filter((p) => p.name !== ctx.name && p.status !== "offline");
    } catch (err) {
      log.warn("llm.registry_unreadable", { error: err });
    }
    // Stored messages (direct, handoffs, notices) come from the stream; core requests are not stored, so memory keeps those.
    const stored = ctx.thread
      ? await ctx.thread(thread, { since: new Date(Date.now() - THREAD_WINDOW_MS) }).catch((err: unknown) => (log.warn("llm.thread_unreadable", { error: err }), []))
      : [];
    const history = [...threadTurns(stored, ctx.name, message.id, memory.maxTurns), ...memory.history(thread)];
    const incoming = incomingMessage(message);
    const tools = [...own, ...(options.talk === false ? [] : talkTools(ctx, { askTimeoutMs: settings().askTimeoutMs }))];
    log.info("llm.run_start", { id: message.id, type: message.type, from: message.from });
    const result = await runLoop({
      model: chosen,
      messages: [{ role: "system", content: systemPrompt(ctx.name, options.instructions, peers) }, ...history, incoming],
      tools,
      maxSteps: settings().maxSteps,
      signal: ctx.signal,
      log,
      // A requester that streams the request sees each step as it happens.
      onToolCall: (name, step) => ctx.progress?.(`step ${step}: ${name}`, { tool: name, step }),
      trace: traceContextOf(ctx),
    });
    const { promptTokens, completionTokens } = result.usage;
    log.info("llm.run", {
      id: message.id,
      steps: result.steps,
      tools: result.tools.map((t) => t.name),
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      truncated: result.truncated,
    });
    if (message.type === "request") memory.remember(thread, incoming, { role: "assistant", content: result.answer });
    return result.answer;
  }

  return {
    name: options.name,
    description: options.description ?? "",
    capabilities: options.capabilities ?? [],
    tools: [...own.map((t) => t.spec.name), ...(options.talk === false ? [] : Object.values(TALK_TOOL_NAMES))],
    ...(options.version !== undefined ? { version: options.version } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    async onStart(ctx) {
      await ready(ctx.log);
    },
    onRequest: run,
    onMessage: run,
    onResponse(message, ctx) {
      ctx.log.info("llm.notice", { from: message.from, inReplyTo: message.inReplyTo, content: message.content.slice(0, 300) });
    },
    onBroadcast(message, ctx) {
      ctx.log.debug("llm.broadcast_heard", { from: message.from, content: message.content.slice(0, 300) });
    },
  };
}
