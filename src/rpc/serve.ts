import { headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { NatterError, ValidationError, toError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { createEnvelope, decodeEnvelope, encodeEnvelope, type Envelope } from "../protocol/envelope.ts";
import { ERROR_CODES, HEADERS } from "../protocol/headers.ts";
import { requestSubject } from "../protocol/subjects.ts";

/** What a request handler answers: response content, or content plus metadata. */
export type Reply = string | { content: string; metadata?: Record<string, unknown> } | void;

/** Handles one validated request; what it returns is the response. */
export type RequestHandler = (request: Envelope, msg: Msg) => Promise<Reply>;

/** Options of {@link serveRequests}. */
export interface ServeOptions {
  log: Logger;
  /** Largest response in bytes; a bigger reply is turned into an error. */
  maxMessageBytes: number;
  /** Checks a valid request before its handler runs (signature, rate); an error returned is the answer. */
  screen?: (request: Envelope, msg: Msg) => Promise<NatterError | undefined>;
  /** Signs each response's exact bytes; returns the headers to send. */
  sign?: (data: Uint8Array, headers?: MsgHdrs) => MsgHdrs;
  /** Told of every answer sent to a valid request, success or error. */
  onAnswer?: (request: Envelope, response: Envelope, msg: Msg) => void;
}

/**
 * Serves core requests on `agents.request.{agent}` in the queue group `{agent}`,
 * so each request is handled by one instance. Always answers on the request's reply subject.
 */
export function serveRequests(nc: NatsConnection, agent: string, handler: RequestHandler, options: ServeOptions): Subscription {
  const { log } = options;
  return nc.subscribe(requestSubject(agent), {
    queue: agent,
    callback: (err, msg) => {
      if (err) {
        log.error("rpc.subscription_error", { error: err });
        return;
      }
      void answer(agent, msg, handler, options);
    },
  });
}

async function answer(agent: string, msg: Msg, handler: RequestHandler, options: ServeOptions): Promise<void> {
  const { log } = options;
  if (!msg.reply) {
    log.warn("rpc.rejected", { reason: "request has no reply subject; nobody to answer", subject: msg.subject });
    return;
  }
  let request: Envelope;
  try {
    request = decodeEnvelope(msg.data);
    if (request.type !== "request") throw new ValidationError(`invalid request: type is "${request.type}", expected "request"`);
    if (request.to !== agent) throw new ValidationError(`invalid request: addressed to "${request.to}", not "${agent}"`);
  } catch (err) {
    log.warn("rpc.rejected", { reason: (err as Error).message, subject: msg.subject, bytes: msg.data.length });
    respondError(msg, agent, undefined, err as Error, options);
    return;
  }
  const refused = await options.screen?.(request, msg);
  if (refused) {
    respondError(msg, agent, request, refused, options);
    return;
  }
  try {
    const reply = await handler(request, msg);
    const { content, metadata } = typeof reply === "string" ? { content: reply, metadata: undefined } : reply ?? { content: "", metadata: undefined };
    const response = createEnvelope({
      type: "response",
      from: agent,
      to: request.from,
      content,
      metadata: metadata ?? {},
      inReplyTo: request.id,
      threadId: request.threadId ?? request.id,
      priority: request.priority,
    });
    const data = encodeEnvelope(response);
    if (data.length > options.maxMessageBytes) {
      throw new NatterError(`response is ${data.length} bytes, over the ${options.maxMessageBytes}-byte limit`, "too_large");
    }
    msg.respond(data, options.sign ? { headers: options.sign(data) } : undefined);
    options.onAnswer?.(request, response, msg);
  } catch (thrown) {
    const err = toError(thrown);
    log.warn("rpc.handler_failed", { id: request.id, from: request.from, error: err });
    respondError(msg, agent, request, err, options);
  }
}

function respondError(msg: Msg, agent: string, request: Envelope | undefined, err: Error, options: ServeOptions): void {
  const code = err instanceof NatterError && err.code !== "internal" ? err.code : ERROR_CODES.handler;
  const message = err.message.slice(0, 1000);
  const h = natsHeaders();
  h.set(HEADERS.error, message.replace(/[\r\n]+/g, " "));
  h.set(HEADERS.errorCode, code);
  // A foreign requester without header support still sees the error in the body; a checking one verifies it.
  const body = createEnvelope({
    type: "response",
    from: agent,
    to: request?.from ?? agent,
    content: message,
    metadata: { error: { code, message } },
    ...(request ? { inReplyTo: request.id, threadId: request.threadId ?? request.id } : {}),
  });
  try {
    const data = encodeEnvelope(body);
    msg.respond(data, { headers: options.sign ? options.sign(data, h) : h });
    if (request) options.onAnswer?.(request, body, msg);
  } catch (respondErr) {
    options.log.error("rpc.respond_failed", { error: respondErr });
  }
}
