import { AbortedError, NatterError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { publishEnvelope, type PublishOptions } from "../mailbox/send.ts";
import { createEnvelope, HANDOFF_PRIORITY, type Envelope, type MessageType } from "../protocol/envelope.ts";
import { assertAgentName } from "../protocol/names.ts";
import { ALL_SUBJECT, directSubject, handoffSubject } from "../protocol/subjects.ts";
import { groupAgents, listInstances, type AgentInfo } from "../registry/query.ts";
import type { Requester } from "../rpc/call.ts";
import type { Signer } from "../security/identity.ts";
import type { Bus } from "../transport/bus.ts";

/** Optional fields of anything an agent sends. */
export interface SendOptions {
  /** 1 (most urgent) to 5; default 3, handoffs 1. */
  priority?: number;
  /** Conversation to attach to; default the thread being handled, else a new one. */
  threadId?: string;
  /** Id of the message this answers. */
  inReplyTo?: string;
  /** Whether the recipient sends a completion notice back (default true). */
  notify?: boolean;
  /** Absolute deadline; the recipient's handler signal fires when it passes. Default: the handled message's. */
  deadline?: Date;
}

/** Options of {@link AgentContext.requestFromAgent}. */
export interface RequestOptions extends Omit<SendOptions, "notify" | "inReplyTo"> {
  /** Milliseconds to wait for the answer; default NATTER_REQUEST_TIMEOUT_MS, capped by any deadline. */
  timeoutMs?: number;
  metadata?: Record<string, unknown>;
  signal?: AbortSignal;
}

/** What a stored send returns: the envelope and where the stream put it. */
export interface Sent {
  envelope: Envelope;
  /** Stream sequence of the stored message. */
  seq: number;
}

/** The seed's public API, available to every agent and client. */
export interface AgentContext {
  /** This agent's name. */
  readonly name: string;
  /** This instance's id (the registry key is `{name}.{instanceId}`). */
  readonly instanceId: string;
  readonly log: Logger;
  /** Fires when the agent stops. */
  readonly signal: AbortSignal;
  /** Stores a message in `to`'s mailbox; delivered when it runs, even if it is offline now. */
  sendDirectMessage(to: string, content: string, metadata?: Record<string, unknown>, options?: SendOptions): Promise<Sent>;
  /** Asks `to` and waits for the answer; typed errors when it is absent, slow or fails. */
  requestFromAgent(to: string, content: string, options?: RequestOptions): Promise<Envelope>;
  /** Hands a task to `to`: urgent mailbox delivery plus a record on `agents.handoff.{from}.to.{to}`. */
  handoffToAgent(to: string, content: string, metadata?: Record<string, unknown>, options?: SendOptions): Promise<Sent>;
  /** Tells every running agent, on `agents.all`. */
  broadcastMessage(content: string, metadata?: Record<string, unknown>, options?: Pick<SendOptions, "priority" | "threadId">): Promise<Sent>;
  /** Announces this agent's presence (and status) on `agents.all`. */
  announcePresence(status?: string): Promise<Sent>;
  /** Every agent in the registry, with its instances. */
  listAgents(): Promise<AgentInfo[]>;
  /** Agents that declare `capability` and have an instance that is not offline. */
  findAgents(capability: string): Promise<AgentInfo[]>;
  /** One agent by name, or undefined. */
  getAgent(name: string): Promise<AgentInfo | undefined>;
}

/** The context a handler gets: the agent's API, bound to the message being handled. */
export interface HandlerContext extends AgentContext {
  /** The message being handled. */
  readonly message: Envelope;
  /** 1 on first delivery; higher when redelivered (mailbox messages only). */
  readonly deliveryCount: number;
  /** True when this message was delivered before (a retry or a crash): stay idempotent. */
  readonly redelivered: boolean;
}

/** What the context needs from the runtime that owns it. */
export interface ContextOwner {
  readonly bus: Bus;
  readonly name: string;
  readonly instanceId: string;
  readonly requester: Requester;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** The metadata the agent announces about itself. */
  announcement(status: string): Record<string, unknown>;
  /** Signs everything sent, when signing is on. */
  readonly signer?: Signer | undefined;
}

/** Scope of the message a context is bound to: its thread and deadline pass on to what the handler sends. */
interface Scope {
  message?: Envelope;
  signal: AbortSignal;
  deliveryCount: number;
  redelivered: boolean;
}

/** Implements {@link AgentContext}; {@link bind} derives the context of one handled message. */
export class Context implements HandlerContext {
  readonly #owner: ContextOwner;
  readonly #scope: Scope;

  constructor(owner: ContextOwner, scope?: Partial<Scope>) {
    this.#owner = owner;
    this.#scope = { signal: owner.signal, deliveryCount: 1, redelivered: false, ...scope };
  }

  get name(): string {
    return this.#owner.name;
  }
  get instanceId(): string {
    return this.#owner.instanceId;
  }
  get log(): Logger {
    return this.#owner.log;
  }
  get signal(): AbortSignal {
    return this.#scope.signal;
  }
  get message(): Envelope {
    if (!this.#scope.message) throw new NatterError("this context is not handling a message");
    return this.#scope.message;
  }
  get deliveryCount(): number {
    return this.#scope.deliveryCount;
  }
  get redelivered(): boolean {
    return this.#scope.redelivered;
  }

  /** A context bound to `message`: sends inherit its thread and deadline; `signal` fires at the deadline too. */
  bind(message: Envelope, extra: { signal?: AbortSignal; deliveryCount?: number; redelivered?: boolean } = {}): Context {
    const signals = [extra.signal ?? this.#owner.signal];
    if (message.deadline) signals.push(AbortSignal.timeout(Math.max(0, Date.parse(message.deadline) - Date.now())));
    return new Context(this.#owner, {
      message,
      signal: signals.length === 1 ? signals[0]! : AbortSignal.any(signals),
      deliveryCount: extra.deliveryCount ?? 1,
      redelivered: extra.redelivered ?? false,
    });
  }

  sendDirectMessage(to: string, content: string, metadata: Record<string, unknown> = {}, options: SendOptions = {}): Promise<Sent> {
    return this.#store("direct", to, content, metadata, options);
  }

  async handoffToAgent(to: string, content: string, metadata: Record<string, unknown> = {}, options: SendOptions = {}): Promise<Sent> {
    const sent = await this.#store("handoff", to, content, metadata, { priority: HANDOFF_PRIORITY, ...options });
    // The tracking record is a copy; the mailbox copy above is the one that must not be lost.
    await publishEnvelope(this.#owner.bus.js, handoffSubject(this.name, to), sent.envelope, { ...this.#publishOptions(), msgID: `handoff-${sent.envelope.id}` }).catch(
      (err: unknown) => this.log.warn("handoff.record_failed", { id: sent.envelope.id, error: err }),
    );
    return sent;
  }

  async broadcastMessage(content: string, metadata: Record<string, unknown> = {}, options: Pick<SendOptions, "priority" | "threadId"> = {}): Promise<Sent> {
    const envelope = this.#envelope("broadcast", undefined, content, metadata, options);
    const ack = await publishEnvelope(this.#owner.bus.js, ALL_SUBJECT, envelope, this.#publishOptions());
    return { envelope, seq: ack.seq };
  }

  async announcePresence(status = "online"): Promise<Sent> {
    const envelope = createEnvelope({ type: "announcement", from: this.name, content: status, metadata: this.#owner.announcement(status) });
    const ack = await publishEnvelope(this.#owner.bus.js, ALL_SUBJECT, envelope, this.#publishOptions());
    return { envelope, seq: ack.seq };
  }

  async requestFromAgent(to: string, content: string, options: RequestOptions = {}): Promise<Envelope> {
    assertAgentName(to, "recipient");
    const envelope = this.#envelope("request", to, content, options.metadata ?? {}, options);
    let timeoutMs = options.timeoutMs ?? this.#owner.bus.config.requestTimeoutMs;
    if (envelope.deadline) timeoutMs = Math.min(timeoutMs, Math.max(1, Date.parse(envelope.deadline) - Date.now()));
    const signals = [this.signal, options.signal].filter((s): s is AbortSignal => s !== undefined);
    const signal = signals.length === 1 ? signals[0]! : AbortSignal.any(signals);
    if (signal.aborted) throw new AbortedError(`request to "${to}" not sent: ${String(signal.reason?.message ?? signal.reason)}`);
    return this.#owner.requester.request(envelope, { timeoutMs, signal });
  }

  async listAgents(): Promise<AgentInfo[]> {
    return groupAgents(await listInstances(this.#owner.bus.registry, this.log));
  }

  async findAgents(capability: string): Promise<AgentInfo[]> {
    return (await this.listAgents()).filter((a) => a.status !== "offline" && a.capabilities.includes(capability));
  }

  async getAgent(name: string): Promise<AgentInfo | undefined> {
    assertAgentName(name);
    return (await this.listAgents()).find((a) => a.name === name);
  }

  async #store(type: MessageType, to: string, content: string, metadata: Record<string, unknown>, options: SendOptions): Promise<Sent> {
    assertAgentName(to, "recipient");
    const envelope = this.#envelope(type, to, content, metadata, options);
    const ack = await publishEnvelope(this.#owner.bus.js, directSubject(to), envelope, this.#publishOptions());
    return { envelope, seq: ack.seq };
  }

  #envelope(type: MessageType, to: string | undefined, content: string, metadata: Record<string, unknown>, options: SendOptions): Envelope {
    const parent = this.#scope.message;
    const deadline = options.deadline?.toISOString() ?? parent?.deadline;
    return createEnvelope({
      type,
      from: this.name,
      to,
      content,
      metadata,
      priority: options.priority,
      threadId: options.threadId ?? parent?.threadId ?? parent?.id,
      inReplyTo: options.inReplyTo,
      notify: options.notify,
      deadline,
    });
  }

  #publishOptions(): PublishOptions {
    const { bus, signer } = this.#owner;
    const { config } = bus;
    return { maxMessageBytes: config.maxMessageBytes, timeoutMs: config.requestTimeoutMs, ...(signer ? { sign: signer.sign } : {}) };
  }
}
