import type { InspectedMessage, ThreadNode } from "../inspect/types.ts";
import type { UiMessage, UiThreadNode } from "./events.ts";

/** Characters of content kept in a feed row. */
const PREVIEW_CHARS = 160;

/** The feed row of an inspected message; `key` tells apart rows whose payload did not decode. */
export function toUiMessage(m: InspectedMessage, key: string): UiMessage {
  const e = m.envelope;
  const seq = m.seq === undefined ? {} : { seq: m.seq };
  const error = m.error?.message ?? (m.deadLetter ? `dead letter after ${m.deadLetter.deliveries} deliveries: ${m.deadLetter.error}` : m.invalid);
  const base = { ...seq, subject: m.subject, channel: m.channel, ...(error ? { error } : {}) };
  if (!e) {
    // A 503 on a response subject is NATS saying nobody served the request.
    return { ...base, id: key, type: m.channel === "response" ? "response" : "invalid", from: "?", ...(m.recipient ? { to: m.recipient } : {}), thread: key, timestamp: m.time.toISOString(), preview: "" };
  }
  return {
    ...base,
    id: e.id,
    type: e.type,
    from: e.from,
    ...(e.to ? { to: e.to } : {}),
    thread: e.threadId ?? e.id,
    ...(e.inReplyTo ? { inReplyTo: e.inReplyTo } : {}),
    timestamp: e.timestamp,
    // A sealed body only its recipient can read; the console never holds its key.
    preview: e.sealed ? "[sealed]" : e.content.length > PREVIEW_CHARS ? e.content.slice(0, PREVIEW_CHARS) + "…" : e.content,
  };
}

/** A conversation tree for the page. */
export function toUiThread(nodes: readonly ThreadNode[]): UiThreadNode[] {
  return nodes.map((n) => ({ message: toUiMessage(n.message, `seq-${n.message.seq ?? 0}`), replies: toUiThread(n.replies) }));
}
