import * as v from "valibot";
import type { Envelope } from "../protocol/envelope.ts";
import { NAME_PATTERN, NAME_TOKEN_RULE } from "../protocol/tokens.ts";
import { tool, type Tool } from "./tools.ts";

/** A peer as the registry shows it (the fields the model is told about). */
export interface PeerInfo {
  name: string;
  description: string;
  capabilities: string[];
  tools: string[];
  status: string;
}

/** The part of an agent's handler context that talking needs; an agent's HandlerContext satisfies it. */
export interface TalkContext {
  readonly name: string;
  sendDirectMessage(to: string, content: string, metadata?: Record<string, unknown>): Promise<{ envelope: Envelope }>;
  requestFromAgent(to: string, content: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<Envelope>;
  handoffToAgent(to: string, content: string, metadata?: Record<string, unknown>): Promise<{ envelope: Envelope }>;
  broadcastMessage(content: string, metadata?: Record<string, unknown>): Promise<{ envelope: Envelope }>;
  listAgents(): Promise<PeerInfo[]>;
  findAgents(capability: string): Promise<PeerInfo[]>;
  requestByCapability(capability: string, content: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<Envelope>;
}

/** Names of the talking tools, as the model sees them. */
export const TALK_TOOL_NAMES = {
  ask: "ask_agent",
  send: "send_direct_message",
  handoff: "hand_off_to_agent",
  broadcast: "broadcast_message",
  list: "list_agents",
  find: "find_agents_by_capability",
  askCapability: "ask_by_capability",
} as const;

const AgentName = v.pipe(v.string("must be an agent name"), v.regex(NAME_PATTERN, `must be an agent name: ${NAME_TOKEN_RULE}`), v.description("exact name of the other agent"));
const Text = (what: string) => v.pipe(v.string(`must be a string`), v.minLength(1, "must not be empty"), v.description(what));

/** Tools through which the model talks to other agents over NATS, bound to the handler context `ctx`. */
export function talkTools(ctx: TalkContext, options: { askTimeoutMs: number }): Tool[] {
  const peer = (a: PeerInfo) => ({ name: a.name, description: a.description, capabilities: a.capabilities, tools: a.tools, status: a.status });
  return [
    tool({
      name: TALK_TOOL_NAMES.ask,
      description: "Ask another agent a question and wait for its answer (request/response).",
      parameters: v.object({ agent: AgentName, question: Text("what to ask") }),
      run: async ({ agent, question }, { signal }) => {
        const reply = await ctx.requestFromAgent(agent, question, { timeoutMs: options.askTimeoutMs, signal });
        return `${reply.from} answered: ${reply.content}`;
      },
    }),
    tool({
      name: TALK_TOOL_NAMES.askCapability,
      description: "Ask whichever running agent has a capability (the least busy one) and wait for its answer.",
      parameters: v.object({ capability: Text("the capability, e.g. weather"), question: Text("what to ask") }),
      run: async ({ capability, question }, { signal }) => {
        const reply = await ctx.requestByCapability(capability, question, { timeoutMs: options.askTimeoutMs, signal });
        return `${reply.from} (has ${capability}) answered: ${reply.content}`;
      },
    }),
    tool({
      name: TALK_TOOL_NAMES.send,
      description: "Send a direct message to another agent's mailbox without waiting; it works on it and notifies you when done.",
      parameters: v.object({ agent: AgentName, message: Text("the message") }),
      run: async ({ agent, message }) => `sent to ${agent} (message id ${(await ctx.sendDirectMessage(agent, message)).envelope.id})`,
    }),
    tool({
      name: TALK_TOOL_NAMES.handoff,
      description: "Hand a task over to another agent (urgent, tracked); use when another agent should own it from now on.",
      parameters: v.object({ agent: AgentName, task: Text("the task with all context the other agent needs"), reason: v.optional(v.pipe(v.string(), v.description("why it is handed off"))) }),
      run: async ({ agent, task, reason }) => `handed off to ${agent} (message id ${(await ctx.handoffToAgent(agent, task, reason ? { reason } : {})).envelope.id})`,
    }),
    tool({
      name: TALK_TOOL_NAMES.broadcast,
      description: "Tell every running agent something, on the shared channel.",
      parameters: v.object({ message: Text("what to tell everyone") }),
      run: async ({ message }) => `broadcast sent (message id ${(await ctx.broadcastMessage(message)).envelope.id})`,
    }),
    tool({
      name: TALK_TOOL_NAMES.list,
      description: "List the agents in the registry with their descriptions, capabilities and status.",
      parameters: v.object({}),
      run: async () => (await ctx.listAgents()).filter((a) => a.name !== ctx.name).map(peer),
    }),
    tool({
      name: TALK_TOOL_NAMES.find,
      description: "Find running agents that declare a capability, e.g. weather.",
      parameters: v.object({ capability: Text("the capability, e.g. weather") }),
      run: async ({ capability }) => (await ctx.findAgents(capability)).filter((a) => a.name !== ctx.name).map(peer),
    }),
  ];
}
