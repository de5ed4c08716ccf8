import { setMaxListeners } from "node:events";
import type { Msg, Subscription } from "@nats-io/transport-node";
import { AbortedError } from "../errors.ts";
import { handlerGraceMs } from "../config/config.ts";
import type { Logger } from "../logger.ts";
import type { AgentMetrics } from "../metrics/hooks.ts";
import { ensureMailboxConsumer } from "../mailbox/consumer.ts";
import { Mailbox, type Delivery } from "../mailbox/mailbox.ts";
import { decodeEnvelope, newId, type Envelope } from "../protocol/envelope.ts";
import { ALL_SUBJECT, groupSubject } from "../protocol/subjects.ts";
import type { Presence } from "../registry/presence.ts";
import { RegistryView } from "../registry/view.ts";
import { Requester } from "../rpc/call.ts";
import { createSealing, type Sealing } from "./sealing.ts";
import { agentSigner, type Signer } from "../security/identity.ts";
import { answerCheck, whenVerified, type Verifier } from "../security/verify.ts";
import { doneWithin } from "../transport/bounded.ts";
import type { Bus } from "../transport/bus.ts";
import { Context, type ContextOwner } from "./context.ts";
import { cancellable } from "./cancellation.ts";
import { deadlineOf } from "./deadline.ts";
import type { AgentDefinition, Handler } from "./define.ts";
import { Deliveries } from "./deliveries.ts";
import { instancePresence } from "./instance.ts";
import type { RuntimeParts } from "./parts.ts";
import { serveAgentRequests } from "./requests.ts";
import { NameConflicts } from "./same-name.ts";
import { createScreens } from "./screening.ts";
import { HandlerSlots } from "./slots.ts";
import { ThreadCancellation } from "./threads.ts";
import { fitWindowToSwarm } from "./window.ts";
import { failSpan, runInSpan, startProcess, type Received } from "../tracing/spans.ts";

