import type { Context, Span } from "@opentelemetry/api";
import { spanContext } from "./spans.ts";

/** Where a handler's context keeps the span of the handler run (absent while tracing is off). */
export const HANDLER_SPAN: unique symbol = Symbol("natter.handlerSpan");

/** Anything that may carry a handler run's span: natter's handler contexts do. */
export interface SpanCarrier {
  readonly [HANDLER_SPAN]?: Span | undefined;
}

/**
 * The OpenTelemetry context of the handler run `ctx` belongs to (its CONSUMER span active), or undefined while tracing
 * is off or outside a handler. Pass it to `context.with()` to make spans of your own children of the handler's.
 */
export function traceContextOf(ctx: object): Context | undefined {
  const span = (ctx as SpanCarrier)[HANDLER_SPAN];
  return span ? spanContext(span) : undefined;
}
