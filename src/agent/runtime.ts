import { hostname } from "node:os";
import { headers as natsHeaders, type Msg, type MsgHdrs, type Subscription } from "@nats-io/transport-node";
import { AbortedError, NatterError, toError } from "../errors.ts";
import { decodeEnvelope } from "../protocol/envelope.ts";
import { Limiter } from "../limiter.ts";
import type { Logger } from "../logger.ts";
import { ensureMailboxConsumer } from "../mailbox/consumer.ts";
import { Mailbox, type Delivery, type Screening } from "../mailbox/mailbox.ts";
import { publishBytes, publishEnvelope } from "../mailbox/send.ts";
import { createEnvelope, newId, type Envelope } from "../protocol/envelope.ts";
import { DEAD_LETTER_HEADERS, ERROR_CODES, HEADERS } from "../protocol/headers.ts";
import { deadLetterSubject, directSubject, groupSubject, progressSubject } from "../protocol/subjects.ts";
import { Presence } from "../registry/presence.ts";
import { listInstances } from "../registry/query.ts";
import { Requester } from "../rpc/call.ts";
import { serveRequests, type Reply, type ServeOptions } from "../rpc/serve.ts";
import { agentSigner, type Signer } from "../security/identity.ts";
import { SenderRateLimiter } from "../security/rate-limit.ts";
import { answerCheck, type Verifier } from "../security/verify.ts";
import type { Bus } from "../transport/bus.ts";
import { Context, type ContextOwner } from "./context.ts";
import type { AgentDefinition } from "./define.ts";

/** What the host shares with its runtimes for checking inbound messages. */
export interface RuntimeSecurity {
  /** Checks signatures when NATTER_VERIFY is warn or enforce. */
  verifier?: Verifier | undefined;
}

/** How a handler gets its slot: wait for one, or queue within the bound and be refused past it. */
type Admission = "wait" | "queue";

/** Package version announced in the registry. */
const NATTER_VERSION = "0.1.0";

/**
 * One running instance of an agent: its mailbox consumer, its request responder,
 * its registry entry and heartbeat, bound to the handlers of its definition.
 */
export class AgentRuntime implements ContextOwner {
  readonly instanceId = newId();
  readonly log: Logger;
  readonly requester: Requester;
  readonly context: Context;
  /** Signs what this instance sends, when signing is on. */
  readonly signer: Signer | undefined;
  readonly #verifier: Verifier | undefined;
  readonly #rate: SenderRateLimiter | undefined;
  readonly #stopping = new AbortController();
  readonly #limiter: Limiter;
  readonly #presence: Presence;
  readonly #mailbox: Mailbox;
  #requests: Subscription | undefined;
  readonly #groups = new Map<string, Subscription>();
  /** Running handlers by thread, so a cancellation can reach them. */
  readonly #byThread = new Map<string, Set<AbortController>>();
  /** Recently cancelled threads (bounded), so their queued and future messages are skipped. */
  readonly #cancelled = new Set<string>();
  readonly #prefetch: number;
  readonly #concurrency: number;
  #swarmCheck: NodeJS.Timeout | undefined;
  #handled = 0;
  #started = false;

  constructor(
    readonly bus: Bus,
    readonly definition: AgentDefinition,
    security: RuntimeSecurity = {},
  ) {
    const { config } = bus;
    const concurrency = definition.concurrency ?? config.concurrency;
    this.#concurrency = concurrency;
    this.#prefetch = Math.max(definition.prefetch ?? config.prefetch, concurrency);
    this.log = bus.log.child({ agent: definition.name });
    this.signer = agentSigner(config, definition.name);
    this.#verifier = security.verifier?.mode === "off" ? undefined : security.verifier;
    this.#rate = config.rateLimit > 0 ? new SenderRateLimiter(config.rateLimit, config.rateBurst ?? config.rateLimit) : undefined;
    this.requester = new Requester(bus.nc, definition.name, config.maxMessageBytes, this.signer?.sign, answerCheck(this.#verifier));
    this.context = new Context(this);
    this.#limiter = new Limiter(concurrency, config.maxQueuedRequests);
    this.#presence = new Presence(
      bus.registry,
      {
        name: definition.name,
        instanceId: this.instanceId,
        description: definition.description ?? "",
        capabilities: definition.capabilities ?? [],
        tools: definition.tools ?? [],
        host: hostname(),
        pid: process.pid,
        version: definition.version ?? NATTER_VERSION,
        startedAt: new Date().toISOString(),
        load: 0,
        handled: 0,
        concurrency,
        groups: [],
        ...(this.signer ? { publicKey: this.signer.publicKey } : {}),
      },
      this.log,
    );
    this.#mailbox = new Mailbox(bus.js, config.stream, {
      agent: definition.name,
      concurrency,
      prefetch: this.#prefetch,
      ackWaitMs: config.ackWaitMs,
      maxDeliver: config.maxDeliver,
      retryDelaysMs: config.retryDelaysMs,
      log: this.log,
      ...(this.#verifier || this.#rate ? { screen: (d: Delivery) => this.#screenDelivery(d) } : {}),
    });
  }

