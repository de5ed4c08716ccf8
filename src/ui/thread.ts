import { collectStream } from "../inspect/read.ts";
import { buildThread, walkThread } from "../inspect/thread.ts";
import type { InspectedMessage, ThreadNode } from "../inspect/types.ts";
import type { Bus } from "../transport/bus.ts";

/**
 * A conversation: its stored messages arranged by inspect's {@link buildThread}, with the core requests
 * and responses this console heard (never stored) hung under the message each answers or was sent while handling.
 */
export async function readConsoleThread(bus: Bus, threadId: string, heard: readonly InspectedMessage[]): Promise<{ roots: ThreadNode[]; count: number }> {
  const stored = await collectStream(bus, { filter: { thread: threadId } });
  const roots = buildThread(stored);
  const core = heard
    .filter((m) => m.seq === undefined && m.envelope && (m.envelope.threadId ?? m.envelope.id) === threadId)
    .sort((a, b) => a.time.getTime() - b.time.getTime());
  const byId = new Map<string, ThreadNode>();
  for (const { node } of walkThread(roots)) if (node.message.envelope) byId.set(node.message.envelope.id, node);
  for (const message of core) {
    const e = message.envelope!;
    const node: ThreadNode = { message, replies: [] };
    const parent = (e.inReplyTo ? byId.get(e.inReplyTo) : undefined) ?? latestDeliveredTo(byId, e.from, message.time);
    (parent?.replies ?? roots).push(node);
    if (!byId.has(e.id)) byId.set(e.id, node);
  }
  return { roots, count: stored.length + core.length };
}

function latestDeliveredTo(nodes: Map<string, ThreadNode>, agent: string, before: Date): ThreadNode | undefined {
  let best: ThreadNode | undefined;
  for (const n of nodes.values()) {
    const m = n.message;
    if (m.envelope?.to !== agent || m.time > before) continue;
    if (!best || m.time > best.message.time) best = n;
  }
  return best;
}
