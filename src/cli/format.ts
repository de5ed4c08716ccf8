import type { AgentInfo } from "../registry/query.ts";
import type { InspectedMessage, ThreadNode } from "../inspect/types.ts";

const PREVIEW_CHARS = 72;
/** Shown instead of the body of a sealed message: only its recipient can read it (docs/security.md). */
const SEALED = "[sealed]";

/** `2026-01-31 12:00:00.000` in UTC. */
export function formatTime(time: Date): string {
  return time.toISOString().replace("T", " ").replace("Z", "");
}

/** Content on one line, quoted, cut to a preview. */
export function preview(content: string, max = PREVIEW_CHARS): string {
  const flat = content.replace(/\s+/g, " ").trim();
  return JSON.stringify(flat.length > max ? flat.slice(0, max - 1) + "…" : flat);
}

/** One line per message: time, seq, type, from → to, priority, content preview, then what is special about it. */
export function formatMessage(m: InspectedMessage): string {
  const seq = m.seq === undefined ? "core" : `#${m.seq}`;
  const e = m.envelope;
  if (!e) return `${formatTime(m.time)} ${seq} ${m.subject} INVALID: ${m.invalid}`;
  const parts = [formatTime(m.time), seq, e.type, `${e.from} → ${e.to ?? "all"}`, `p${e.priority}`, e.sealed ? SEALED : preview(e.content)];
  if (m.channel === "handoff") parts.push("[handoff record]");
  if (m.deadLetter) {
    const d = m.deadLetter;
    parts.push(`DEAD LETTER after ${d.deliveries} deliveries: ${d.error} (original #${d.originalSeq})`);
  }
  if (m.error) parts.push(`ERROR ${m.error.code}: ${m.error.message}`);
  if (typeof e.metadata.replayOf === "number") parts.push(`[replay of #${e.metadata.replayOf}]`);
  parts.push(`thread=${e.threadId ?? e.id}`);
  return parts.join(" ");
}

/** A message as plain JSON (one line with --json). */
export function messageJson(m: InspectedMessage): Record<string, unknown> {
  return {
    seq: m.seq ?? null,
    subject: m.subject,
    channel: m.channel,
    recipient: m.recipient ?? null,
    time: m.time.toISOString(),
    envelope: m.envelope ?? null,
    ...(m.invalid ? { invalid: m.invalid } : {}),
    ...(m.deadLetter ? { deadLetter: m.deadLetter } : {}),
    ...(m.error ? { error: m.error } : {}),
  };
}

/** A message in full: where it was stored, then the whole envelope. */
export function formatFull(m: InspectedMessage): string {
  const head = `── ${m.seq === undefined ? "core" : `#${m.seq}`} ${m.subject} at ${m.time.toISOString()}`;
  const extra = [m.deadLetter ? `dead letter: ${JSON.stringify(m.deadLetter)}` : "", m.error ? `error: ${JSON.stringify(m.error)}` : "", m.invalid ? `invalid: ${m.invalid}` : ""].filter(Boolean);
  return [head, ...extra, m.envelope ? JSON.stringify(m.envelope, null, 2) : ""].filter(Boolean).join("\n");
}

/** The registry as a table: name, status, instances, load, capabilities, last heartbeat age. */
export function formatAgents(agents: readonly AgentInfo[], now = Date.now()): string[] {
  const rows = agents.map((a) => {
    const newest = Math.max(...a.instances.map((i) => Date.parse(i.lastHeartbeat)));
    return [a.name, a.status, String(a.instances.length), `${a.load}/${a.capacity}`, a.capabilities.join(",") || "-", `${formatAge(now - newest)} ago`];
  });
  const header = ["NAME", "STATUS", "INSTANCES", "LOAD", "CAPABILITIES", "HEARTBEAT"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join("  "));
}

/** `3s`, `4m`, `2h`, `5d`. */
export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  if (s < 172_800) return `${Math.round(s / 3600)}h`;
  return `${Math.round(s / 86_400)}d`;
}

/** A conversation tree, one message per line, indented under what it answers. */
export function formatThread(roots: readonly ThreadNode[]): string[] {
  const lines: string[] = [];
  const walk = (nodes: readonly ThreadNode[], prefix: string, nested: boolean) => {
    nodes.forEach((node, i) => {
      const last = i === nodes.length - 1;
      const branch = nested ? (last ? "└─ " : "├─ ") : "";
      lines.push(prefix + branch + formatMessage(node.message));
      walk(node.replies, nested ? prefix + (last ? "   " : "│  ") : prefix, true);
    });
  };
  walk(roots, "", false);
  return lines;
}

/** A tree as JSON: each node's message and replies. */
export function threadJson(nodes: readonly ThreadNode[]): unknown[] {
  return nodes.map((n) => ({ ...messageJson(n.message), replies: threadJson(n.replies) }));
}
