import { headers as natsHeaders } from "@nats-io/transport-node";
import { LOCAL_ERROR_CODES, NatterError, RemoteError, toError, type ErrorCode } from "../errors.ts";
import type { Delivery, Finish, MailboxHandlers } from "../mailbox/mailbox.ts";
import { publishBytes, publishEnvelope, publishOptions } from "../mailbox/send.ts";
import { assembleEnvelope, type Envelope } from "../protocol/envelope.ts";
import { DEAD_LETTER_HEADERS, ERROR_CODES, TRACE_HEADERS } from "../protocol/headers.ts";
import { deadLetterSubject, directSubject } from "../protocol/subjects.ts";
import type { Cancellation } from "./cancellation.ts";
import { deadlineError, pastDeadline } from "./deadline.ts";
import type { RuntimeParts } from "./parts.ts";
import type { Context as TraceContext, Span } from "@opentelemetry/api";
import { failSpan, remoteParent, runInSpan, spanContext, startProcess } from "../tracing/spans.ts";

/** Notice failures worth retrying: the stream or the connection is away for now (not a refusal that stays). */
const PERMANENT_NOTICE_FAILURES: ReadonlySet<ErrorCode> = new Set([LOCAL_ERROR_CODES.permissionDenied, ERROR_CODES.tooLarge]);

/**
 * Runs an agent's mailbox messages through its handlers: skips cancelled threads and expired messages, notifies
 * senders, dead-letters what keeps failing. The notice is sent after the handler, by the mailbox, retried on its own.
 */
export class Deliveries implements MailboxHandlers {
  constructor(readonly parts: RuntimeParts) {}

  /** One CONSUMER span per handler run, while tracing; a redelivery gets a new one in the same trace. */
  handle(delivery: Delivery, shutdown: AbortSignal): Promise<Finish> {
    const { envelope, msg } = delivery;
    const span = startProcess(msg, envelope, this.parts.definition.name, delivery);
    // Untraced, no async frame of its own: this is every mailbox message.
    return span ? this.#traced(delivery, shutdown, span) : this.#handle(delivery, shutdown, undefined);
  }