/** What the host shares with the runtimes on one connection. */
export interface RuntimeShared {
  /** Checks signatures when NATTER_VERIFY is warn or enforce. */
  verifier?: Verifier | undefined;
  /** The connection's registry view; without one the runtime follows its own agent's entries itself. */
  registry?: RegistryView | undefined;
  /** Makes an agent's metrics, when NATTER_METRICS_PORT is set. */
  metrics?: ((agent: string) => AgentMetrics) | undefined;
}

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
  /** Its curve key, and the recipients' keys it seals to. */
  readonly sealing: Sealing;
  /** Its signal is made when first asked for (a request, a live message, a handler's context): an idle agent holds none. */
  readonly #stopping = new AbortController();
  #signal: AbortSignal | undefined;
  #stopped = false;
  readonly #parts: RuntimeParts;
  readonly #threads: ThreadCancellation;
  readonly #slots: HandlerSlots;
  readonly #presence: Presence;
  readonly #mailbox: Mailbox;
  #requests: Subscription | undefined;
  /** Made when the first group is joined. */
  #groups: Map<string, Subscription> | undefined;
  readonly #prefetch: number;
  readonly #concurrency: number;
  readonly #sharedView: RegistryView | undefined;
  readonly #verifier: Verifier | undefined;
  /** The view this runtime opened itself, when none was shared; stopped with it. */
  #ownView: RegistryView | undefined;
  #unfollow: (() => void) | undefined;
  #started = false;

  constructor(
    readonly bus: Bus,
    readonly definition: AgentDefinition,
    shared: RuntimeShared = {},
  ) {
    const { config } = bus;
    const concurrency = definition.concurrency ?? config.concurrency;
    this.#concurrency = concurrency;
    this.#prefetch = Math.max(definition.prefetch ?? config.prefetch, concurrency);
    this.log = bus.log.child({ agent: definition.name });
    this.signer = agentSigner(config, definition.name);
    this.#sharedView = shared.registry;
    const screens = createScreens(config, shared.verifier);
    this.#verifier = screens?.verifier;
    this.sealing = createSealing(config, definition.name, { registry: bus.registry, verifier: this.#verifier, log: this.log, warnEphemeral: config.seal === "direct" });
    this.requester = new Requester(bus.nc, definition.name, config.maxMessageBytes, this.signer?.sign, answerCheck(this.#verifier));
    this.requester.open = (answer, request) => this.sealing.openAnswer(answer, request);
    this.context = new Context(this);
    this.#presence = instancePresence(bus, definition, { instanceId: this.instanceId, concurrency, signer: this.signer, log: this.log, seal: this.sealing.recordFields(definition.name, this.signer) });
    this.#threads = new ThreadCancellation(this.log);
    const metrics = shared.metrics?.(definition.name);
    this.#slots = new HandlerSlots({ agent: definition.name, concurrency, maxQueued: config.maxQueuedRequests, presence: this.#presence, log: this.log, metrics });
    this.#parts = {
      bus,
      definition,
      context: this.context,
      log: this.log,
      signer: this.signer,
      sealing: this.sealing,
      threads: this.#threads,
      slots: this.#slots,
      screens,
      metrics,
    };
    this.#mailbox = new Mailbox(bus.js, config.stream, {
      agent: definition.name,
      concurrency,
      prefetch: this.#prefetch,
      ackWaitMs: config.ackWaitMs,
      nc: bus.nc,
      ackTimeoutMs: Math.min(config.requestTimeoutMs, config.ackWaitMs),
      maxDeliver: config.maxDeliver,
      maxMessageBytes: config.maxMessageBytes,
      retryDelaysMs: config.retryDelaysMs,
      log: this.log,
      health: bus.health,
      ...(screens ? { screen: (d: Delivery) => screens.delivery(d) } : {}),
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
    if (this.#signal) return this.#signal;
    this.#signal = this.#stopping.signal;
    // Every request its handlers make listens to it: many at once are normal, not a leak.
    setMaxListeners(0, this.#signal);
    return this.#signal;
  }

  /** Handlers running now. */
  get load(): number {
    return this.#slots.active;
  }

  /** Handlers this instance runs at most at once. */
  get concurrency(): number {
    return this.#concurrency;
  }

  /** Mailbox messages this instance holds unsettled (bounded by its window). */
  get held(): number {
    return this.#mailbox.held;
  }

  /** Mailbox messages this instance may hold at once: its prefetch when it runs alone, its concurrency beside other instances. */
  get window(): number {
    return this.#mailbox.options.prefetch;
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
    const view = this.#sharedView ?? (this.#ownView = await RegistryView.open(this.bus, { ttlMs: config.registryTtlMs, agent: this.name, log: this.log }));
    // One listener for both: the window follows the agent's instances, and a different agent under its name is told of.
    const conflicts = new NameConflicts(this.#presence.record, this.log);
    this.#unfollow = view.onChange(() => this.#swarmChanged(view, conflicts), this.name);
    this.#swarmChanged(view, conflicts);
    await this.definition.onStart?.(this.context);
    for (const group of this.definition.groups ?? []) await this.joinGroup(group);
    this.#requests = serveAgentRequests(this.#parts);
    await this.#mailbox.start(new Deliveries(this.#parts), consumer);
    this.#started = true;
    await this.context.announcePresence("online").catch((err: unknown) => this.log.warn("agent.announce_failed", { error: err }));
    this.log.info("agent.started", { instance: this.instanceId, capabilities: this.definition.capabilities ?? [] });
  }

  #swarmChanged(view: RegistryView, conflicts: NameConflicts): void {
    fitWindowToSwarm(view, this.#mailbox, { agent: this.name, instanceId: this.instanceId, concurrency: this.#concurrency, prefetch: this.#prefetch, log: this.log });
    conflicts.check(view);
  }

  /** Re-pulls the mailbox after the connection came back. */
  reconnected(): void {
    this.#mailbox.repull();
  }

  /**
   * Stops taking work, lets running handlers finish within `deadlineMs` (then aborts and hands them back),
   * marks the registry entry offline and announces it, each write tried once (see {@link Bus.stopStepMs}).
   * True when every step reached the server; false when one could not (the server is away): then the entry
   * expires with its TTL and unacknowledged messages come back after the ack wait.
   */
  async stop(deadlineMs = handlerGraceMs(this.bus.config)): Promise<boolean> {
    if (this.#stopped) return true;
    this.#stopped = true;
    const until = Date.now() + deadlineMs;
    this.#stopping.abort(new AbortedError("agent is stopping"));
    this.#unfollow?.();
    let reached = this.#ownView ? await doneWithin(this.#ownView.stop(), this.bus.stopStepMs()) : true;
    for (const sub of this.#groups?.values() ?? []) sub.unsubscribe();
    // Draining a subscription waits for the server's answer; a server that is away never gives one.
    if (this.#requests && !(await doneWithin(this.#requests.drain(), this.bus.stopStepMs()))) reached = false;
    await this.#mailbox.stop(deadlineMs);
    // A handler that ignores its signal must not keep the agent from stopping; its message was handed back.
    const idle = this.#slots.idle().then(() => true);
    // The same second past the deadline the mailbox gave its aborted handlers, not a second one after it.
    const grace = new Promise<false>((r) => setTimeout(() => r(false), Math.max(0, until + 1000 - Date.now())).unref());
    if (!(await Promise.race([idle, grace]))) this.log.warn("agent.stopped_with_handlers_running", { running: this.#slots.active });
    if (this.#started) {
      const stepMs = this.bus.stopStepMs();
      const [stored, announced] = await Promise.all([
        this.#presence.stop("offline", stepMs),
        doneWithin(this.context.announcePresence("offline"), stepMs),
      ]);
      reached &&= stored && announced;
    }
    await Promise.resolve(this.definition.onStop?.(this.context)).catch((err: unknown) => this.log.error("agent.on_stop_failed", { error: err }));
    this.requester.close();
    this.log.info("agent.stopped", { instance: this.instanceId, handled: this.#slots.handled });
    return reached;
  }

  /** Joins a group channel: its messages go to `onGroupMessage`. */
  async joinGroup(group: string): Promise<void> {
    if (this.#groups?.has(group)) return;
    const handler = this.definition.onGroupMessage;
    const sub = this.bus.nc.subscribe(groupSubject(group), {
      callback: (err, msg) => {
        if (err || !handler || this.#stopped) return;
        const envelope = this.#decodeLive(msg, "group");
        if (!envelope || envelope.from === this.name) return;
        // Each member instance counts its own sightings: several in one host share the verifier and all hear the post.
        whenVerified(this.#verifier, envelope, msg, "group", this.log, () => {
          if (this.#stopped) return;
          void this.#slots.run(() => this.#runLive(envelope, handler, msg), envelope, "queue").catch((e: unknown) =>
            this.log.warn("group.handler_failed", { group, id: envelope.id, error: e }),
          );
        }, this.instanceId);
      },
    });
    (this.#groups ??= new Map()).set(group, sub);
    this.#presence.update({ groups: [...this.#groups.keys()] });
    await this.bus.nc.flush();
  }

  /** Leaves a group channel. */
  async leaveGroup(group: string): Promise<void> {
    this.#groups?.get(group)?.unsubscribe();
    this.#groups?.delete(group);
    this.#presence.update({ groups: [...(this.#groups?.keys() ?? [])] });
  }

  /** Cancels the thread here: running handlers' signals fire, queued and later messages of it are skipped. */
  cancelThread(threadId: string, by: string, reason: string): void {
    this.#threads.cancel(threadId, by, reason);
  }

  /** Delivers a broadcast heard on `agents.all` by the host (`msg`: the message, for its trace). */
  deliverBroadcast(envelope: Envelope, msg?: Received): void {
    const handler = this.definition.onBroadcast;
    if (!handler || this.#stopped) return;
    if (envelope.from === this.name && !this.definition.hearOwnBroadcasts) return;
    void this.#slots.run(() => this.#runLive(envelope, handler, msg ?? { subject: ALL_SUBJECT }), envelope, "queue").catch((err: unknown) =>
      this.log.warn("broadcast.handler_failed", { id: envelope.id, from: envelope.from, error: err }),
    );
  }

  /** Runs a live (unstored) message's handler: its signal fires at shutdown or at the message's deadline. */
  #runLive(envelope: Envelope, handler: Handler, msg: Received): Promise<void> {
    const span = startProcess(msg, envelope, this.name);
    const running = cancellable(this.signal, deadlineOf(envelope), async (run) => {
      const ctx = this.context.bind(envelope, run, undefined, span);
      await runInSpan(span, handler, envelope, ctx);
    });
    if (!span) return running;
    return running.then(
      () => span.end(),
      (err: unknown) => {
        failSpan(span, err);
        span.end();
        throw err;
      },
    );
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
}
