import type { MsgHdrs } from "@nats-io/transport-node";

/** An answer as sent: the exact bytes and headers (signature included). */
export interface SentAnswer {
  data: Uint8Array;
  headers?: MsgHdrs | undefined;
}

/** How much an {@link AnswerMemory} keeps; past either bound the oldest answers are forgotten. */
export interface AnswerLimits {
  /** Answers kept at most (default 4,096). */
  answers: number;
  /** Their total size in bytes at most (default 8 MiB). */
  bytes: number;
}

/** Called with what was sent to a request {@link AnswerMemory.begin} remembers (undefined: nothing was). */
export type SettleAnswer = (answer: SentAnswer | undefined) => void;

// The time bound does the work: an answer is kept only while its requester may still re-send it (see serve.ts). The
// count bounds a burst: what a re-send needs is the answers sent while its requester was disconnected (it reconnects
// every 500 ms, so a few seconds across a server restart) and those of requests still running. 4,096 covers about 2 s
// at natter's sequential request rate (about 2,200 a second, docs/performance.md) for about 3 MiB of heap with 250-byte
// answers; 10,000 was always full under load and cost 7.5 MiB per agent. Past it the oldest go first.
const DEFAULT_LIMITS: AnswerLimits = { answers: 4_096, bytes: 8 * 1024 * 1024 };

/** Entries dropped from the queue's head before it is compacted. */
const COMPACT_AFTER = 1024;

interface Entry {
  readonly id: string;
  // What recognises the very same request: its reply subject, byte length and hash. A hash that is not cryptographic is
  // enough: a match only ever sends the remembered answer to `reply`, the first request's reply subject, which was sent
  // that answer already; whoever crafts another body with the same length and hash gets nothing they could not get by
  // re-sending the first one's bytes, and only the request's own id is spared a run. Anything not matched is screened
  // (signature, replay, rate) and handled as usual.
  readonly reply: string;
  readonly length: number;
  readonly hash: number;
  readonly keepMs: number;
  /** Forgotten after this, in epoch ms, once settled; while pending it is pushed back by keepMs each time it is reached. */
  until: number;
  settled: boolean;
  answer: SentAnswer | undefined;
  /** Requests asked again while the first is being answered; made only for them. */
  waiters: SettleAnswer[] | undefined;
  bytes: number;
}

/**
 * Answers a responder sent recently, by request id, so that a request asked again unchanged (a requester
 * re-sending after a reconnect) gets the same answer instead of running again or being refused as a replay.
 * Entries sit in a queue in arrival order and are forgotten from its head only: each costs O(1), amortised. One still
 * being answered when its time is up goes back to the tail. An entry kept longer than those behind it holds them in
 * memory until it goes (never longer than the longest time asked, and within the bounds), but not in answers: recall
 * checks each one's own time.
 */
export class AnswerMemory {
  readonly #entries = new Map<string, Entry>();
  #queue: (Entry | undefined)[] = [];
  #head = 0;
  #bytes = 0;

  constructor(readonly limits: AnswerLimits = DEFAULT_LIMITS) {}

  /** Answers remembered now, pending ones included. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * The answer to request `id` when these exact bytes came before on the same reply subject; a promise of it while
   * the first is still being answered; undefined for anything else, including the same id with other bytes.
   */
  recall(id: string, data: Uint8Array, reply: string): SentAnswer | Promise<SentAnswer | undefined> | undefined {
    const entry = this.#entries.get(id);
    if (!entry || entry.length !== data.length || entry.reply !== reply) return undefined;
    if (entry.settled && entry.until < Date.now()) return undefined;
    if (entry.hash !== hash53(data)) return undefined;
    if (entry.settled) return entry.answer;
    return new Promise((resolve) => (entry.waiters ??= []).push(resolve));
  }

  /**
   * Starts remembering the answer to request `id` for `keepMs` milliseconds from now (longer while it is still being
   * answered); call the function returned with what was sent. Undefined when not remembered: `keepMs` is not positive,
   * or another request holds the id (the first comer keeps it until it is forgotten).
   */
  begin(id: string, data: Uint8Array, reply: string, keepMs: number): SettleAnswer | undefined {
    if (!(keepMs > 0)) return undefined;
    const now = Date.now();
    const existing = this.#entries.get(id);
    if (existing) {
      if (!existing.settled || existing.until >= now) return undefined;
      this.#forget(existing);
    }
    const entry: Entry = { id, reply, length: data.length, hash: hash53(data), keepMs, until: now + keepMs, settled: false, answer: undefined, waiters: undefined, bytes: 0 };
    this.#entries.set(id, entry);
    this.#queue.push(entry);
    this.#trim(now);
    return (answer) => this.#settle(entry, answer);
  }

  #settle(entry: Entry, answer: SentAnswer | undefined): void {
    entry.settled = true;
    entry.answer = answer;
    const waiters = entry.waiters;
    entry.waiters = undefined;
    if (waiters) for (const resolve of waiters) resolve(answer);
    if (this.#entries.get(entry.id) !== entry) return;
    if (!answer) return this.#forget(entry);
    entry.bytes = answer.data.length;
    this.#bytes += entry.bytes;
    const now = Date.now();
    // A handler that ran longer than the time asked must not have its answer forgotten as it is sent: the requester
    // may still be waiting, and re-send it. Kept from now, at least.
    entry.until = Math.max(entry.until, now + entry.keepMs);
    this.#trim(now);
  }

  /** Forgets from the head: what is past its time, then the oldest while over a bound. */
  #trim(now: number): void {
    for (;;) {
      const entry = this.#queue[this.#head];
      if (!entry) return;
      const current = this.#entries.get(entry.id) === entry;
      const over = this.#entries.size > this.limits.answers || this.#bytes > this.limits.bytes;
      if (current && entry.until >= now && !over) return;
      this.#shift();
      if (!current) continue;
      if (!over && !entry.settled) {
        // Still being answered: a re-send now would run the handler twice, so it stays, as the newest.
        entry.until = now + entry.keepMs;
        this.#queue.push(entry);
        continue;
      }
      this.#forget(entry);
    }
  }

  #shift(): void {
    this.#queue[this.#head++] = undefined;
    if (this.#head >= COMPACT_AFTER && this.#head * 2 >= this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #forget(entry: Entry): void {
    this.#entries.delete(entry.id);
    this.#bytes -= entry.bytes;
    entry.bytes = 0;
  }
}

/** cyrb53 (bryc, public domain), fed 4 bytes at a time: a fast 53-bit hash, not a cryptographic one (see {@link Entry}). */
function hash53(data: Uint8Array): number {
  let h1 = 0xdeadbeef ^ data.length;
  let h2 = 0x41c6ce57;
  const words = data.length >>> 2;
  // A DataView reads a word at any offset: a message's bytes may be a view into a larger buffer.
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < words; i++) {
    const w = view.getInt32(i * 4, true);
    h1 = Math.imul(h1 ^ w, 2654435761);
    h2 = Math.imul(h2 ^ w, 1597334677);
  }
  for (let i = words * 4; i < data.length; i++) {
    const b = data[i]!;
    h1 = Math.imul(h1 ^ b, 2654435761);
    h2 = Math.imul(h2 ^ b, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