  async #traced(delivery: Delivery, shutdown: AbortSignal, span: Span): Promise<Finish> {
    try {
      return await this.#handle(delivery, shutdown, span);
    } catch (err) {
      failSpan(span, err);
      throw err;
    } finally {
      span.end();
    }
  }

  async #handle(arrived: Delivery, shutdown: AbortSignal, span: Span | undefined): Promise<Finish> {
    // Opened after the screen, which checked the signature over the sealed bytes.
    let delivery = arrived;
    if (arrived.envelope.sealed) {
      try {
        delivery = { ...arrived, envelope: this.parts.sealing.open(arrived.envelope) };
      } catch (err) {
        return this.#unreadable(arrived, err as NatterError, span);
      }
    }
    const { envelope } = delivery;
    const { threads, log } = this.parts;
    const thread = envelope.threadId ?? envelope.id;
    if (delivery.redelivered) this.parts.metrics?.redelivered();
    if (threads.has(thread)) {
      this.parts.metrics?.handled(envelope.type, "cancelled");
      log.info("message.skipped", { id: envelope.id, thread, reason: "its thread was cancelled" });
      return this.#tell(envelope, "cancelled", { cancelled: true }, span);
    }
    // Also a redelivery after a handler its deadline aborted: work past its deadline never starts.
    if (pastDeadline(envelope)) return this.#expired(delivery, deadlineError(envelope, "before the message was handled"), span);
    try {
      return await threads.run(envelope, (run) => this.#dispatch(delivery, run, span), shutdown);
    } catch (err) {
      if (shutdown.aborted) throw err;
      // Cancelled work is finished work: acknowledge it and tell the sender, do not retry.
      if (threads.has(thread)) {
        log.info("message.cancelled", { id: envelope.id, thread });
        return this.#tell(envelope, "cancelled", { cancelled: true }, span);
      }
      // A retry would start after the deadline: end it here instead.
      if (pastDeadline(envelope)) return this.#expired(delivery, err instanceof NatterError && err.code === ERROR_CODES.deadlineExceeded ? err : deadlineError(envelope, `while it was handled (${toError(err).message})`), span);
      throw err;
    }
  }

  /** A message past its deadline: terminated (never redelivered), and its sender told {@link ERROR_CODES.deadlineExceeded}. */
  #expired(delivery: Delivery, error: NatterError, span: Span | undefined): Finish {
    const { envelope, seq, deliveryCount } = delivery;
    this.parts.log.info("message.expired", { id: envelope.id, from: envelope.from, seq, deliveries: deliveryCount, deadline: envelope.deadline, reason: error.message });
    return { term: true, ...this.#tell(envelope, `failed: ${error.message}`, { error: { code: error.code, message: error.message, deliveries: deliveryCount } }, span) };
  }

  /** The notice to send once the handler is done, for the mailbox to retry on its own; none for other types. */
  #tell(envelope: Envelope, content: string, metadata: Record<string, unknown>, span: Span | undefined): Finish {
    if (envelope.type !== "direct" && envelope.type !== "handoff") return NOTHING_AFTER;
    // Nobody to tell: nothing to retry after the handler either.
    if (!this.#noticeWanted(envelope)) return NOTHING_AFTER;
    return {
      after: () =>
        this.#notify(envelope, content, metadata, span && spanContext(span)).catch((err: unknown) => {
          // A refusal that a retry cannot change: the sender goes without its notice.
          if (err instanceof NatterError && PERMANENT_NOTICE_FAILURES.has(err.code)) return this.parts.log.warn("message.notice_failed", { id: envelope.id, error: err });
          throw err;
        }),
    };
  }

  /**
   * A sealed message this agent cannot open (wrong key, tampered, or sealed for a key it no longer has): never handled,
   * and no retry can change that. It is dead-lettered with the reason and terminated; its sender is told
   * `sealed_unreadable` (in clear: the notice says only why).
   */
  async #unreadable(delivery: Delivery, error: NatterError, span: Span | undefined): Promise<Finish> {
    const { envelope } = delivery;
    this.parts.log.error("message.sealed_unreadable", { id: envelope.id, from: envelope.from, seq: delivery.seq, error });
    await this.#deadLetter(delivery, error);
    this.parts.metrics?.handled(envelope.type, "dead_lettered");
    return { term: true, ...this.#tell(envelope, `failed: ${error.message}`, { error: { code: ERROR_CODES.sealedUnreadable, message: error.message } }, span) };
  }

  /**
   * Stores the original bytes of `delivery` on the agent's dead-letter subject, with why. `reason` defaults to the
   * error's message; the handler failure of a sealed message passes its code only, since the message can quote it.
   */
  async #deadLetter(delivery: Delivery, error: Error, reason = error.message): Promise<void> {
    const { envelope, seq, deliveryCount, msg } = delivery;
    const { bus, definition } = this.parts;
    const h = natsHeaders();
    h.set(DEAD_LETTER_HEADERS.error, reason.replace(/[\r\n]+/g, " ").slice(0, 1000));
    h.set(DEAD_LETTER_HEADERS.deliveries, String(deliveryCount));
    h.set(DEAD_LETTER_HEADERS.originalSeq, String(seq));
    h.set(DEAD_LETTER_HEADERS.originalSubject, msg.subject);
    // The dead letter stays in the trace of the message that failed.
    for (const name of [TRACE_HEADERS.traceparent, TRACE_HEADERS.tracestate]) {
      const value = msg.headers?.get(name);
      if (value) h.set(name, value);
    }
    await publishBytes(bus.js, deadLetterSubject(definition.name), msg.data, `dlq-${envelope.id}`, { ...publishOptions(bus.config), headers: h });
  }

  /** Deliveries exhausted: store a dead letter, tell the sender, and let the mailbox terminate the original. */
  async giveUp(delivery: Delivery, error: Error): Promise<void> {
    const { envelope, seq, deliveryCount, msg } = delivery;
    const { log } = this.parts;
    const code = error instanceof RemoteError ? error.peerCode : error instanceof NatterError ? error.code : ERROR_CODES.handler;
    // The stream is what sealing hides from: the reason of a sealed message stays in the agent's log.
    await this.#deadLetter(delivery, error, envelope.sealed ? `failed (${code}); the reason of a sealed message is in the agent's log (message.dead_lettered)` : error.message);
    log.error("message.dead_lettered", { id: envelope.id, seq, deliveries: deliveryCount, error });
    this.parts.metrics?.handled(envelope.type, "dead_lettered");
    const trace = msg.headers ? remoteParent(msg.headers) : undefined;
    // The mailbox hands back the delivery as it arrived (sealed): opened again, the notice is sealed back to its
    // sender, since the handler's error can quote the message.
    await this.#notify(this.#openedIfCan(envelope), `failed: ${error.message}`, { error: { code, message: error.message, deliveries: deliveryCount } }, trace).catch((err: unknown) =>
      log.warn("message.notice_failed", { id: envelope.id, error: toError(err) }),
    );
  }

  /** `envelope` opened when it came sealed and this agent can open it, else as it is. */
  #openedIfCan(envelope: Envelope): Envelope {
    if (!envelope.sealed) return envelope;
    try {
      return this.parts.sealing.open(envelope);
    } catch {
      return envelope;
    }
  }

  /** A message refused unhandled (over the size limit): its sender gets a failure notice with the error's code. */
  async refuse(delivery: Delivery, error: NatterError): Promise<void> {
    this.parts.metrics?.handled(delivery.envelope.type, "rejected");
    await this.#notify(delivery.envelope, `refused: ${error.message}`, { error: { code: error.code, message: error.message } });
  }

  async #dispatch(delivery: Delivery, run: Cancellation, span: Span | undefined): Promise<Finish> {
    const { envelope } = delivery;
    const { definition, context, slots } = this.parts;
    const ctx = context.bind(envelope, run, { deliveryCount: delivery.deliveryCount, redelivered: delivery.redelivered }, span);
    if (envelope.type === "direct" || envelope.type === "handoff") {
      const handler = definition.onMessage;
      if (!handler) return this.#unhandled(delivery);
      const result = await slots.run(() => unlessExpired(envelope, () => runInSpan(span, handler, envelope, ctx)), envelope, "wait");
      return this.#tell(envelope, typeof result === "string" ? result : "done", {}, span);
    }
    if (envelope.type === "response") {
      const handler = definition.onResponse;
      if (!handler) return this.#unhandled(delivery);
      await slots.run(() => unlessExpired(envelope, () => runInSpan(span, handler, envelope, ctx)), envelope, "wait");
      return {};
    }
    return this.#unhandled(delivery);
  }

  #unhandled(delivery: Delivery): Finish {
    const { envelope } = delivery;
    this.parts.log.info("message.unhandled", { id: envelope.id, type: envelope.type, from: envelope.from, seq: delivery.seq, reason: `no handler for ${envelope.type} messages; acknowledged` });
    return {};
  }

  /** Whether `original`'s sender gets a completion notice: unless it asked for none, or is this agent itself. */
  #noticeWanted(original: Envelope): boolean {
    return original.notify !== false && original.from !== this.parts.definition.name;
  }

  /**
   * Sends the completion notice of a direct message or handoff to its sender's mailbox: sealed back to the sender
   * when the message came sealed and was opened, so the handler's result stays as private as the message.
   */
  async #notify(original: Envelope, content: string, metadata: Record<string, unknown>, trace?: TraceContext): Promise<void> {
    const { bus, definition, signer, sealing } = this.parts;
    if (!this.#noticeWanted(original)) return;
    const clear = assembleEnvelope({
      type: "response",
      from: definition.name,
      to: original.from,
      content,
      metadata,
      inReplyTo: original.id,
      threadId: original.threadId ?? original.id,
      priority: original.priority,
      notify: false,
    });
    const notice = original.sealed ? clear : sealing.replyTo(original, clear);
    // A fixed de-duplication id: a redelivered message that completes again does not notify twice.
    await publishEnvelope(bus.js, directSubject(original.from), notice, publishOptions(bus.config, signer?.sign, `done-${original.id}`, trace));
  }
}

const NOTHING_AFTER: Finish = Object.freeze({});

/** Runs `handler` unless `envelope`'s deadline passed while it waited for a slot. */
function unlessExpired<T>(envelope: Envelope, handler: () => Promise<T> | T): Promise<T> | T {
  if (pastDeadline(envelope)) throw deadlineError(envelope, "before a handler slot was free");
  return handler();
}
