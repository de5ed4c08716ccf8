import type { ChatModel, ChatRequest, ChatTurn, ToolCall } from "./model.ts";
import { messageText, parsePeers, type PeerLine } from "./prompt.ts";
import { TALK_TOOL_NAMES as T } from "./talk-tools.ts";

/** Label of the offline planner in logs, answers and the demo's output. */
export const OFFLINE_LABEL = "offline planner";

/** A tool call made earlier in the same run, with its result. */
interface Done {
  name: string;
  args: Record<string, unknown>;
  result: string;
}

/** Everything a rule looks at. */
interface Situation {
  text: string;
  lower: string;
  self: string;
  peers: PeerLine[];
  /** Peers named in the text, in order of appearance. */
  named: PeerLine[];
  tools: string[];
  done: Done[];
}

type Next = { name: string; args: Record<string, unknown> } | undefined;

/**
 * A deterministic stand-in for a model, so the demo and tests run with no model server.
 * It follows the same loop and calls the same tools, chosen by keyword rules; it is no model and never pretends to be one.
 */
export function createOfflinePlanner(): ChatModel {
  let calls = 0;
  return {
    label: OFFLINE_LABEL,
    offline: true,
    async complete(request: ChatRequest): Promise<ChatTurn> {
      request.signal?.throwIfAborted();
      const s = situation(request);
      const next = nextCall(s);
      if (!next) return { content: finalAnswer(s), toolCalls: [] };
      const call: ToolCall = { id: `planner-${++calls}`, name: next.name, arguments: JSON.stringify(next.args) };
      return { content: null, toolCalls: [call] };
    },
  };
}

function situation(request: ChatRequest): Situation {
  const { messages } = request;
  const system = messages.find((m) => m.role === "system")?.content ?? "";
  const lastUser = messages.findLastIndex((m) => m.role === "user");
  const text = unlabel(messageText(lastUser >= 0 ? (messages[lastUser]!.content as string) : ""));
  const self = /^You are ([A-Za-z0-9_-]+)/.exec(system)?.[1] ?? "";
  const peers = parsePeers(system).filter((p) => p.name !== self);
  const named = peers.map((p) => ({ p, at: text.indexOf(p.name) })).filter((x) => x.at >= 0).sort((a, b) => a.at - b.at).map((x) => x.p);
  const results = new Map<string, string>();
  for (const m of messages.slice(lastUser + 1)) if (m.role === "tool") results.set(m.toolCallId, m.content);
  const done: Done[] = messages.slice(lastUser + 1).flatMap((m) =>
    m.role === "assistant" ? (m.toolCalls ?? []).map((c) => ({ name: c.name, args: parseArgs(c.arguments), result: results.get(c.id) ?? "" })) : [],
  );
  // Keywords are looked for outside agent names: "Weather-Bot" alone is no weather question.
  const lower = peers.reduce((t, p) => t.replaceAll(p.name, " "), text).toLowerCase();
  return { text, lower, self, peers, named, tools: request.tools.map((t) => t.name), done };
}

function nextCall(s: Situation): Next {
  const has = (name: string) => s.tools.includes(name);
  const called = (name: string) => s.done.some((d) => d.name === name);
  const quoted = /"([^"]+)"/.exec(s.text)?.[1];
  // A report for the record needs no action; acting on it would bounce it around.
  if (/^fyi\b/i.test(s.text.trim())) return undefined;
  // One intent per message, checked in this order; the rest of the text is its content.
  if (/\bbroadcast\b|\beveryone\b|\ball agents\b/.test(s.lower)) {
    return has(T.broadcast) && !called(T.broadcast) ? { name: T.broadcast, args: { message: labelled(quoted ?? `Hello everyone, ${s.self} here and ready to help.`) } } : undefined;
  }
  if (/\bhand(\s|-)?off\b|\bhand (it|this|the task) (over|off)\b|\bdelegate\b/.test(s.lower) && s.named[0]) {
    return has(T.handoff) && !called(T.handoff)
      ? { name: T.handoff, args: { agent: s.named[0].name, task: labelled(quoted ?? s.text), reason: `${OFFLINE_LABEL}: the task names ${s.named[0].name}` } }
      : undefined;
  }
  if (/\bweather\b|\bforecast\b|\btemperature\b/.test(s.lower)) return weatherCall(s, quoted);
  if (/\b(send|tell|message)\b/.test(s.lower) && s.named[0] && has(T.send) && !called(T.send)) {
    return { name: T.send, args: { agent: s.named[0].name, message: labelled(quoted ?? s.text) } };
  }
  return undefined;
}

