import { headers as natsHeaders, type MsgHdrs } from "@nats-io/transport-node";
import { context, createTraceState, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Attributes, type Context, type Link, type Span, type SpanContext, type Tracer } from "@opentelemetry/api";
import type { Envelope } from "../protocol/envelope.ts";
import { TRACE_HEADERS } from "../protocol/headers.ts";
import { activeTracer, contextManagerActive } from "./tracer.ts";
import { formatTraceparent, parseTraceparent } from "./w3c.ts";

/** What a span needs of the envelope it carries. */
type Carried = Pick<Envelope, "id" | "type" | "from" | "to" | "threadId">;

/** A received NATS message: its headers are decoded on first read (nats.js), so they are read only while tracing. */
export interface Received {
  readonly subject: string;
  readonly headers?: MsgHdrs | undefined;
}

/**
 * Starts the PRODUCER span of one send, child of `parent` (else of the active context), or undefined while tracing is off.
 * End it with {@link endSpan} once the send is done.
 */
export function startSend(subject: string, envelope: Carried, parent?: Context): Span | undefined {
  const tracer = activeTracer();
  if (!tracer) return undefined;
  const attributes: Attributes = {
    "messaging.system": "nats",
    "messaging.destination.name": subject,
    "messaging.operation.type": "send",
    "messaging.message.id": envelope.id,
    "natter.message_type": envelope.type,
    "natter.thread_id": envelope.threadId ?? envelope.id,
    "natter.from": envelope.from,
  };
  if (envelope.to !== undefined) attributes["natter.to"] = envelope.to;
  try {
    return tracer.startSpan(`send ${envelope.type}`, { kind: SpanKind.PRODUCER, attributes }, parent ?? context.active());
  } catch {
    // A span processor that throws (the user's SDK) costs the trace, never the message.
    return undefined;
  }
}

/**
 * Starts the CONSUMER span of one handler run of `msg` by `agent`: child of the sender's span named in its
 * headers (a malformed or absent `traceparent` starts a new trace). With `stored`, the span also links
 * to the sender's: each delivery of a stored message is a new span in the same trace, and a redelivery must show as
 * one even when the server reports it as a first delivery (nats-server 2.9 may, after the first consumer was killed).
 * Undefined while tracing is off.
 */
export function startProcess(msg: Received, envelope: Carried, agent: string, stored?: { deliveryCount: number }): Span | undefined {
  const tracer = activeTracer();
  if (!tracer) return undefined;
  try {
    return processSpan(tracer, msg.headers, msg.subject, envelope, agent, stored);
  } catch {
    // A span processor that throws (the user's SDK) costs the trace, never the delivery.
    return undefined;
  }
}

function processSpan(tracer: Tracer, headers: MsgHdrs | undefined, subject: string, envelope: Carried, agent: string, stored: { deliveryCount: number } | undefined): Span {
  const parent = headers ? remoteParent(headers) : undefined;
  const attributes: Attributes = {
    "messaging.system": "nats",
    "messaging.destination.name": subject,
    "messaging.operation.type": "process",
    "messaging.message.id": envelope.id,
    "natter.message_type": envelope.type,
    "natter.thread_id": envelope.threadId ?? envelope.id,
    "natter.agent": agent,
    "natter.from": envelope.from,
  };
  let links: Link[] | undefined;
  if (stored) {
    if (stored.deliveryCount > 1) attributes["messaging.message.delivery_count"] = stored.deliveryCount;
    if (parent) links = [{ context: trace.getSpanContext(parent)! }];
  }
  return tracer.startSpan(`process ${envelope.type}`, { kind: SpanKind.CONSUMER, attributes, ...(links ? { links } : {}) }, parent ?? ROOT_CONTEXT);
}

/** The sender's span context from a message's `traceparent`/`tracestate`, or undefined when absent or malformed. */
export function remoteParent(headers: MsgHdrs): Context | undefined {
  const parsed = parseTraceparent(headers.get(TRACE_HEADERS.traceparent));
  if (!parsed) return undefined;
  const sc: SpanContext = { traceId: parsed.traceId, spanId: parsed.spanId, traceFlags: parsed.traceFlags, isRemote: true };
  const state = headers.get(TRACE_HEADERS.tracestate);
  // The API's parser drops what it cannot read rather than throwing.
  if (state) sc.traceState = createTraceState(state);
  return trace.setSpanContext(ROOT_CONTEXT, sc);
}

/** Writes `span`'s `traceparent` (and `tracestate`) into `into` (new headers when absent) and returns them. */
export function injectSpan(span: Span, into?: MsgHdrs): MsgHdrs {
  const h = into ?? natsHeaders();
  const sc = span.spanContext();
  h.set(TRACE_HEADERS.traceparent, formatTraceparent(sc));
  const state = sc.traceState?.serialize();
  if (state) h.set(TRACE_HEADERS.tracestate, state);
  return h;
}

/** The context whose active span is `span`: the parent of what a handler sends. */
export function spanContext(span: Span): Context {
  return trace.setSpan(ROOT_CONTEXT, span);
}

/**
 * Calls `handler(message, ctx)`: with `span` active when there is one and a context manager is registered, so what the
 * handler's own instrumented code starts (an HTTP client's span, `tracer.startActiveSpan`) is a child of the handler
 * run. The arguments are passed, not closed over, so an untraced run allocates nothing.
 */
export function runInSpan<M, C, T>(span: Span | undefined, handler: (message: M, ctx: C) => T, message: M, ctx: C): T {
  if (!span || !contextManagerActive()) return handler(message, ctx);
  return context.with(spanContext(span), handler, undefined, message, ctx);
}

/** Marks `span` failed with `err`. */
export function failSpan(span: Span, err: unknown): void {
  const e = err instanceof Error ? err : new Error(String(err));
  span.recordException(e);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
}

/**
 * Runs `work` inside a span child of `parent`, ending it when `work` settles; `work` gets the span to add attributes
 * (undefined while tracing is off or without a parent: then nothing is made).
 */
export async function inSpan<T>(name: string, kind: SpanKind, attributes: () => Attributes, parent: Context | undefined, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!parent) return work(undefined);
  const tracer = activeTracer();
  if (!tracer) return work(undefined);
  const span = tracer.startSpan(name, { kind, attributes: attributes() }, parent);
  try {
    return await work(span);
  } catch (err) {
    failSpan(span, err);
    throw err;
  } finally {
    span.end();
  }
}
