import { headers as natsHeaders } from "@nats-io/transport-node";
import { AbortedError, LOCAL_ERROR_CODES, NatterError, NoAgentWithCapabilityError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { collectStream } from "../inspect/read.ts";
import { readHistory, readProgress, type ProgressEvent, type StoredCheck } from "../mailbox/progress.ts";
import { publishCopy, publishEnvelope, publishOptions, type PublishOptions } from "../mailbox/send.ts";
import { createEnvelope, HANDOFF_PRIORITY, newId, type Envelope, type MessageType } from "../protocol/envelope.ts";
import { HEADERS } from "../protocol/headers.ts";
import { assertAgentName } from "../protocol/names.ts";
import { ALL_SUBJECT, CANCEL_SUBJECT, directSubject, groupSubject, handoffSubject, progressSubject } from "../protocol/subjects.ts";
import { groupAgents, listInstances, type AgentInfo } from "../registry/query.ts";
import type { Requester } from "../rpc/call.ts";
import type { Signer } from "../security/identity.ts";
import { storedReadCheck, type Expectation, type Verifier } from "../security/verify.ts";
import type { Bus } from "../transport/bus.ts";
import type { Cancellation } from "./cancellation.ts";
import { broadcastOptionsOf, metadataOf, sendOptionsOf, type BroadcastOptions } from "./send-args.ts";
import type { Sealing } from "./sealing.ts";

/** Optional fields of anything an agent sends. */
export interface SendOptions {
  /** Free-form JSON sent with the message (`envelope.metadata`); default none. */
  metadata?: Record<string, unknown>;
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
  /**
   * Seal content and metadata so only the recipient can read them (docs/security.md); default NATTER_SEAL=direct.
   * A recipient with no verified curve key is an error (`recipient_has_no_seal_key`), never a send in clear.
   */
  seal?: boolean;
}

/** Options of {@link AgentContext.requestFromAgent}. */
export interface RequestOptions extends Omit<SendOptions, "notify" | "inReplyTo"> {
  /** Milliseconds to wait for the answer; default NATTER_REQUEST_TIMEOUT_MS, capped by any deadline. */
  timeoutMs?: number;
  /** Aborts the wait (the call rejects with AbortedError); the request already sent is not recalled. */
  signal?: AbortSignal;
}

/** What a stored send returns: the envelope and where the stream put it. */
export interface Sent {
  /** The envelope as sent, with its id and timestamp. */
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
  /** The agent's logger, with its name on every line. */
  readonly log: Logger;
  /** Fires when the agent stops. */
  readonly signal: AbortSignal;
  /**
   * Stores a message in `to`'s mailbox; delivered when it runs, even if it is offline now.
   * @param options - with `metadata`, which this form needs (else the object is read as the seed form's metadata).
   */
  sendDirectMessage(to: string, content: string, options: SendOptions & { metadata: Record<string, unknown> }): Promise<Sent>;
  /** The seed's form of {@link sendDirectMessage}: metadata before the other options. */
  sendDirectMessage(to: string, content: string, metadata?: Record<string, unknown>, options?: Omit<SendOptions, "metadata">): Promise<Sent>;
  /** Asks `to` and waits for the answer; typed errors when it is absent, slow or fails. */
  requestFromAgent(to: string, content: string, options?: RequestOptions): Promise<Envelope>;
  /**
   * Hands a task to `to`: urgent mailbox delivery plus a record on `agents.handoff.{from}.to.{to}`.
   * @param options - with `metadata`, which this form needs (else the object is read as the seed form's metadata).
   */
  handoffToAgent(to: string, content: string, options: SendOptions & { metadata: Record<string, unknown> }): Promise<Sent>;
  /** The seed's form of {@link handoffToAgent}: metadata before the other options. */
  handoffToAgent(to: string, content: string, metadata?: Record<string, unknown>, options?: Omit<SendOptions, "metadata">): Promise<Sent>;
  /**
   * Tells every running agent, on `agents.all`.
   * @param options - with `metadata`, which this form needs (else the object is read as the seed form's metadata).
   */
  broadcastMessage(content: string, options: Pick<SendOptions, "metadata" | "priority" | "threadId"> & { metadata: Record<string, unknown> }): Promise<Sent>;
  /** The seed's form of {@link broadcastMessage}: metadata before the other options. */
  broadcastMessage(content: string, metadata?: Record<string, unknown>, options?: Pick<SendOptions, "priority" | "threadId">): Promise<Sent>;
  /** Announces this agent's presence (and status) on `agents.all`. */
  announcePresence(status?: string): Promise<Sent>;
  /** Every agent in the registry, with its instances. */
  listAgents(): Promise<AgentInfo[]>;
  /** Agents that declare `capability` and have an instance that is not offline. */
  findAgents(capability: string): Promise<AgentInfo[]>;
  /** One agent by name, or undefined. */
  getAgent(name: string): Promise<AgentInfo | undefined>;
  /** The live agent with `capability` that is least busy (ties at random); NoAgentWithCapabilityError when none. */
  pickAgent(capability: string): Promise<string>;
  /** Asks whichever live agent with `capability` is least busy. */
  requestByCapability(capability: string, content: string, options?: RequestOptions): Promise<Envelope>;
  /**
   * Sends to whichever live agent with `capability` is least busy.
   * @param options - with `metadata`, which this form needs (else the object is read as the seed form's metadata).
   */
  sendByCapability(capability: string, content: string, options: SendOptions & { metadata: Record<string, unknown> }): Promise<Sent>;
  /** The seed's form of {@link sendByCapability}: metadata before the other options. */
  sendByCapability(capability: string, content: string, metadata?: Record<string, unknown>, options?: Omit<SendOptions, "metadata">): Promise<Sent>;
  /**
   * Asks `to` and follows the handler's progress as it happens. Progress and the answer are stored,
   * so after a disconnect {@link resumeProgress} continues from the last seen `seq` without gaps.
   */
  requestStream(to: string, content: string, options?: RequestOptions): Promise<StreamedRequest>;
  /**
   * Stored progress of one of this agent's streamed requests, after `afterSeq`, until the final answer.
   * With NATTER_VERIFY=enforce, events that fail the signature check are skipped, and so are events not from `from` (the agent asked) when given.
   */
  resumeProgress(requestId: string, afterSeq?: number, options?: { signal?: AbortSignal; from?: string }): AsyncIterable<ProgressEvent>;
  /** Cancels a conversation: the handlers of every agent working on `threadId` see their signal fire. */
  cancel(threadId: string, reason?: string): Promise<void>;
  /**
   * The stored messages of a conversation (default: the one being handled), oldest first: direct messages,
   * handoffs, notices, broadcasts and progress. Core requests and answers are not stored. Scans the stream
   * from `since` (default: everything kept). With NATTER_VERIFY=enforce, stored messages that fail the
   * signature check (forgeries a rogue stored in the thread) are left out, so they never reach a handler or a model.
   */
  thread(threadId?: string, options?: { since?: Date }): Promise<Envelope[]>;
  /** Posts to a named group channel (`agents.group.{group}`); members hear it, and it is stored as history. */
  postToGroup(group: string, content: string, metadata?: Record<string, unknown>): Promise<Sent>;
  /** Starts hearing `group` (the definition's `onGroupMessage` handles it). */
  joinGroup(group: string): Promise<void>;
  /** Stops hearing `group`. */
  leaveGroup(group: string): Promise<void>;
  /** The last `limit` (default 50) messages posted to `group`, oldest first. */
  groupHistory(group: string, limit?: number): Promise<Envelope[]>;
}

/** A request whose progress is followed while it runs. */
export interface StreamedRequest {
  /** The request id; with a seq it resumes the progress after a reconnect. */
  readonly id: string;
  /** Progress events in order, ending with the final answer (`final: true`). */
  readonly progress: AsyncIterable<ProgressEvent>;
  /** The answer, or the typed error. */
  readonly result: Promise<Envelope>;
}

/** The context a handler gets: the agent's API, bound to the message being handled. */
export interface HandlerContext extends AgentContext {
  /** The message being handled. */
  readonly message: Envelope;
  /** 1 on first delivery; higher when redelivered (mailbox messages only). */
  readonly deliveryCount: number;
  /** True when this message was delivered before (a retry or a crash): stay idempotent. */
  readonly redelivered: boolean;
  /** Reports progress of the request being handled to a requester that streams it (a no-op otherwise). */
  progress(content: string, metadata?: Record<string, unknown>): Promise<void>;
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
  /** Checks the signatures of what is read back (progress, group history), when NATTER_VERIFY is warn or enforce. */
  readonly verifier?: Verifier | undefined;
  /** Seals and opens end to end (NATTER_SEAL and the `seal` option). */
  readonly sealing?: Sealing | undefined;
  /** Subscribes the agent to a group; absent for clients, which have no handlers. */
  joinGroup?(group: string): Promise<void>;
  leaveGroup?(group: string): Promise<void>;
}

/** Where a handler's progress goes: the requester streams it. */
interface ProgressTarget {
  subject: string;
  request: Envelope;
}

/** Scope of the message a context is bound to: its thread and deadline pass on to what the handler sends. */
interface Scope {
  message?: Envelope | undefined;
  /** The handler run, whose signal is made on first use (see Cancellation); absent, the owner's signal. */
  run?: Cancellation | undefined;
  deliveryCount: number;
  redelivered: boolean;
  progress?: ProgressTarget | undefined;
}

const UNBOUND: Scope = { deliveryCount: 1, redelivered: false };

/** Implements {@link AgentContext}; {@link bind} derives the context of one handled message. */
export class Context implements HandlerContext {
  readonly #owner: ContextOwner;
  readonly #scope: Scope;

  constructor(owner: ContextOwner, scope: Scope = UNBOUND) {
    this.#owner = owner;
    this.#scope = scope;
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
    return this.#scope.run?.signal ?? this.#owner.signal;
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

  /** A context bound to `message` and its handler run: sends inherit its thread and deadline; `signal` is the run's. */
  bind(message: Envelope, run: Cancellation, extra?: { deliveryCount?: number; redelivered?: boolean; streamed?: boolean }): Context {
    return new Context(this.#owner, {
      message,
      // Its signal is made on first use (see Cancellation): most handlers never look at it.
      run,
      deliveryCount: extra?.deliveryCount ?? 1,
      redelivered: extra?.redelivered ?? false,
      progress: extra?.streamed && message.type === "request" ? { subject: progressSubject(message.from, message.id), request: message } : undefined,
    });
  }

  async progress(content: string, metadata: Record<string, unknown> = {}): Promise<void> {
    const target = this.#scope.progress;
    if (!target) return;
    const { request } = target;
    const event = createEnvelope({ type: "progress", from: this.name, to: request.from, content, metadata, inReplyTo: request.id, threadId: request.threadId ?? request.id });
    await publishEnvelope(this.#owner.bus.js, target.subject, event, this.#publishOptions());
  }

  async pickAgent(capability: string): Promise<string> {
    const live = (await this.findAgents(capability)).filter((a) => a.name !== this.name);
    if (live.length === 0) throw new NoAgentWithCapabilityError(capability);
    const busy = (a: AgentInfo) => (a.capacity > 0 ? a.load / a.capacity : a.load);
    const least = Math.min(...live.map(busy));
    const best = live.filter((a) => busy(a) === least);
    return best[Math.floor(Math.random() * best.length)]!.name;
  }

  async requestByCapability(capability: string, content: string, options: RequestOptions = {}): Promise<Envelope> {
    return this.requestFromAgent(await this.pickAgent(capability), content, options);
  }

  async sendByCapability(capability: string, content: string, metadataOrOptions?: Record<string, unknown> | SendOptions, sendOptions?: SendOptions): Promise<Sent> {
    const options = sendOptionsOf(metadataOrOptions, sendOptions);
    return this.#store("direct", await this.pickAgent(capability), content, metadataOf(metadataOrOptions, options), options);
  }

  async requestStream(to: string, content: string, options: RequestOptions = {}): Promise<StreamedRequest> {
    assertAgentName(to, "recipient");
    const envelope = await this.#sealed(this.#envelope("request", to, content, options.metadata ?? {}, options), to, options.seal);
    const headers = natsHeaders();
    headers.set(HEADERS.stream, "1");
    const timeoutMs = options.timeoutMs ?? this.#owner.bus.config.requestTimeoutMs;
    const signal = options.signal ? AbortSignal.any([this.signal, options.signal]) : this.signal;
    const result = this.#owner.requester.request(envelope, { timeoutMs, signal, headers, signalLasts: this.#lastingSignal(signal) });
    // Keep the promise observed: a caller that only iterates must not crash the process on an error.
    result.catch(() => undefined);
    return { id: envelope.id, progress: this.resumeProgress(envelope.id, 0, { signal, from: to }), result };
  }

  resumeProgress(requestId: string, afterSeq = 0, options: { signal?: AbortSignal; from?: string } = {}): AsyncIterable<ProgressEvent> {
    const { bus } = this.#owner;
    const check = this.#storedCheck({ to: this.name, inReplyTo: requestId, from: options.from });
    return readProgress(bus.js, bus.config.stream, progressSubject(this.name, requestId), { afterSeq, signal: options.signal ?? this.signal, log: this.log, check });
  }

  async cancel(threadId: string, reason = "cancelled"): Promise<void> {
    const envelope = createEnvelope({ type: "cancel", from: this.name, content: reason, threadId });
    await publishEnvelope(this.#owner.bus.js, CANCEL_SUBJECT, envelope, this.#publishOptions());
  }

  async thread(threadId?: string, options: { since?: Date } = {}): Promise<Envelope[]> {
    const id = threadId ?? this.#scope.message?.threadId ?? this.#scope.message?.id;
    if (!id) throw new NatterError("thread() needs a thread id outside a handler");
    const check = this.#storedCheck({});
    const stored = await collectStream(this.#owner.bus, { filter: { thread: id, since: options.since }, signal: this.signal, check });
    // Handoff records and dead letters are copies of mailbox messages already in the list.
    return stored.flatMap((m) => (m.envelope && m.channel !== "handoff" && m.channel !== "deadLetter" ? [m.envelope] : []));
  }

  async joinGroup(group: string): Promise<void> {
    if (!this.#owner.joinGroup) throw new NatterError("a client has no handlers to join a group with; define an agent with onGroupMessage");
    await this.#owner.joinGroup(group);
  }

  async leaveGroup(group: string): Promise<void> {
    await this.#owner.leaveGroup?.(group);
  }

  async groupHistory(group: string, limit = 50): Promise<Envelope[]> {
    const { bus } = this.#owner;
    return readHistory(bus.js, bus.config.stream, groupSubject(group), limit, this.log, this.#storedCheck({}));
  }

  async postToGroup(group: string, content: string, metadata: Record<string, unknown> = {}): Promise<Sent> {
    const envelope = this.#envelope("group", undefined, content, { ...metadata, group }, {});
    const ack = await publishEnvelope(this.#owner.bus.js, groupSubject(group), envelope, this.#publishOptions());
    return { envelope, seq: ack.seq };
  }

  sendDirectMessage(to: string, content: string, metadataOrOptions?: Record<string, unknown> | SendOptions, sendOptions?: SendOptions): Promise<Sent> {
    const options = sendOptionsOf(metadataOrOptions, sendOptions);
    return this.#store("direct", to, content, metadataOf(metadataOrOptions, options), options);
  }

  async handoffToAgent(to: string, content: string, metadataOrOptions?: Record<string, unknown> | SendOptions, sendOptions?: SendOptions): Promise<Sent> {
    const options = sendOptionsOf(metadataOrOptions, sendOptions);
    const { sent, wire } = await this.#storeWire("handoff", to, content, metadataOf(metadataOrOptions, options), { priority: HANDOFF_PRIORITY, ...options });
    // The tracking record is a copy of the mailbox copy above, which is stored and acknowledged: it is sent without
    // waiting for its own acknowledgement, so it costs the handoff (and the notice racing it) one publish, not a round trip.
    // A sealed handoff's record is the sealed copy: the record subject is readable by more than its recipient.
    try {
      publishCopy(this.#owner.bus.nc, handoffSubject(this.name, to), wire, `handoff-${sent.envelope.id}`, this.#publishOptions());
    } catch (err) {
      this.log.warn("handoff.record_failed", { id: sent.envelope.id, error: err });
    }
    return sent;
  }

  async broadcastMessage(content: string, metadataOrOptions?: Record<string, unknown> | BroadcastOptions, broadcastOptions?: BroadcastOptions): Promise<Sent> {
    const options = broadcastOptionsOf(metadataOrOptions, broadcastOptions);
    const envelope = this.#envelope("broadcast", undefined, content, metadataOf(metadataOrOptions, options), options);
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
    const envelope = await this.#sealed(this.#envelope("request", to, content, options.metadata ?? {}, options), to, options.seal);
    let timeoutMs = options.timeoutMs ?? this.#owner.bus.config.requestTimeoutMs;
    if (envelope.deadline) timeoutMs = Math.min(timeoutMs, Math.max(1, Date.parse(envelope.deadline) - Date.now()));
    const signal = options.signal ? AbortSignal.any([this.signal, options.signal]) : this.signal;
    if (signal.aborted) throw new AbortedError(`request to "${to}" not sent: ${String(signal.reason?.message ?? signal.reason)}`);
    return this.#owner.requester.request(envelope, { timeoutMs, signal, signalLasts: this.#lastingSignal(signal) });
  }

  async listAgents(): Promise<AgentInfo[]> {
    return groupAgents(await listInstances(this.#owner.bus, this.log));
  }

  async findAgents(capability: string): Promise<AgentInfo[]> {
    return (await this.listAgents()).filter((a) => a.status !== "offline" && a.capabilities.includes(capability));
  }

  async getAgent(name: string): Promise<AgentInfo | undefined> {
    assertAgentName(name);
    return groupAgents(await listInstances(this.#owner.bus, this.log, name))[0];
  }

  async #store(type: MessageType, to: string, content: string, metadata: Record<string, unknown>, options: SendOptions): Promise<Sent> {
    return (await this.#storeWire(type, to, content, metadata, options)).sent;
  }

  /** Stores a mailbox message; `sent` holds the envelope as written (readable), `wire` as stored (sealed, maybe). */
  async #storeWire(type: MessageType, to: string, content: string, metadata: Record<string, unknown>, options: SendOptions): Promise<{ sent: Sent; wire: Envelope }> {
    assertAgentName(to, "recipient");
    const envelope = this.#envelope(type, to, content, metadata, options);
    const wire = await this.#sealed(envelope, to, options.seal);
    const ack = await publishEnvelope(this.#owner.bus.js, directSubject(to), wire, this.#publishOptions());
    return { sent: { envelope, seq: ack.seq }, wire };
  }

  /**
   * `envelope` sealed for `to` when sealing is wanted (the option, else NATTER_SEAL); a recipient without a verified
   * key throws rather than getting it in clear.
   */
  async #sealed(envelope: Envelope, to: string, seal: boolean | undefined): Promise<Envelope> {
    const { sealing } = this.#owner;
    if (seal !== true && !(sealing?.wanted(seal) ?? false)) return envelope;
    if (!sealing) throw new NatterError(`cannot seal for "${to}": this sender has no curve key`, LOCAL_ERROR_CODES.recipientHasNoSealKey);
    return sealing.sealFor(envelope, to);
  }

  #envelope(type: MessageType, to: string | undefined, content: string, metadata: Record<string, unknown>, options: SendOptions): Envelope {
    const parent = this.#scope.message;
    const deadline = options.deadline?.toISOString() ?? parent?.deadline;
    const id = newId();
    return createEnvelope({
      id,
      type,
      from: this.name,
      to,
      content,
      metadata,
      priority: options.priority,
      // A message sent outside any conversation starts one, named after itself.
      threadId: options.threadId ?? parent?.threadId ?? parent?.id ?? id,
      inReplyTo: options.inReplyTo,
      notify: options.notify,
      deadline,
    });
  }

  /** Whether `signal` is the owner's own stop signal, which lives as long as its requester. */
  #lastingSignal(signal: AbortSignal): boolean {
    return this.#scope.run === undefined && signal === this.#owner.signal;
  }

  /** The signature check of stored messages read back, when verifying: signed by their sender and carrying `expect`. */
  #storedCheck(expect: Expectation): StoredCheck | undefined {
    const { verifier } = this.#owner;
    if (!verifier || verifier.mode === "off") return undefined;
    return storedReadCheck(verifier, expect);
  }

  #publishOptions(msgID?: string): PublishOptions {
    return publishOptions(this.#owner.bus.config, this.#owner.signer?.sign, msgID);
  }
}
