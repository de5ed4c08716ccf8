// The thread timeline's layout: who waited on whom and for how long, from the envelopes' timestamps. Pure (no DOM),
// so test/ui/timeline.test.ts checks it without a browser.
import type { UiMessage } from "../events.ts";

/** One wait: `waiter` sent `message` to `worker` and waited until `worker` answered (or still waits). */
export interface TimelineBar {
  /** The id of the message waited on. */
  id: string;
  /** What was waited on: request (→ response), direct or handoff (→ completion notice). */
  kind: string;
  waiter: string;
  worker: string;
  /** Milliseconds from the thread's first message to the wait's start, and how long it lasted. */
  startMs: number;
  durationMs: number;
  /** True when no answer is in the thread yet: the bar runs to the thread's last message. */
  open: boolean;
  /** Position and size on the time axis, in percent of the thread's span. */
  leftPct: number;
  widthPct: number;
}

/** A thread's timeline: its bars, earliest first, over `spanMs` from the first message to the last. */
export interface Timeline {
  spanMs: number;
  bars: TimelineBar[];
}

/** Messages a sender waits on for an answer, and the type of that answer. */
const WAITED_ON = new Set(["request", "direct", "handoff"]);
/** A bar never drawn narrower than this (percent), so an instant answer still shows. */
const MIN_WIDTH_PCT = 0.5;

/** Lays out the waits of a thread's messages (any order): a request ends with its response, a direct message or handoff with its notice. */
export function layoutTimeline(messages: readonly UiMessage[]): Timeline {
  const times = messages.map((m) => Date.parse(m.timestamp)).filter((t) => Number.isFinite(t));
  if (times.length === 0) return { spanMs: 0, bars: [] };
  const first = Math.min(...times);
  const last = Math.max(...times);
  const spanMs = last - first;
  const answers = new Map<string, number>();
  for (const m of messages) {
    const t = Date.parse(m.timestamp);
    // The earliest answer ends the wait (a repeated notice does not stretch it).
    if (m.type === "response" && m.inReplyTo && Number.isFinite(t)) answers.set(m.inReplyTo, Math.min(t, answers.get(m.inReplyTo) ?? t));
  }
  const seen = new Set<string>();
  const bars: TimelineBar[] = [];
  for (const m of messages) {
    const start = Date.parse(m.timestamp);
    if (!WAITED_ON.has(m.type) || !m.to || seen.has(m.id) || !Number.isFinite(start)) continue;
    seen.add(m.id);
    const answered = answers.get(m.id);
    const end = Math.max(start, answered ?? last);
    const widthPct = spanMs === 0 ? 100 : Math.max(MIN_WIDTH_PCT, ((end - start) / spanMs) * 100);
    // A bar widened to the minimum at the very end moves left to stay on the axis.
    const leftPct = spanMs === 0 ? 0 : Math.min(((start - first) / spanMs) * 100, 100 - widthPct);
    bars.push({ id: m.id, kind: m.type, waiter: m.from, worker: m.to, startMs: start - first, durationMs: end - start, open: answered === undefined, leftPct, widthPct });
  }
  bars.sort((a, b) => a.startMs - b.startMs || a.id.localeCompare(b.id));
  return { spanMs, bars };
}

/** "850 ms", "1.2 s", "3 min 5 s": a duration for a bar's label. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}
