import type { Consumer, ConsumeCallback, ConsumerInfo, ConsumerMessages, FetchOptions, JetStreamClient, JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { setTimeout as sleep } from "node:timers/promises";
import { AbortedError, MessageTooLargeError, ValidationError, toError, type NatterError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { decodeEnvelope, type Envelope } from "../protocol/envelope.ts";
import { TIMED_OUT, within } from "../transport/bounded.ts";
import { retryDelayMs } from "../transport/time.ts";
import { confirmRetrying, FOLLOW_UP_RETRY_MS, retrying, seqMemory, touch, type SeqMemory } from "./settle.ts";

/** One message taken from a mailbox, validated. */
export interface Delivery {
  readonly envelope: Envelope;
  /** Stream sequence: the message's position for replay. */
  readonly seq: number;
  /** 1 on first delivery; more after a failure, a crash or a timeout. */
  readonly deliveryCount: number;
  readonly redelivered: boolean;
  readonly msg: JsMsg;
}

/**
 * How to finish a message whose handler has returned. The handler is never run again because of what follows it:
 * `after` is retried on its own until it succeeds, and the acknowledgement until the server confirms it.
 */
export interface Finish {
  /** Work after the handler (the sender's notice): retried with backoff until it succeeds or the mailbox stops. */
  after?: () => Promise<void>;
  /** Terminate instead of acknowledge: the message must not come back (its deadline passed). */
  term?: boolean;
}

/** What the mailbox does with each delivery; supplied by the agent runtime. */
export interface MailboxHandlers {
  /** Runs the message. Throwing asks for a retry (nak with backoff); `signal` fires on shutdown. */
  handle(delivery: Delivery, signal: AbortSignal): Promise<Finish | void>;
  /** Deliveries are exhausted: record the failure before the message is terminated. */
  giveUp(delivery: Delivery, error: Error): Promise<void>;
  /** The message is refused unhandled (over the size limit): tell its sender before it is terminated. */
  refuse(delivery: Delivery, error: NatterError): Promise<void>;
}

/** What a screen decides about a message: terminate it (with why), or hand it back for later. */
export type Screening = { reject: string } | { delayMs: number; reason: string };

/** Options of {@link Mailbox}. */
export interface MailboxOptions {
  agent: string;
  /** Handlers running at once. */
  concurrency: number;
  /** Messages held at once (running plus waiting); the window in which priorities reorder. */
  prefetch: number;
  ackWaitMs: number;
  /** The connection the acknowledgements go over (the JetStream client's). */
  nc: NatsConnection;
  /** Milliseconds to wait for the server to confirm one acknowledgement. */
  ackTimeoutMs: number;
  /** Deliveries before a failing message is given up on. */
  maxDeliver: number;
  /** Largest payload handled (NATTER_MAX_MESSAGE_BYTES); a bigger one is given up on unhandled, its sender told. */
  maxMessageBytes: number;
  /** Delay before each retry, by attempt; the last repeats. */
  retryDelaysMs: readonly number[];
  log: Logger;
  /** Checks each valid message before it is queued (signature, sender rate); undefined lets it through. */
  screen?: (delivery: Delivery) => Promise<Screening | undefined>;
  /** The connection's JetStream health: a pull failing because JetStream is off is reported there, once, not per pull. */
  health?: { failed(err: unknown): boolean; ok(): void };
}

/**
 * Most messages one pull asks the server for. A pull waits at the server until it is filled or expires, and keeps
 * filling under the window it was made with: the chunk bounds what arrives after the window shrinks.
 */
const PULL_CHUNK = 256;

interface Held {
  delivery: Delivery;
  /** Later deliveries of the same stored message that came while this one was held: settled with it, never run. */
  copies: JsMsg[];
  /** Until the handler returned. */
  done?: Promise<void>;
  /** Until the notice is sent and the acknowledgement confirmed. */
  settled?: Promise<void>;
  /** Naked at the shutdown deadline: whatever the handler does later must not settle it again. */
  handedBack?: boolean;
}


/**
 * Pulls an agent's durable consumer and runs messages most-urgent first, at most `concurrency` at a time.
 * Acks on success, naks with backoff on failure, terminates what cannot succeed: nothing is dropped silently.
 */
export class Mailbox {
  readonly #queue: Held[] = [];
  /** Made by the first message run, like {@link #settling}: an idle mailbox holds neither. */
  #running: Set<Held> | undefined;
  /** Handler returned; notice or confirmed acknowledgement still under way. */
  #settling: Set<Held> | undefined;
  /** See {@link #seqs}. */
  #memory: SeqMemory<Held> | undefined;
  /** Its signal is made only when a failed pull waits on it: an idle mailbox holds none. */
  readonly #stop = new AbortController();
  #stopped = false;
  /** Fires when running handlers must give up: the shutdown deadline passed. */
  readonly #handlersAbort = new AbortController();
  #batch: ConsumerMessages | undefined;
  #wake: (() => void) | undefined;
  #loop: Promise<void> | undefined;
  #keepAlive: NodeJS.Timeout | undefined;
  #handlers: MailboxHandlers | undefined;
  #screening = 0;

  constructor(
    readonly js: JetStreamClient,
    readonly stream: string,
    readonly options: MailboxOptions,
  ) {}

  /** The agent's shared memory of sequences, looked up on the first message. */
  get #seqs(): SeqMemory<Held> {
    return (this.#memory ??= seqMemory<Held>(this.options.nc, this.options.agent));
  }

  /** Messages running now. */
  get running(): number {
    return this.#running?.size ?? 0;
  }

  /** Messages taken from the stream and not yet settled: running, waiting, being screened or being acknowledged. */
  get held(): number {
    return this.#queue.length + (this.#running?.size ?? 0) + (this.#settling?.size ?? 0) + this.#screening;
  }

  /** Starts pulling; handlers run until {@link stop}. `info`, when the caller just created the consumer, saves asking the server for it. */
  async start(handlers: MailboxHandlers, info?: ConsumerInfo): Promise<void> {
    this.#handlers = handlers;
    const consumer = info ? this.js.consumers.getConsumerFromInfo(info) : await this.js.consumers.get(this.stream, this.options.agent);
    this.#loop = this.#pull(consumer);
  }

  /**
   * Changes how many messages are held at once (running plus waiting). When it shrinks (another instance joined),
   * the least urgent waiting messages beyond it are handed back to the stream at once, for the other instances.
   * A hand-back counts as a delivery, and too many deliveries dead-letter a message, so only messages on their
   * first delivery are handed back: each message at most once, however often instances come and go.
   */
  setWindow(prefetch: number): void {
    const window = Math.max(prefetch, 1);
    if (window === this.options.prefetch) return;
    const shrinking = window < this.options.prefetch;
    this.options.prefetch = window;
    // The pull waiting at the server was sized for the old window: end it (the server drops a pull nobody listens
    // to) so what it would still bring goes to the other instances; the loop pulls again for the new room.
    // A message the server had already sent to it comes back after the ack wait.
    if (shrinking) this.#batch?.stop();
    const excess = this.held - window;
    if (excess > 0 && !this.#stopped) {
      const back: Held[] = [];
      for (let i = this.#queue.length - 1; i >= 0 && back.length < excess; i--) {
        if (this.#queue[i]!.delivery.deliveryCount === 1) back.push(...this.#queue.splice(i, 1));
      }
      if (back.length > 0) this.options.log.info("mailbox.shared", { agent: this.options.agent, handedBack: back.length, window });
      for (const held of back) this.#release(held, (m) => m.nak());
    }
    this.#kick();
  }

  /** Re-issues the pull at once; call after a reconnect so no server-side pull is waited on in vain. */
  repull(): void {
    this.#batch?.stop();
  }

  /**
   * Stops pulling, hands back messages not started, lets running handlers finish for up to `deadlineMs`,
   * then aborts them; an aborted or unfinished message is handed back (nak), never acknowledged.
   */
  async stop(deadlineMs: number): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stop.abort(new AbortedError("agent is shutting down"));
    this.#batch?.stop();
    this.#wake?.();
    for (const held of this.#queue.splice(0)) this.#release(held, (m) => m.nak());
    await this.#loop;
    // A handler that returns now still sends its notice and acknowledgement: wait for those too.
    const finished = (async () => {
      await Promise.all([...(this.#running ?? [])].map((h) => h.done));
      await Promise.all([...(this.#settling ?? [])].map((h) => h.settled));
    })();
    if (this.running + (this.#settling?.size ?? 0) > 0 && !(await settlesWithin(finished, deadlineMs))) {
      this.#handlersAbort.abort(new AbortedError("shutdown deadline passed"));
      await settlesWithin(finished, 1000);
      // A handler that ignores its signal must not hold its message until the ack wait: hand it back now.
      for (const held of this.#running ?? []) {
        held.handedBack = true;
        this.options.log.warn("mailbox.handed_back", { id: held.delivery.envelope.id, seq: held.delivery.seq, reason: "handler did not stop by the shutdown deadline" });
        this.#release(held, (m) => m.nak());
      }
    }
    // Retries still going (acknowledging a late copy) end here: the connection closes next.
    if (!this.#handlersAbort.signal.aborted) this.#handlersAbort.abort(new AbortedError("agent stopped"));
    clearInterval(this.#keepAlive);
  }

  async #pull(consumer: Consumer): Promise<void> {
    const { log } = this.options;
    let failures = 0;
    while (!this.#stopped) {
      // Read each time: setWindow() shrinks the window when other instances join.
      const prefetch = this.options.prefetch;
      const room = prefetch - this.held;
      // Pull in chunks rather than one message per freed slot, unless work is about to run dry.
      if (room <= 0 || (room < Math.ceil(prefetch / 2) && this.#queue.length > 0)) {
        await new Promise<void>((resolve) => (this.#wake = resolve));
        continue;
      }
      try {
        // A pull lost with a restarted server is noticed after two missed heartbeats (10 s) and re-issued.
        // A callback rather than `for await`: no async generator suspended per agent while the pull waits.
        const options: FetchOptions & ConsumeCallback = { max_messages: Math.min(room, PULL_CHUNK), expires: 15_000, idle_heartbeat: 5_000, callback: this.#onMessage };
        const batch = await consumer.fetch(options);
        this.#batch = batch;
        const failed = await batch.closed();
        if (failed) throw failed;
        this.options.health?.ok();
        failures = 0;
      } catch (err) {
        if (this.#stopped) break;
        failures++;
        if (!this.options.health?.failed(err)) log.warn("mailbox.pull_failed", { error: err, attempt: failures });
        await sleep(retryDelayMs(failures), undefined, { signal: this.#stop.signal }).catch(() => undefined);
      } finally {
        this.#batch = undefined;
      }
    }
  }

  /** Bound once: the pulls' message callback. */
  readonly #onMessage = this.#accept.bind(this);

  #accept(m: JsMsg): void {
    this.options.health?.ok();
    // Arrived after stop() handed back the queue: hand it back too, or it waits out the ack wait.
    if (this.#stopped) {
      m.nak();
      return;
    }
    const { log, agent } = this.options;
    const seq = m.info.streamSequence;
    if (this.#isCopy(m, seq)) return;
    let envelope: Envelope;
    try {
      envelope = decodeEnvelope(m.data);
      if (envelope.to !== agent) throw new ValidationError(`addressed to "${envelope.to}", not "${agent}"`);
    } catch (err) {
      // Redelivery cannot fix a bad payload: terminate it so it does not loop.
      log.warn("mailbox.rejected", { seq, subject: m.subject, reason: (err as Error).message, bytes: m.data.length });
      m.term();
      this.#kick();
      return;
    }
    const delivery: Delivery = { envelope, seq, deliveryCount: m.info.deliveryCount, redelivered: m.redelivered, msg: m };
    const held: Held = { delivery, copies: [] };
    this.#seqs.held.set(seq, held);
    // Only while messages are held: an idle mailbox keeps no timer.
    this.#keepAlive ??= setInterval(() => this.#touchHeld(), Math.max(500, Math.floor(this.options.ackWaitMs / 3))).unref();
    if (m.data.length > this.options.maxMessageBytes) {
      this.#screening++;
      void this.#oversize(held);
      return;
    }
    if (this.options.screen) {
      this.#screening++;
      void this.#screen(held);
      return;
    }
    this.#admit(held);
  }

  /**
   * A stored message delivered again while this host holds it (its ack wait ran out on a loaded machine, or a
   * progress report or ack was lost while the consumer changed leader), or after it finished here: never run twice.
   */
  #isCopy(m: JsMsg, seq: number): boolean {
    const { log, agent } = this.options;
    const held = this.#seqs.held.get(seq);
    if (held) {
      held.copies.push(m);
      log.info("mailbox.duplicate", { agent, seq, delivery: m.info.deliveryCount, reason: "delivered again while held here; settled with the first copy, not run again" });
      return true;
    }
    if (!this.#seqs.finished.has(seq)) return false;
    log.info("mailbox.duplicate", { agent, seq, delivery: m.info.deliveryCount, reason: "delivered again after it was handled here; acknowledged again, not run" });
    void confirmRetrying(this.options.nc, m, [], { timeoutMs: this.options.ackTimeoutMs, signal: this.#handlersAbort.signal, log });
    return true;
  }

  /** Settles a held message that ends without an acknowledgement (nak, term) and every copy of it. */
  #release(held: Held, settle: (m: JsMsg) => void, finished = false): void {
    const { seq, msg } = held.delivery;
    if (this.#seqs.held.get(seq) === held) this.#seqs.held.delete(seq);
    if (finished) this.#seqs.finished.add(seq);
    for (const m of [msg, ...held.copies]) settleQuietly(m, settle);
  }

  async #screen(held: Held): Promise<void> {
    const { log } = this.options;
    const { delivery } = held;
    const { envelope, seq } = delivery;
    let verdict: Screening | undefined;
    try {
      verdict = await this.options.screen!(delivery);
    } catch (err) {
      verdict = { delayMs: 1000, reason: `could not check the message: ${toError(err).message}` };
    } finally {
      this.#screening--;
    }
    if (!verdict) return this.#admit(held);
    if ("reject" in verdict) {
      log.warn("mailbox.rejected", { id: envelope.id, from: envelope.from, seq, reason: verdict.reject });
      this.#release(held, (m) => m.term(), true);
    } else {
      log.info("mailbox.delayed", { id: envelope.id, from: envelope.from, seq, delayMs: verdict.delayMs, reason: verdict.reason });
      this.#release(held, (m) => m.nak(verdict.delayMs));
    }
    this.#kick();
  }

  /**
   * A message over the limit (the stream's limit leaves room for headers, so a payload a little over it is stored) is
   * never handled: terminated, its sender told. The screen runs first, so that a forgery is only terminated and nobody
   * is notified in the name of a sender who never sent it. It stays in the stream, for operators to look at.
   */
  async #oversize(held: Held): Promise<void> {
    const { log, maxMessageBytes } = this.options;
    const { delivery } = held;
    const { envelope, seq, msg } = delivery;
    const verdict = await this.options.screen?.(delivery).catch((err: unknown) => ({ reject: `could not check the message: ${toError(err).message}` }));
    if (verdict && "reject" in verdict) {
      log.warn("mailbox.rejected", { id: envelope.id, from: envelope.from, seq, reason: verdict.reject });
    } else {
      log.warn("mailbox.too_large", { id: envelope.id, from: envelope.from, seq, bytes: msg.data.length, maxBytes: maxMessageBytes });
      await this.#handlers!.refuse(delivery, new MessageTooLargeError(msg.data.length, maxMessageBytes)).catch((err: unknown) =>
        log.warn("mailbox.notice_failed", { id: envelope.id, seq, error: toError(err) }),
      );
    }
    this.#screening--;
    this.#release(held, (m) => m.term(), true);
    this.#kick();
  }

  #admit(held: Held): void {
    const { maxDeliver } = this.options;
    const { delivery } = held;
    if (this.#stopped) {
      this.#release(held, (m) => m.nak());
      return;
    }
    if (delivery.deliveryCount > maxDeliver) {
      // A message that crashed its host every time it ran: give up without running it again.
      void this.#fail(held, new Error(`delivered ${delivery.deliveryCount} times without completing (the host may have crashed while handling it)`));
      return;
    }
    // Only after the window shrank can more arrive than it holds (a pull already on its way): hand it on, once.
    if (this.held >= this.options.prefetch && delivery.deliveryCount === 1) {
      this.#release(held, (m) => m.nak());
      return;
    }
    insertByPriority(this.#queue, held);
    this.#kick();
  }

  /** Starts queued messages while slots are free, and wakes the puller when there is room. */
  #kick(): void {
    while (this.running < this.options.concurrency && this.#queue.length > 0 && !this.#stopped) {
      const held = this.#queue.shift()!;
      const running = (this.#running ??= new Set());
      running.add(held);
      held.done = this.#run(held).finally(() => {
        running.delete(held);
        this.#kick();
      });
    }
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #run(held: Held): Promise<void> {
    const { delivery } = held;
    const { log, maxDeliver, retryDelaysMs } = this.options;
    let finish: Finish | void;
    try {
      finish = await this.#handlers!.handle(delivery, this.#handlersAbort.signal);
    } catch (thrown) {
      if (held.handedBack) return;
      const err = toError(thrown);
      if (this.#handlersAbort.signal.aborted || (this.#stopped && err instanceof AbortedError)) {
        log.info("mailbox.handed_back", { id: delivery.envelope.id, seq: delivery.seq, reason: err.message });
        this.#release(held, (m) => m.nak());
        return;
      }
      if (delivery.deliveryCount >= maxDeliver) {
        await this.#fail(held, err);
        return;
      }
      const delayMs = retryDelaysMs[Math.min(delivery.deliveryCount - 1, retryDelaysMs.length - 1)] ?? 1000;
      log.warn("mailbox.retry", { id: delivery.envelope.id, seq: delivery.seq, delivery: delivery.deliveryCount, of: maxDeliver, delayMs, error: err });
      this.#release(held, (m) => m.nak(delayMs));
      return;
    }
    // Handed back at the shutdown deadline: another instance runs it; this late result is not acknowledged.
    if (held.handedBack) return;
    // The handler's slot is free from here; the message stays held (and kept alive) until it is settled.
    const settling = (this.#settling ??= new Set());
    settling.add(held);
    held.settled = this.#settle(held, finish ?? {}).finally(() => {
      settling.delete(held);
      this.#kick();
    });
  }

  /** Runs what follows a returned handler until it succeeds, then acknowledges (confirmed) or terminates. */
  async #settle(held: Held, finish: Finish): Promise<void> {
    const { log, nc, ackTimeoutMs } = this.options;
    const { envelope, seq } = held.delivery;
    const signal = this.#handlersAbort.signal;
    // The handler is done: retry only what failed after it (the notice keeps its msg-id, so it is stored once).
    if (finish.after && !(await retrying(finish.after, signal, (attempt, error) => log.warn("mailbox.follow_up_retry", { id: envelope.id, seq, attempt, error }), FOLLOW_UP_RETRY_MS))) {
      // Held longer, it would take a place in the window for good (a stream full for days): the handler is not run again.
      const reason = signal.aborted ? "the agent stopped before it succeeded" : `it kept failing for ${FOLLOW_UP_RETRY_MS / 1000} s`;
      log.error("mailbox.follow_up_lost", { id: envelope.id, seq, reason: `${reason}; the message is acknowledged, its handler is not run again` });
    }
    if (finish.term) {
      this.#release(held, (m) => m.term(), true);
      return;
    }
    await confirmRetrying(nc, held.delivery.msg, held.copies, { timeoutMs: ackTimeoutMs, signal, log });
    if (this.#seqs.held.get(seq) === held) this.#seqs.held.delete(seq);
    this.#seqs.finished.add(seq);
  }

  async #fail(held: Held, err: Error): Promise<void> {
    const { log } = this.options;
    const { delivery } = held;
    try {
      await this.#handlers!.giveUp(delivery, err);
      this.#release(held, (m) => m.term(), true);
    } catch (recordErr) {
      // The failure could not be recorded; keep the message rather than lose it.
      log.error("mailbox.give_up_failed", { id: delivery.envelope.id, seq: delivery.seq, error: recordErr });
      this.#release(held, (m) => m.nak(5000));
    }
    this.#kick();
  }

  #touchHeld(): void {
    const { nc } = this.options;
    if (this.held === 0) {
      clearInterval(this.#keepAlive);
      this.#keepAlive = undefined;
      return;
    }
    for (const set of [this.#queue, this.#running ?? [], this.#settling ?? []]) {
      for (const h of set) {
        touch(nc, h.delivery.msg);
        for (const copy of h.copies) touch(nc, copy);
      }
    }
  }
}

/** Whether `p` settles within `ms`; the timer never outlives the wait. */
async function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return (await within(p.then(() => true, () => true), ms)) !== TIMED_OUT;
}

function insertByPriority(queue: Held[], item: Held): void {
  const p = item.delivery.envelope.priority;
  const s = item.delivery.seq;
  let lo = 0;
  let hi = queue.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const m = queue[mid]!.delivery;
    if (m.envelope.priority < p || (m.envelope.priority === p && m.seq < s)) lo = mid + 1;
    else hi = mid;
  }
  queue.splice(lo, 0, item);
}

/**
 * Settles `m`, which throws once the connection drains or closes (a screen or refusal ending after stop() began):
 * the message then comes back after its ack wait, which is what stopping means for it.
 */
function settleQuietly(m: JsMsg, settle: (m: JsMsg) => void): void {
  try {
    settle(m);
  } catch {
    return;
  }
}