/** Weather: the agent's own weather tool, else the peer with the weather capability (found through the registry if none is named). */
function weatherCall(s: Situation, quoted: string | undefined): Next {
  const called = (name: string) => s.done.some((d) => d.name === name);
  const location = locationOf(s.text);
  const own = s.tools.find((t) => t.includes("weather") && !Object.values(T).includes(t as never));
  if (own) return called(own) ? undefined : { name: own, args: { location } };
  const directly = /\bdirect message\b|\bsend\b/.test(s.lower) && !/\bask\b/.test(s.lower);
  if (directly && s.named[0] && s.tools.includes(T.send)) {
    return called(T.send) ? undefined : { name: T.send, args: { agent: s.named[0].name, message: labelled(quoted ?? `What is the weather forecast for ${location}?`) } };
  }
  if (!s.tools.includes(T.ask)) return undefined;
  const asked = s.done.find((d) => d.name === T.ask);
  if (!asked) {
    const expert = s.named.find((p) => p.capabilities.includes("weather"));
    if (expert) return { name: T.ask, args: { agent: expert.name, question: labelled(`What is the weather forecast for ${location}?`) } };
    const found = s.done.find((d) => d.name === T.find);
    if (!found) return s.tools.includes(T.find) ? { name: T.find, args: { capability: "weather" } } : undefined;
    const first = firstName(found.result);
    return first ? { name: T.ask, args: { agent: first, question: labelled(`What is the weather forecast for ${location}?`) } } : undefined;
  }
  // Chained: pass the answer on to whoever the text says to report to.
  const reportTo = /\b(report|reply|respond|tell|send|forward)\b/.test(s.lower) ? s.named.find((p) => p.name !== asked.args.agent) : undefined;
  if (reportTo && s.tools.includes(T.send) && !called(T.send)) {
    return { name: T.send, args: { agent: reportTo.name, message: labelled(`FYI from ${s.self}: weather for ${location}, as ${String(asked.args.agent)} reports: ${unlabel(asked.result).replace(/^\S+ answered: /, "")}`) } };
  }
  return undefined;
}

function finalAnswer(s: Situation): string {
  if (s.done.length === 0 && /^fyi\b/i.test(s.text.trim())) return `[${OFFLINE_LABEL}] noted: ${s.text.slice(0, 300)}`;
  if (s.done.length === 0) {
    return `[${OFFLINE_LABEL}] ${s.self} got: "${s.text.slice(0, 200)}". No rule matched (rules: weather, broadcast, hand off, send/tell, ask). Set NATTER_LLM=openai with a model server for real answers.`;
  }
  const parts = s.done.map((d) => {
    if (d.result.startsWith("error:")) return `${d.name} failed: ${d.result}`;
    if (d.name === T.find && d.result === "[]") return `no running agent declares the capability "${String(d.args.capability)}"`;
    return unlabel(d.result);
  });
  return `[${OFFLINE_LABEL}] ${parts.join(" | ")}`;
}

function locationOf(text: string): string {
  return /\b(?:in|for|at)\s+([A-Z][a-zA-Z]+(?:\s[A-Z][a-zA-Z]+)?)/.exec(text)?.[1] ?? "your area";
}

function firstName(result: string): string | undefined {
  try {
    const list = JSON.parse(result) as unknown;
    const first = Array.isArray(list) ? (list[0] as { name?: unknown } | undefined) : undefined;
    return typeof first?.name === "string" ? first.name : undefined;
  } catch {
    return undefined;
  }
}

function parseArgs(raw: string): Record<string, unknown> {
  try {
    const parsed = JSON.parse(raw) as unknown;
    return parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Marks text the planner wrote, so nobody mistakes it for a model's words. */
function labelled(text: string): string {
  return `[${OFFLINE_LABEL}] ${text}`;
}

function unlabel(text: string): string {
  return text.replaceAll(`[${OFFLINE_LABEL}] `, "");
}
