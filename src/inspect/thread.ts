import type { Bus } from "../transport/bus.ts";
import { collectStream, type ReadStreamOptions } from "./read.ts";
import type { InspectedMessage, ThreadNode } from "./types.ts";

/**
 * Arranges one conversation's stored messages as a tree of who asked whom. A message's parent is
 * the message it names in `inReplyTo`; failing that, the latest earlier message of the thread
 * delivered to its sender (what the sender was handling when it sent it); failing that, it is a root.
 * Handoff tracking records are dropped when the mailbox copy is present; a dead letter becomes a child of its original.
 * Core requests and responses are not stored, so they never appear.
 */
export function buildThread(messages: readonly InspectedMessage[]): ThreadNode[] {
  const sorted = [...messages].filter((m) => m.envelope).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0) || a.time.getTime() - b.time.getTime());
  const mailboxIds = new Set(sorted.filter((m) => m.channel !== "handoff" && m.channel !== "deadLetter").map((m) => m.envelope!.id));
  const nodes = new Map<string, ThreadNode>();
  const roots: ThreadNode[] = [];
  const delivered: ThreadNode[] = [];
  for (const message of sorted) {
    const e = message.envelope!;
    if (message.channel === "handoff" && mailboxIds.has(e.id)) continue;
    const node: ThreadNode = { message, replies: [] };
    if (message.channel === "deadLetter") {
      (nodes.get(e.id)?.replies ?? roots).push(node);
      continue;
    }
    const parent = (e.inReplyTo ? nodes.get(e.inReplyTo) : undefined) ?? lastDeliveredTo(delivered, e.from);
    (parent?.replies ?? roots).push(node);
    if (!nodes.has(e.id)) nodes.set(e.id, node);
    if (e.to) delivered.push(node);
  }
  return roots;
}

/** Reads a conversation from the stream and arranges it with {@link buildThread}. */
export async function readThread(bus: Bus, threadId: string, options: Omit<ReadStreamOptions, "filter"> = {}): Promise<ThreadNode[]> {
  return buildThread(await collectStream(bus, { ...options, filter: { thread: threadId } }));
}

/** Every message of a tree, depth first, with its depth (roots are 0). */
export function* walkThread(roots: readonly ThreadNode[], depth = 0): Generator<{ node: ThreadNode; depth: number }> {
  for (const node of roots) {
    yield { node, depth };
    yield* walkThread(node.replies, depth + 1);
  }
}

function lastDeliveredTo(delivered: readonly ThreadNode[], agent: string): ThreadNode | undefined {
  for (let i = delivered.length - 1; i >= 0; i--) if (delivered[i]!.message.envelope!.to === agent) return delivered[i];
  return undefined;
}
