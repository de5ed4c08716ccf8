import type { Envelope } from "../protocol/envelope.ts";
import type { ChatMessage } from "./model.ts";
import type { PeerInfo } from "./talk-tools.ts";

/** A peer as the planner reads it back from the system prompt. */
export interface PeerLine {
  name: string;
  capabilities: string[];
}

const PEERS_HEADING = "Agents you can talk to (from the live registry):";
const PEER_LINE = /^- ([A-Za-z0-9_-]+) \[[^\]]*\] capabilities: ([^|]*)\|/;

/** Orient: the system prompt from the agent's instructions and the live registry of peers. */
export function systemPrompt(self: string, instructions: string, peers: readonly PeerInfo[] | undefined): string {
  const lines = [
    `You are ${self}, an agent on a NATS message bus shared with other agents.`,
    instructions.trim(),
    "Use your tools to act. To involve another agent, call one of the talking tools with its exact name. When you are done, answer in plain text: your answer is sent back to whoever asked.",
  ];
  if (peers === undefined) lines.push("The registry of other agents could not be read right now.");
  else if (peers.length === 0) lines.push("No other agents are running right now.");
  else {
    lines.push(PEERS_HEADING);
    for (const p of peers) lines.push(`- ${p.name} [${p.status}] capabilities: ${p.capabilities.join(", ") || "none"} | ${p.description || "no description"}`);
  }
  return lines.join("\n");
}

/** Observe: the incoming message as the user turn, with who sent it and how. */
export function incomingMessage(message: Envelope): ChatMessage {
  const how = message.type === "handoff" ? "handed this task to you" : message.type === "request" ? "asks and waits for your answer" : "sent you a direct message";
  return { role: "user", content: `[${message.from} ${how}]\n${message.content}` };
}

/** Stored kinds of message that belong in a conversation's history. */
const CONVERSATION_TYPES: ReadonlySet<string> = new Set(["direct", "handoff", "response", "broadcast"]);

/** Observe: the newest `maxTurns` stored messages of the thread as turns, without the one being handled. */
export function threadTurns(stored: readonly Envelope[], self: string, currentId: string, maxTurns: number): ChatMessage[] {
  return stored
    .filter((e) => e.id !== currentId && CONVERSATION_TYPES.has(e.type))
    .slice(-maxTurns)
    .map((e): ChatMessage => (e.from === self ? { role: "assistant", content: e.content } : { role: "user", content: `[earlier: ${e.from} to ${e.to ?? "everyone"}, ${e.type}]\n${e.content}` }));
}

/** The text of an incoming user turn without its sender line. */
export function messageText(content: string): string {
  return /^\[[^\]\n]*\]\n/.test(content) ? content.slice(content.indexOf("\n") + 1) : content;
}

/** Peers listed in a system prompt made by {@link systemPrompt}. */
export function parsePeers(prompt: string): PeerLine[] {
  return prompt.split("\n").flatMap((line) => {
    const m = PEER_LINE.exec(line);
    return m ? [{ name: m[1]!, capabilities: m[2]!.trim() === "none" ? [] : m[2]!.split(",").map((c) => c.trim()) }] : [];
  });
}
