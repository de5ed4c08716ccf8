import { headers as natsHeaders, PermissionViolationError, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import type { JetStreamClient, PubAck } from "@nats-io/jetstream";
import { LOCAL_ERROR_CODES, NatterError } from "../errors.ts";
import { encodeEnvelope, type Envelope } from "../protocol/envelope.ts";
import { HEADERS } from "../protocol/headers.ts";
import { checkSize } from "../protocol/size.ts";
import { publishStored } from "./publish.ts";
import { causedBy, isJetStreamNotEnabled } from "../transport/nats-errors.ts";
import type { Context as TraceContext } from "@opentelemetry/api";
import { failSpan, injectSpan, startSend } from "../tracing/spans.ts";

/** Options of {@link publishEnvelope}. */
export interface PublishOptions {
  /** Largest encoded envelope {@link publishEnvelope} stores, in bytes; {@link publishBytes} sends what it is given. */
  maxMessageBytes: number;
  /** Milliseconds to wait for each stored-acknowledgement. */
  timeoutMs: number;
  headers?: MsgHdrs;
  /** JetStream de-duplication id; default the envelope id. Copies of one envelope on other subjects need their own. */
  msgID?: string;
  /** Tries on timeout or while the server is away, same message id each time (default 5). */
  attempts?: number;
  /** Signs the exact encoded bytes; returns the headers to send (with `headers` merged in). */
  sign?: (data: Uint8Array, headers?: MsgHdrs) => MsgHdrs;
  /** Traces the send: a PRODUCER span child of this context, its `traceparent` in the headers. Untraced when absent. */
  trace?: TraceContext | undefined;
}

/** The size limit and acknowledgement timeout a send takes from the bus config. */
export interface PublishConfig {
  maxMessageBytes: number;
  requestTimeoutMs: number;
}

/** Options of a send under `config`: signed with `sign` when given, de-duplicated by `msgID` when given (default the envelope id), traced under `trace` when given. */
export function publishOptions(config: PublishConfig, sign?: PublishOptions["sign"], msgID?: string, trace?: TraceContext): PublishOptions {
  const options: PublishOptions = { maxMessageBytes: config.maxMessageBytes, timeoutMs: config.requestTimeoutMs };
  if (sign) options.sign = sign;
  if (msgID !== undefined) options.msgID = msgID;
  if (trace) options.trace = trace;
  return options;
}

/**
 * Stores `envelope` on `subject` and waits for JetStream's acknowledgement.
 * The envelope id is the JetStream message id, so a retried publish is not stored twice.
 */
export async function publishEnvelope(js: JetStreamClient, subject: string, envelope: Envelope, options: PublishOptions): Promise<PubAck> {
  const data = encodeEnvelope(envelope);
  checkSize(data, options.maxMessageBytes);
  const span = options.trace ? startSend(subject, envelope, options.trace) : undefined;
  const traced = span ? injectSpan(span, options.headers) : options.headers;
  const headers = options.sign ? options.sign(data, traced) : traced;
  const sending = publishBytes(js, subject, data, options.msgID ?? envelope.id, { ...options, ...(headers ? { headers } : {}) });
  if (!span) return sending;
  try {
    return await sending;
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}

/** Like {@link publishEnvelope} for bytes already encoded. */
export async function publishBytes(js: JetStreamClient, subject: string, data: Uint8Array, msgID: string, options: PublishOptions): Promise<PubAck> {
  try {
    return await publishStored(js, subject, data, {
      msgID,
      timeoutMs: options.timeoutMs,
      retries: options.attempts ?? 5,
      ...(options.headers ? { headers: options.headers } : {}),
    });
  } catch (cause) {
    if (isJetStreamNotEnabled(cause)) {
      throw new NatterError(`nothing stored ${subject}: no JetStream stream captures it (is JetStream enabled and natter provisioned?)`, LOCAL_ERROR_CODES.noStream, { cause });
    }
    // The stream discards new messages when full: the server refuses the publish, so say so plainly.
    if (/maximum (bytes|messages) exceeded/.test((cause as Error).message)) {
      throw new NatterError(
        `not stored on ${subject}: the mailbox stream is full (${(cause as Error).message}); the recipient is behind, try again later or raise NATTER_STREAM_MAX_BYTES`,
        LOCAL_ERROR_CODES.streamFull,
        { cause },
      );
    }
    const denied = causedBy(cause, PermissionViolationError);
    throw new NatterError(`could not store message on ${subject}: ${(cause as Error).message}`, denied ? LOCAL_ERROR_CODES.permissionDenied : LOCAL_ERROR_CODES.publishFailed, { cause });
  }
}

/**
 * Sends `envelope` to a stored subject without waiting for the stream's acknowledgement: for copies whose original
 * was stored and acknowledged already (a handoff's tracking record). The stream keeps it like any other message, with
 * `msgID` as its de-duplication id, unless the server is away at that instant; throws only when it cannot be sent.
 */
export function publishCopy(nc: NatsConnection, subject: string, envelope: Envelope, msgID: string, options: Pick<PublishOptions, "maxMessageBytes" | "sign" | "trace">): void {
  const data = encodeEnvelope(envelope);
  checkSize(data, options.maxMessageBytes);
  const h = natsHeaders();
  h.set(HEADERS.msgId, msgID);
  const span = options.trace ? startSend(subject, envelope, options.trace) : undefined;
  if (span) injectSpan(span, h);
  try {
    nc.publish(subject, data, { headers: options.sign ? options.sign(data, h) : h });
  } finally {
    span?.end();
  }
}
