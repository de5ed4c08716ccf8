import { createHash } from "node:crypto";
import type { MsgHdrs } from "@nats-io/transport-node";

/** An answer as sent: the exact bytes and headers (signature included). */
export interface SentAnswer {
  data: Uint8Array;
  headers?: MsgHdrs | undefined;
}

/** How much an {@link AnswerMemory} keeps; past either bound the oldest answers are forgotten. */
export interface AnswerLimits {
  /** Answers kept at most (default 10,000). */
  answers: number;
  /** Their total size in bytes at most (default 8 MiB). */
  bytes: number;
}

// A re-send comes within seconds of a reconnect: a few thousand recent answers are plenty, per agent and host.
const DEFAULT_LIMITS: AnswerLimits = { answers: 10_000, bytes: 8 * 1024 * 1024 };

interface Entry {
  /** Hash of the request's exact bytes and its reply subject: only that request, asked again, gets the answer. */
  fingerprint: string;
  until: number;
  answer: Promise<SentAnswer | undefined>;
  bytes: number;
}

/**
 * Answers a responder sent recently, by request id, so that a request asked again unchanged (a requester
 * re-sending after a reconnect) gets the same answer instead of running again or being refused as a replay.
 */
export class AnswerMemory {
  readonly #entries = new Map<string, Entry>();
  #bytes = 0;

  /** @param keepMs how long an answer is kept after its request arrived, in milliseconds */
  constructor(
    readonly keepMs: number,
    readonly limits: AnswerLimits = DEFAULT_LIMITS,
  ) {}

  /**
   * The answer to request `id` when these exact bytes came before on the same reply subject (waits for it while
   * the first is still being answered); undefined for anything else, including the same id with other bytes.
   */
  recall(id: string, data: Uint8Array, reply: string): Promise<SentAnswer | undefined> | undefined {
    const now = Date.now();
    this.#trim(now);
    const entry = this.#entries.get(id);
    if (!entry || entry.until < now || entry.fingerprint !== fingerprint(data, reply)) return undefined;
    return entry.answer;
  }

  /** Starts remembering the answer to request `id`; call the function returned with what was sent. First comer only. */
  begin(id: string, data: Uint8Array, reply: string): (answer: SentAnswer | undefined) => void {
    const now = Date.now();
    const existing = this.#entries.get(id);
    if (existing && existing.until >= now) return () => undefined;
    if (existing) this.#forget(id, existing);
    let settle!: (answer: SentAnswer | undefined) => void;
    const entry: Entry = { fingerprint: fingerprint(data, reply), until: now + this.keepMs, answer: new Promise((r) => (settle = r)), bytes: 0 };
    this.#entries.set(id, entry);
    this.#trim(now);
    return (answer) => {
      settle(answer);
      if (this.#entries.get(id) !== entry || !answer) return;
      entry.bytes = answer.data.length;
      this.#bytes += entry.bytes;
      this.#trim(Date.now());
    };
  }

  #trim(now: number): void {
    for (const [id, entry] of this.#entries) {
      if (entry.until >= now && this.#entries.size <= this.limits.answers && this.#bytes <= this.limits.bytes) return;
      this.#forget(id, entry);
    }
  }

  #forget(id: string, entry: Entry): void {
    this.#entries.delete(id);
    this.#bytes -= entry.bytes;
  }
}

function fingerprint(data: Uint8Array, reply: string): string {
  return createHash("sha256").update(data).update("\n").update(reply).digest("base64url");
}