  get name(): string {
    return this.definition.name;
  }

  /** Checks inbound signatures, when NATTER_VERIFY is warn or enforce. */
  get verifier(): Verifier | undefined {
    return this.#verifier;
  }

  /** Fires when the agent begins to stop. */
  get signal(): AbortSignal {
    return this.#stopping.signal;
  }

  /** Handlers running now. */
  get load(): number {
    return this.#limiter.active;
  }

  /** Mailbox messages this instance holds unsettled (bounded by its window). */
  get held(): number {
    return this.#mailbox.held;
  }

  announcement(status: string): Record<string, unknown> {
    const r = this.#presence.record;
    return { status, instanceId: this.instanceId, description: r.description, capabilities: r.capabilities };
  }

  /** Registers, starts consuming the mailbox and serving requests, then announces itself. */
  async start(): Promise<void> {
    const { config, jsm } = this.bus;
    const consumer = await ensureMailboxConsumer(jsm, { stream: config.stream, agent: this.name, ackWaitMs: config.ackWaitMs, maxAckPending: Math.max(1000, this.#prefetch * 4) });
    await this.#presence.start(config.heartbeatMs);
    await this.#fitWindow();
    this.#swarmCheck = setInterval(() => void this.#fitWindow(), config.heartbeatMs);
    this.#swarmCheck.unref();
    await this.definition.onStart?.(this.context);
    for (const group of this.definition.groups ?? []) await this.joinGroup(group);
    const serve: ServeOptions = {
      log: this.log,
      maxMessageBytes: config.maxMessageBytes,
      onAnswer: (req, res, msg) => this.#storeFinal(req, res, msg),
    };
    if (this.signer) serve.sign = this.signer.sign;
    if (this.#verifier || this.#rate) serve.screen = (req, msg) => this.#screenRequest(req, msg.data, msg.headers);
    // Answered ids are refused as replays; a requester re-sending after a reconnect gets its answer again instead.
    if (this.#verifier) serve.repeatAnswersMs = config.replayWindowMs;
    this.#requests = serveRequests(this.bus.nc, this.name, (req, msg) => this.#onRequest(req, msg), serve);
    await this.#mailbox.start({ handle: (d, signal) => this.#onDelivery(d, signal), giveUp: (d, err) => this.#giveUp(d, err) }, consumer);
    this.#started = true;
    await this.context.announcePresence("online").catch((err: unknown) => this.log.warn("agent.announce_failed", { error: err }));
    this.log.info("agent.started", { instance: this.instanceId, capabilities: this.definition.capabilities ?? [] });
  }

  /** Re-pulls the mailbox after the connection came back. */
  reconnected(): void {
    this.#mailbox.repull();
  }

  /**
   * Stops taking work, lets running handlers finish within `deadlineMs` (then aborts and hands them back),
   * marks the registry entry offline and announces it.
   */
  async stop(deadlineMs = this.bus.config.shutdownTimeoutMs): Promise<void> {
    if (this.#stopping.signal.aborted) return;
    const until = Date.now() + deadlineMs;
    this.#stopping.abort(new AbortedError("agent is stopping"));
    clearInterval(this.#swarmCheck);
    for (const sub of this.#groups.values()) sub.unsubscribe();
    await this.#requests?.drain().catch(() => undefined);
    await this.#mailbox.stop(deadlineMs);
    // A handler that ignores its signal must not keep the agent from stopping; its message was handed back.
    const idle = this.#limiter.idle().then(() => true);
    const grace = new Promise<false>((r) => setTimeout(() => r(false), Math.max(0, until - Date.now()) + 1000).unref());
    if (!(await Promise.race([idle, grace]))) this.log.warn("agent.stopped_with_handlers_running", { running: this.#limiter.active });
    if (this.#started) {
      await this.#presence.stop("offline");
      await this.context.announcePresence("offline").catch(() => undefined);
    }
    await Promise.resolve(this.definition.onStop?.(this.context)).catch((err: unknown) => this.log.error("agent.on_stop_failed", { error: err }));
    this.requester.close();
    this.log.info("agent.stopped", { instance: this.instanceId, handled: this.#handled });
  }

  /** Joins a group channel: its messages go to `onGroupMessage`. */
  async joinGroup(group: string): Promise<void> {
    if (this.#groups.has(group)) return;
    const handler = this.definition.onGroupMessage;
    const sub = this.bus.nc.subscribe(groupSubject(group), {
      callback: (err, msg) => {
        if (err || !handler || this.#stopping.signal.aborted) return;
        const envelope = this.#decodeLive(msg, "group");
        if (!envelope || envelope.from === this.name) return;
        void this.#screenLive(envelope, msg, "group")
          .then((ok) => (ok ? this.#track(() => handler(envelope, this.context.bind(envelope)), envelope, "queue") : undefined))
          .catch((e: unknown) => this.log.warn("group.handler_failed", { group, id: envelope.id, error: e }));
      },
    });
    this.#groups.set(group, sub);
    this.#presence.update({ groups: [...this.#groups.keys()] });
    await this.bus.nc.flush();
  }

  /** Leaves a group channel. */
  async leaveGroup(group: string): Promise<void> {
    this.#groups.get(group)?.unsubscribe();
    this.#groups.delete(group);
    this.#presence.update({ groups: [...this.#groups.keys()] });
  }

  /** Cancels the thread here: running handlers' signals fire, queued and later messages of it are skipped. */
  cancelThread(threadId: string, by: string, reason: string): void {
    this.#cancelled.add(threadId);
    if (this.#cancelled.size > 10_000) this.#cancelled.delete(this.#cancelled.values().next().value!);
    const running = this.#byThread.get(threadId);
    if (!running) return;
    this.log.info("thread.cancelled", { thread: threadId, by, reason, running: running.size });
    for (const c of running) c.abort(new AbortedError(`thread ${threadId} cancelled by ${by}: ${reason}`));
  }

  /** Delivers a broadcast heard on `agents.all` by the host. */
  deliverBroadcast(envelope: Envelope): void {
    const handler = this.definition.onBroadcast;
    if (!handler || this.#stopping.signal.aborted) return;
    if (envelope.from === this.name && !this.definition.hearOwnBroadcasts) return;
    void this.#track(() => handler(envelope, this.context.bind(envelope)), envelope, "queue").catch((err: unknown) =>
      this.log.warn("broadcast.handler_failed", { id: envelope.id, from: envelope.from, error: err }),
    );
  }

  /** Signature, then sender rate: a forged message is terminated, one over the rate waits its turn. */
  async #screenDelivery(delivery: Delivery): Promise<Screening | undefined> {
    const { envelope, msg } = delivery;
    const refused = await this.#verifier?.check(envelope, msg.data, msg.headers, { at: msg.time, once: false });
    if (refused) return { reject: refused };
    const delayMs = this.#rate?.reserve(envelope.from, envelope.id) ?? 0;
    return delayMs > 0 ? { delayMs, reason: `sender "${envelope.from}" is over NATTER_RATE_LIMIT` } : undefined;
  }

  async #screenRequest(request: Envelope, data: Uint8Array, headers: MsgHdrs | undefined): Promise<NatterError | undefined> {
    const refused = await this.#verifier?.check(request, data, headers, { at: new Date(), once: true });
    if (refused) return new NatterError(refused, ERROR_CODES.unverified);
    const waitMs = this.#rate?.tryTake(request.from) ?? 0;
    if (waitMs > 0) return new NatterError(`too many requests from "${request.from}" (NATTER_RATE_LIMIT); retry in ${waitMs} ms`, ERROR_CODES.rateLimited);
    return undefined;
  }

  async #onRequest(request: Envelope, msg: Msg): Promise<Reply> {
    const handler = this.definition.onRequest;
    if (!handler) throw new NatterError(`agent "${this.name}" does not answer requests`, ERROR_CODES.notFound);
    const streamed = msg.headers?.get(HEADERS.stream) === "1";
    return this.#cancellable(request, async (signal) => {
      try {
        return await this.#track(() => handler(request, this.context.bind(request, { signal, streamed })), request, "queue");
      } catch (err) {
        if (signal.aborted && this.#cancelled.has(request.threadId ?? request.id)) throw new NatterError(String((signal.reason as Error)?.message ?? "cancelled"), ERROR_CODES.cancelled);
        throw err;
      }
    });
  }

  /** A streamed request's answer is stored after its progress, so a resuming requester sees the end. */
  #storeFinal(request: Envelope, response: Envelope, msg: Msg): void {
    if (msg.headers?.get(HEADERS.stream) !== "1") return;
    const { config } = this.bus;
    publishEnvelope(this.bus.js, progressSubject(request.from, request.id), response, { maxMessageBytes: config.maxMessageBytes, timeoutMs: config.requestTimeoutMs, ...(this.signer ? { sign: this.signer.sign } : {}) }).catch((err: unknown) =>
      this.log.warn("progress.final_failed", { id: request.id, error: err }),
    );
  }

  /** Runs `work` with a signal that fires on shutdown or when the message's thread is cancelled. */
  async #cancellable<T>(envelope: Envelope, work: (signal: AbortSignal) => Promise<T>, outer: AbortSignal = this.#stopping.signal): Promise<T> {
    const thread = envelope.threadId ?? envelope.id;
    const controller = new AbortController();
    if (this.#cancelled.has(thread)) controller.abort(new AbortedError(`thread ${thread} was cancelled`));
    let set = this.#byThread.get(thread);
    if (!set) this.#byThread.set(thread, (set = new Set()));
    set.add(controller);
    try {
      return await work(AbortSignal.any([outer, controller.signal]));
    } finally {
      set.delete(controller);
      if (set.size === 0) this.#byThread.delete(thread);
    }
  }

  /** Whether a message heard live passes the signature check (each instance counts its own sightings); refused ones are logged. */
  async #screenLive(envelope: Envelope, msg: Msg, what: string): Promise<boolean> {
    if (!this.#verifier) return true;
    const refused = await this.#verifier.check(envelope, msg.data, msg.headers, { at: new Date(), once: true, onceFor: this.instanceId });
    if (refused) this.log.warn(`${what}.rejected`, { subject: msg.subject, id: envelope.id, from: envelope.from, reason: refused });
    return !refused && !this.#stopping.signal.aborted;
  }

  /** Decodes a message heard on a live subscription; bad ones are logged and dropped. */
  #decodeLive(msg: Msg, what: string): Envelope | undefined {
    try {
      return decodeEnvelope(msg.data);
    } catch (err) {
      this.log.warn(`${what}.rejected`, { subject: msg.subject, reason: (err as Error).message, bytes: msg.data.length });
      return undefined;
    }
  }

  /** One instance reads ahead (priorities reorder within the window); in a swarm each holds only what it runs, so none idles while another hoards. */
  async #fitWindow(): Promise<void> {
    let instances: number;
    try {
      instances = (await listInstances(this.bus, this.log, this.name)).filter((r) => r.status !== "offline").length;
    } catch (err) {
      this.log.debug("swarm.check_failed", { error: err });
      return;
    }
    const window = instances > 1 ? this.#concurrency : this.#prefetch;
    this.#mailbox.setWindow(window);
  }

  async #onDelivery(delivery: Delivery, shutdown: AbortSignal): Promise<void> {
    const { envelope } = delivery;
    const thread = envelope.threadId ?? envelope.id;
    if (this.#cancelled.has(thread)) {
      this.log.info("message.skipped", { id: envelope.id, thread, reason: "its thread was cancelled" });
      if (envelope.type === "direct" || envelope.type === "handoff") await this.#notify(envelope, "cancelled", { cancelled: true });
      return;
    }
    try {
      await this.#cancellable(envelope, (signal) => this.#dispatch(delivery, signal), shutdown);
    } catch (err) {
      // Cancelled work is finished work: acknowledge it and tell the sender, do not retry.
      if (!this.#cancelled.has(thread) || shutdown.aborted) throw err;
      this.log.info("message.cancelled", { id: envelope.id, thread });
      if (envelope.type === "direct" || envelope.type === "handoff") await this.#notify(envelope, "cancelled", { cancelled: true });
    }
  }

  async #dispatch(delivery: Delivery, signal: AbortSignal): Promise<void> {
    const { envelope } = delivery;
    const ctx = this.context.bind(envelope, { signal, deliveryCount: delivery.deliveryCount, redelivered: delivery.redelivered });
    if (envelope.type === "direct" || envelope.type === "handoff") {
      const handler = this.definition.onMessage;
      if (!handler) return this.#unhandled(delivery);
      const result = await this.#track(() => handler(envelope, ctx), envelope, "wait");
      await this.#notify(envelope, typeof result === "string" ? result : "done", {});
      return;
    }
    if (envelope.type === "response") {
      const handler = this.definition.onResponse;
      if (!handler) return this.#unhandled(delivery);
      await this.#track(() => handler(envelope, ctx), envelope, "wait");
      return;
    }
    this.#unhandled(delivery);
  }

  #unhandled(delivery: Delivery): void {
    const { envelope } = delivery;
    this.log.info("message.unhandled", { id: envelope.id, type: envelope.type, from: envelope.from, seq: delivery.seq, reason: `no handler for ${envelope.type} messages; acknowledged` });
  }

  /**
   * Runs a handler under the concurrency limit, keeping load and status in the registry.
   * Mailbox work waits for a slot (the mailbox already bounds it); requests and broadcasts queue up to a bound, then are refused.
   */
  async #track<T>(run: () => Promise<T> | T, envelope: Envelope, admission: Admission): Promise<T> {
    const slot = admission === "wait" ? this.#limiter.acquire() : this.#limiter.tryAcquire();
    if (!slot) throw new NatterError(`agent "${this.name}" is overloaded; try again later`, ERROR_CODES.overloaded);
    const release = await slot;
    const started = performance.now();
    this.#presence.update({ status: "busy", load: this.#limiter.active });
    this.log.debug("message.in", { id: envelope.id, type: envelope.type, from: envelope.from });
    try {
      const result = await run();
      this.log.info("message.done", { id: envelope.id, type: envelope.type, from: envelope.from, ms: Math.round(performance.now() - started) });
      return result;
    } catch (err) {
      this.log.warn("message.failed", { id: envelope.id, type: envelope.type, from: envelope.from, ms: Math.round(performance.now() - started), error: err });
      throw err;
    } finally {
      this.#handled++;
      release();
      const load = this.#limiter.active;
      this.#presence.update({ load, handled: this.#handled, ...(load === 0 ? { status: "available" as const } : {}) });
    }
  }

  /** Sends the completion notice of a direct message or handoff to its sender's mailbox. */
  async #notify(original: Envelope, content: string, metadata: Record<string, unknown>): Promise<void> {
    if (original.notify === false || original.from === this.name) return;
    const notice = createEnvelope({
      type: "response",
      from: this.name,
      to: original.from,
      content,
      metadata,
      inReplyTo: original.id,
      threadId: original.threadId ?? original.id,
      priority: original.priority,
      notify: false,
    });
    const { config } = this.bus;
    // A fixed de-duplication id: a redelivered message that completes again does not notify twice.
    await publishEnvelope(this.bus.js, directSubject(original.from), notice, {
      maxMessageBytes: config.maxMessageBytes,
      timeoutMs: config.requestTimeoutMs,
      msgID: `done-${original.id}`,
      ...(this.signer ? { sign: this.signer.sign } : {}),
    });
  }

  /** Deliveries exhausted: store a dead letter, tell the sender, and let the mailbox terminate the original. */
  async #giveUp(delivery: Delivery, error: Error): Promise<void> {
    const { envelope, seq, deliveryCount, msg } = delivery;
    const { config } = this.bus;
    const h = natsHeaders();
    h.set(DEAD_LETTER_HEADERS.error, error.message.replace(/[\r\n]+/g, " ").slice(0, 1000));
    h.set(DEAD_LETTER_HEADERS.deliveries, String(deliveryCount));
    h.set(DEAD_LETTER_HEADERS.originalSeq, String(seq));
    h.set(DEAD_LETTER_HEADERS.originalSubject, msg.subject);
    await publishBytes(this.bus.js, deadLetterSubject(this.name), msg.data, `dlq-${envelope.id}`, {
      maxMessageBytes: Number.POSITIVE_INFINITY,
      timeoutMs: config.requestTimeoutMs,
      headers: h,
    });
    this.log.error("message.dead_lettered", { id: envelope.id, seq, deliveries: deliveryCount, error });
    const code = error instanceof NatterError ? error.code : ERROR_CODES.handler;
    await this.#notify(envelope, `failed: ${error.message}`, { error: { code, message: error.message, deliveries: deliveryCount } }).catch((err: unknown) =>
      this.log.warn("message.notice_failed", { id: envelope.id, error: toError(err) }),
    );
  }
}
