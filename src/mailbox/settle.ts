import type { JsMsg } from "@nats-io/jetstream";
import { TimeoutError, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { setTimeout as sleep } from "node:timers/promises";
import type { Logger } from "../logger.ts";
import { retryDelayMs } from "../transport/time.ts";
import { replies } from "./replies.ts";

const ACK = new TextEncoder().encode("+ACK");
const WORKING = new TextEncoder().encode("+WPI");

/** Stream sequences finished here, remembered at most per agent: enough to outlast any ack wait at full speed. */
const REMEMBERED_SEQS = 10_000;

/**
 * Sends an acknowledgement and waits until the server confirms it (JetStream's double ack); throws when no
 * confirmation comes within `timeoutMs` (no consumer leader, connection away, reply lost).
 * The client's `JsMsg.ackAck()` is this exchange, but once only: it marks the message settled before sending, so
 * calling it again sends nothing (and `working()` falls silent). A retry across a leader change needs its own;
 * acking a message already acknowledged is confirmed again and changes nothing.
 */
export async function confirmAck(nc: NatsConnection, msg: JsMsg, timeoutMs: number): Promise<void> {
  const subject = ackSubject(msg);
  if (!subject) {
    if (!(await msg.ackAck({ timeout: timeoutMs }))) throw new Error("acknowledgement not confirmed");
    return;
  }
  // Through the connection's one reply inbox: a request per ack (a timer and a mux entry each) cost a quarter of the
  // mailbox's throughput; this costs little more than a plain ack.
  let m: Msg;
  try {
    m = await replies(nc).request(subject, ACK, timeoutMs);
  } catch (err) {
    if (err instanceof TimeoutError) throw new Error("acknowledgement not confirmed in time");
    if (nc.isClosed()) throw new Error("acknowledgement not confirmed: connection closed");
    throw err;
  }
  // A status reply (503: nothing serves the ack subject, the consumer has no leader) is no confirmation.
  if (m.headers && m.headers.code >= 300) throw new Error(`acknowledgement not confirmed: ${m.headers.code} ${m.headers.description}`);
}

/** The subject acks go to: the client's message has it (`reply`), its public type does not say so. */
function ackSubject(msg: JsMsg): string | undefined {
  const reply = (msg as JsMsg & { reply?: unknown }).reply;
  return typeof reply === "string" && reply.length > 0 ? reply : undefined;
}

/**
 * How long each step after a handler is retried: the notice (then the message is acknowledged without it), and the
 * acknowledgement (then the message is left to the server: it comes back, and is acked again unrun).
 */
export const FOLLOW_UP_RETRY_MS = 120_000;

/**
 * Runs `work` until it succeeds, waiting longer after each failure (0.2 s doubling to 5 s); `onFailure` hears the
 * first failure and every tenth. Resolves false when `signal` fired, or `giveUpAfterMs` passed, before it succeeded.
 */
export async function retrying(work: () => Promise<void>, signal: AbortSignal, onFailure: (attempt: number, error: unknown) => void, giveUpAfterMs: number): Promise<boolean> {
  const started = Date.now();
  for (let attempt = 1; ; attempt++) {
    try {
      await work();
      return true;
    } catch (err) {
      if (signal.aborted || Date.now() - started > giveUpAfterMs) return false;
      if (attempt === 1 || attempt % 10 === 0) onFailure(attempt, err);
      await sleep(retryDelayMs(attempt), undefined, { signal }).catch(() => undefined);
    }
  }
}

/** Options of {@link confirmRetrying}. */
export interface ConfirmOptions {
  /** Milliseconds to wait for each confirmation. */
  timeoutMs: number;
  /** Stops the retries (the agent is stopping). */
  signal: AbortSignal;
  log: Logger;
}

/**
 * Acknowledges and waits for the server's confirmation, retrying across a reconnect or a consumer leader change (an
 * ack sent while the consumer has no leader is dropped, and the message would come back after the ack wait).
 * `copies` are later deliveries of the same message: the newest is confirmed (the one the server waits on), the
 * others acked. Gives up when `signal` fires or after two minutes, and says so; a copy that comes back is acked unrun.
 */
export async function confirmRetrying(nc: NatsConnection, msg: JsMsg, copies: readonly JsMsg[], options: ConfirmOptions): Promise<void> {
  const { log, signal } = options;
  const started = Date.now();
  let target = msg;
  for (let attempt = 1; ; attempt++) {
    target = copies.at(-1) ?? msg;
    try {
      await confirmAck(nc, target, options.timeoutMs);
      if (attempt > 1) log.info("mailbox.ack_confirmed", { seq: target.info.streamSequence, attempts: attempt, ms: Date.now() - started });
      break;
    } catch (err) {
      if (signal.aborted || nc.isClosed() || Date.now() - started > FOLLOW_UP_RETRY_MS) {
        log.warn("mailbox.ack_unconfirmed", { seq: target.info.streamSequence, attempts: attempt, reason: signal.aborted || nc.isClosed() ? "the agent stopped" : "no confirmation in two minutes", error: err });
        break;
      }
      if (attempt === 1) log.info("mailbox.ack_retry", { seq: target.info.streamSequence, error: err });
      await sleep(retryDelayMs(attempt), undefined, { signal }).catch(() => undefined);
    }
  }
  for (const m of [msg, ...copies]) {
    if (m === target) continue;
    try {
      m.ack();
    } catch {
      // The connection is closing: the copy comes back after its ack wait and is acked then, unrun.
    }
  }
}

/** Tells the server a message is still being worked on, so its ack wait starts again; also after an unconfirmed ack. */
export function touch(nc: NatsConnection, msg: JsMsg): void {
  const reply = ackSubject(msg);
  try {
    if (reply) nc.publish(reply, WORKING);
    else msg.working();
  } catch {
    // Connection closed: nothing to keep alive any more; the message comes back after the ack wait.
  }
}

/** What one host knows of an agent's stored messages by stream sequence: those it holds now, and those it finished. */
export interface SeqMemory<T> {
  /** Held now (queued, running or settling): a redelivered copy joins it instead of running again. */
  readonly held: Map<number, T>;
  /** Finished (acknowledged or terminated): a redelivered copy is acknowledged again without running. */
  readonly finished: BoundedSet;
}

/**
 * A set that forgets its oldest entries past `limit`. The order is kept in a ring, not by deleting from the front of
 * a Set: each deletion there leaves a hole that every later "oldest" lookup walks over until the table is rebuilt.
 */
export class BoundedSet {
  readonly #items = new Set<number>();
  /** Insertion order, filled up to `limit` and then overwritten oldest first; grows with use, not made full size. */
  readonly #ring: number[] = [];
  #next = 0;
  constructor(readonly limit: number) {}
  has(n: number): boolean {
    return this.#items.has(n);
  }
  add(n: number): void {
    if (this.#items.has(n)) return;
    if (this.#ring.length < this.limit) this.#ring.push(n);
    else {
      this.#items.delete(this.#ring[this.#next]!);
      this.#ring[this.#next] = n;
      this.#next = (this.#next + 1) % this.limit;
    }
    this.#items.add(n);
  }
}

/** Memories by connection and agent: instances of one agent in one host share theirs, as a redelivered copy may reach any of them. */
const memories = new WeakMap<NatsConnection, Map<string, SeqMemory<unknown>>>();

/** The memory of `agent`'s mailbox messages shared by its instances on `nc`. */
export function seqMemory<T>(nc: NatsConnection, agent: string): SeqMemory<T> {
  let byAgent = memories.get(nc);
  if (!byAgent) memories.set(nc, (byAgent = new Map()));
  let memory = byAgent.get(agent);
  if (!memory) byAgent.set(agent, (memory = { held: new Map(), finished: new BoundedSet(REMEMBERED_SEQS) }));
  return memory as SeqMemory<T>;
}
