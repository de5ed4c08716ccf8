import { headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { LOCAL_ERROR_CODES, MessageTooLargeError, NatterError, RemoteError, ValidationError, toError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { assembleEnvelope, decodeEnvelope, encodeEnvelope, type Envelope } from "../protocol/envelope.ts";
import { ERROR_CODES, HEADERS } from "../protocol/headers.ts";
import { requestSubject } from "../protocol/subjects.ts";
import { AnswerMemory, type SentAnswer } from "./answered.ts";

/** What a request handler answers: response content, or content plus metadata. */
export type Reply = string | { content: string; metadata?: Record<string, unknown> } | void;

/** Handles one validated request; what it returns is the response. */
export type RequestHandler = (request: Envelope, msg: Msg) => Promise<Reply>;

/** Options of {@link serveRequests}. */
export interface ServeOptions {
  log: Logger;
  /** Largest request and response in bytes: a bigger request is refused unread, a bigger reply turned into an error. */
  maxMessageBytes: number;
  /** Checks a valid request before its handler runs (signature, rate); an error returned is the answer. */
  screen?: (request: Envelope, msg: Msg) => Promise<NatterError | undefined>;
  /** Signs each response's exact bytes; returns the headers to send. */
  sign?: (data: Uint8Array, headers?: MsgHdrs) => MsgHdrs;
  /** Seals a successful answer for the requester (when the request came sealed); error answers go in clear. */
  seal?: (request: Envelope, response: Envelope) => Envelope;
  /** Told of every answer sent to a valid request, success or error. */
  onAnswer?: (request: Envelope, response: Envelope, msg: Msg) => void;
  /**
   * Milliseconds to keep the answer to `request` and send it again when the very same request comes again on the same
   * reply subject (a requester re-sending after a reconnect), instead of running or refusing it again; 0 or less: not
   * kept. An answer still being worked on is kept until it is sent. Off when absent.
   */
  repeatAnswersMs?: (request: Envelope) => number;
}

/**
 * Serves core requests on `agents.request.{agent}` in the queue group `{agent}`,
 * so each request is handled by one instance. Always answers on the request's reply subject.
 */
export function serveRequests(nc: NatsConnection, agent: string, handler: RequestHandler, options: ServeOptions): Subscription {
  const { log } = options;
  // Looked up on the first request: an agent that is never asked holds none.
  let memory: AnswerMemory | undefined;
  return nc.subscribe(requestSubject(agent), {
    queue: agent,
    callback: (err, msg) => {
      if (err) {
        log.error("rpc.subscription_error", { error: err });
        return;
      }
      if (options.repeatAnswersMs) memory ??= answerMemory(nc, agent);
      void answer(agent, msg, handler, options, memory);
    },
  });
}

/** Answer memories by connection and agent: instances of one agent in one host share theirs, and a re-sent
 * request may reach any of them through the queue group. */
const memories = new WeakMap<NatsConnection, Map<string, AnswerMemory>>();

function answerMemory(nc: NatsConnection, agent: string): AnswerMemory {
  let byAgent = memories.get(nc);
  if (!byAgent) memories.set(nc, (byAgent = new Map()));
  let memory = byAgent.get(agent);
  if (!memory) byAgent.set(agent, (memory = new AnswerMemory()));
  return memory;
}

async function answer(agent: string, msg: Msg, handler: RequestHandler, options: ServeOptions, memory: AnswerMemory | undefined): Promise<void> {
  const { log } = options;
  const reply = msg.reply;
  if (!reply) {
    log.warn("rpc.rejected", { reason: "request has no reply subject; nobody to answer", subject: msg.subject });
    return;
  }
  let request: Envelope;
  try {
    // Before parsing: an oversize body must cost nothing but this answer (which cannot name the request it refuses).
    if (msg.data.length > options.maxMessageBytes) throw new MessageTooLargeError(msg.data.length, options.maxMessageBytes);
    request = decodeEnvelope(msg.data);
    if (request.type !== "request") throw new ValidationError(`invalid request: type is "${request.type}", expected "request"`);
    if (request.to !== agent) throw new ValidationError(`invalid request: addressed to "${request.to}", not "${agent}"`);
  } catch (err) {
    log.warn("rpc.rejected", { reason: (err as Error).message, subject: msg.subject, bytes: msg.data.length });
    send(msg, errorAnswer(agent, undefined, err as Error, options).sent, options);
    return;
  }
  // A remembered answer goes only to `reply`, which the memory matched against the first request's reply subject;
  // whatever it does not match is screened and handled below. That is why its cheap, non-cryptographic hash is enough.
  const earlier = memory?.recall(request.id, msg.data, reply);
  if (earlier) {
    log.info("rpc.repeated", { id: request.id, from: request.from, reason: "the same request came again (re-sent after a reconnect); it gets the same answer" });
    const again = await earlier;
    if (again) return send(msg, again, options);
  }
  const remember = memory?.begin(request.id, msg.data, reply, options.repeatAnswersMs?.(request) ?? 0);
  let outcome: Outcome | undefined;
  try {
    outcome = await decide(agent, request, msg, handler, options);
    send(msg, outcome.sent, options);
    options.onAnswer?.(request, outcome.response, msg);
  } finally {
    remember?.(outcome?.sent);
  }
}

/** An answer ready to send, and the envelope it carries. */
interface Outcome {
  sent: SentAnswer;
  response: Envelope;
}

/** Screens a valid request and runs its handler; every failure becomes an error answer. */
async function decide(agent: string, request: Envelope, msg: Msg, handler: RequestHandler, options: ServeOptions): Promise<Outcome> {
  try {
    if (options.screen) {
      const refused = await options.screen(request, msg);
      if (refused) return errorAnswer(agent, request, refused, options);
    }
    const reply = await handler(request, msg);
    const clear = assembleEnvelope({
      type: "response",
      from: agent,
      to: request.from,
      content: typeof reply === "string" ? reply : reply ? reply.content : "",
      metadata: (reply && typeof reply === "object" ? reply.metadata : undefined) ?? {},
      inReplyTo: request.id,
      threadId: request.threadId ?? request.id,
      priority: request.priority,
    });
    const response = options.seal ? options.seal(request, clear) : clear;
    const data = encodeEnvelope(response);
    if (data.length > options.maxMessageBytes) throw new MessageTooLargeError(data.length, options.maxMessageBytes, "response");
    return { sent: { data, headers: options.sign?.(data) }, response };
  } catch (thrown) {
    const err = toError(thrown);
    options.log.warn("rpc.handler_failed", { id: request.id, from: request.from, error: err });
    return errorAnswer(agent, request, err, options);
  }
}

/** The error answer: code and message in headers, and in a signed body for requesters that check or cannot read headers. */
function errorAnswer(agent: string, request: Envelope | undefined, err: Error, options: ServeOptions): Outcome {
  // A peer's failure passes on with the code the peer sent, known to natter or not.
  const code = err instanceof RemoteError ? err.peerCode : err instanceof NatterError && err.code !== LOCAL_ERROR_CODES.internal ? err.code : ERROR_CODES.handler;
  const message = err.message.slice(0, 1000);
  const h = natsHeaders();
  h.set(HEADERS.error, message.replace(/[\r\n]+/g, " "));
  h.set(HEADERS.errorCode, code);
  const response = assembleEnvelope({
    type: "response",
    from: agent,
    to: request?.from ?? agent,
    content: message,
    metadata: { error: { code, message } },
    ...(request ? { inReplyTo: request.id, threadId: request.threadId ?? request.id } : {}),
  });
  const data = encodeEnvelope(response);
  return { sent: { data, headers: options.sign ? options.sign(data, h) : h }, response };
}

function send(msg: Msg, answer: SentAnswer, options: ServeOptions): void {
  try {
    msg.respond(answer.data, answer.headers ? { headers: answer.headers } : undefined);
  } catch (err) {
    options.log.error("rpc.respond_failed", { error: err });
  }
}
