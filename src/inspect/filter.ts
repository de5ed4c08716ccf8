import { ValidationError } from "../errors.ts";
import { ALL_SUBJECT, SUBJECT_PATTERNS, deadLetterSubject, directSubject } from "../protocol/subjects.ts";
import type { Channel, InspectedMessage, MessageFilter } from "./types.ts";

const ALL_CHANNEL_TYPES = new Set(["broadcast", "announcement", "heartbeat"]);
/** Channels where `recipient` received the message (handoff records are copies of mailbox messages). */
const DELIVERED = new Set<Channel>(["direct", "request", "response", "deadLetter"]);

/** How a filter runs: at most one subject the server filters on, and the predicate every message must pass. */
export interface FilterPlan {
  /** The consumer's `filter_subject`; undefined means every stream subject. Always a superset of what `matches` accepts. */
  filterSubject: string | undefined;
  matches(message: InspectedMessage): boolean;
}

/**
 * Splits a filter into the one subject the server can filter on (nats-server 2.9 takes only one)
 * and a client-side predicate that applies every field, so the result is the same whichever subject is chosen.
 */
export function planFilter(filter: MessageFilter): FilterPlan {
  return { filterSubject: serverSubject(filter), matches: (m) => matchesFilter(m, filter) };
}

function serverSubject(f: MessageFilter): string | undefined {
  if (f.subject) return f.subject;
  if (f.deadLetters) return f.to ? deadLetterSubject(f.to) : SUBJECT_PATTERNS.deadLetter;
  if (f.to) return directSubject(f.to);
  if (f.type && ALL_CHANNEL_TYPES.has(f.type)) return ALL_SUBJECT;
  return undefined;
}

/** Whether `m` passes every field of `f`. */
export function matchesFilter(m: InspectedMessage, f: MessageFilter): boolean {
  const e = m.envelope;
  if (f.subject && !subjectMatches(f.subject, m.subject)) return false;
  if (f.deadLetters && m.channel !== "deadLetter") return false;
  if (f.to && (m.recipient !== f.to || !DELIVERED.has(m.channel))) return false;
  if (m.channel === "deadLetter" && f.to && !f.deadLetters) return false;
  if (f.from && e?.from !== f.from) return false;
  if (f.agent && e?.from !== f.agent && e?.to !== f.agent && m.recipient !== f.agent) return false;
  if (f.type && e?.type !== f.type) return false;
  if (f.thread && e?.threadId !== f.thread && e?.id !== f.thread) return false;
  if (f.fromSeq !== undefined && m.seq !== undefined && m.seq < f.fromSeq) return false;
  if (f.since && m.time < f.since) return false;
  if (f.until && m.time > f.until) return false;
  return true;
}

/** Whether `subject` only covers core requests or responses, which are never stored (only a tail hears them). */
export function isCoreOnlySubject(subject: string): boolean {
  const [root, kind] = subject.split(".");
  return root === "agents" && (kind === "request" || kind === "response");
}

/** NATS subject matching: `*` is one token, a final `>` one or more. */
export function subjectMatches(pattern: string, subject: string): boolean {
  const p = pattern.split(".");
  const s = subject.split(".");
  for (let i = 0; i < p.length; i++) {
    if (p[i] === ">") return s.length > i;
    if (i >= s.length) return false;
    if (p[i] !== "*" && p[i] !== s[i]) return false;
  }
  return p.length === s.length;
}

/** Milliseconds in a duration like `500ms`, `90s`, `10m`, `2h`, `3d`; undefined when `text` is not one. */
export function parseDurationMs(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!m) return undefined;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as "ms" | "s" | "m" | "h" | "d"];
}

/**
 * A point in time from a duration back from `now` (`90s`, `10m`, `2h`, `3d`) or an ISO-8601 timestamp.
 * Throws a ValidationError saying what was expected.
 */
export function parseTimeSpec(text: string, now: Date = new Date()): Date {
  const ago = parseDurationMs(text);
  if (ago !== undefined) return new Date(now.getTime() - ago);
  if (/^\d{4}-\d\d-\d\d([T ][\d:.]+(Z|[+-]\d\d:?\d\d)?)?$/.test(text.trim())) {
    const t = Date.parse(text.trim());
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw new ValidationError(`expected a duration like 10m, 2h, 3d or an ISO timestamp like 2026-01-31T12:00:00Z, got ${JSON.stringify(text)}`);
}
