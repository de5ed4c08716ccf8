import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { decodeEnvelope, HEADERS, SUBJECT_PATTERNS } from "../../src/protocol/index.ts";
import { type Envelope } from "../../src/index.ts";

/** One message seen crossing the bus. */
export interface Crossing {
  subject: string;
  envelope: Envelope;
}

/** Listens to every natter subject and keeps what crossed, so the demo can show it and wait for it. */
export class Tap {
  readonly seen: Crossing[] = [];
  readonly #subs: Subscription[];
  readonly #waiters = new Set<() => void>();

  constructor(nc: NatsConnection, print: (c: Crossing) => void, warn: (line: string) => void) {
    const patterns = [SUBJECT_PATTERNS.all, SUBJECT_PATTERNS.direct, SUBJECT_PATTERNS.handoff, SUBJECT_PATTERNS.request, SUBJECT_PATTERNS.response, SUBJECT_PATTERNS.progress];
    this.#subs = patterns.map((subject) =>
      nc.subscribe(subject, {
        callback: (err, msg) => {
          if (err) return;
          let envelope: Envelope;
          try {
            envelope = decodeEnvelope(msg.data);
          } catch {
            const why = msg.headers?.get(HEADERS.error);
            if (why) warn(`  ⚠ error reply on ${msg.subject}: ${why}`);
            return;
          }
          const crossing = { subject: msg.subject, envelope };
          this.seen.push(crossing);
          print(crossing);
          for (const wake of this.#waiters) wake();
        },
      }),
    );
  }

  /** Resolves with the first crossing from index `from` on that matches, or undefined after `timeoutMs`. */
  waitFor(match: (c: Crossing) => boolean, from: number, timeoutMs: number): Promise<Crossing | undefined> {
    return new Promise((resolve) => {
      const check = () => {
        const found = this.seen.slice(from).find(match);
        if (!found) return false;
        finish(found);
        return true;
      };
      const timer = setTimeout(() => finish(undefined), timeoutMs);
      const finish = (c: Crossing | undefined) => {
        clearTimeout(timer);
        this.#waiters.delete(wake);
        resolve(c);
      };
      const wake = () => void check();
      if (!check()) this.#waiters.add(wake);
    });
  }

  close(): void {
    for (const s of this.#subs) s.unsubscribe();
  }
}

const ARROWS: Record<string, string> = { direct: "✉ direct  ", request: "? request ", response: "↩ response", handoff: "⇢ handoff ", broadcast: "📣 broadcast", announcement: "👋 announce", progress: "… progress" };

/** One line for a crossing: kind, who to whom, the subject and the content. */
export function describeCrossing(c: Crossing): string {
  const e = c.envelope;
  const tracking = c.subject.startsWith("agents.handoff.");
  const kind = tracking ? "⇢ tracking" : (ARROWS[e.type] ?? e.type);
  const who = e.to ? `${e.from} → ${e.to}` : `${e.from} → everyone`;
  const text = e.content.replace(/\s+/g, " ");
  return `    ${kind}  ${who}  [${c.subject}]\n        "${text.length > 220 ? text.slice(0, 217) + "..." : text}"`;
}
