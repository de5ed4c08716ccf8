import type { SpanContext } from "@opentelemetry/api";

/** A W3C `traceparent` as read from a message: ids in lower-case hex, flags as a number. */
export interface Traceparent {
  traceId: string;
  spanId: string;
  traceFlags: number;
}

// Version 00 exactly; a later version may append fields after a dash, which this reader ignores (W3C trace-context §4.3).
const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-.*)?$/;
const VERSION_00 = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
const ZERO_TRACE = "00000000000000000000000000000000";
const ZERO_SPAN = "0000000000000000";

/** Reads a `traceparent` header; undefined for anything malformed (a foreign client's header starts a new trace, never an error). */
export function parseTraceparent(value: string | undefined): Traceparent | undefined {
  if (!value || value.length < 55) return undefined;
  // What natter and every current tracer write: checked without captures, then sliced.
  if (value.length === 55 && VERSION_00.test(value)) {
    const traceId = value.slice(3, 35);
    const spanId = value.slice(36, 52);
    if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
    return { traceId, spanId, traceFlags: parseInt(value.slice(53), 16) };
  }
  const m = TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [, version, traceId, spanId, flags, rest] = m as unknown as [string, string, string, string, string, string | undefined];
  // "ff" is forbidden; version 00 has nothing after the flags.
  if (version === "ff" || (version === "00" && rest !== undefined)) return undefined;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & 0xff };
}

/** The `traceparent` header of a span (version 00). */
export function formatTraceparent(span: Pick<SpanContext, "traceId" | "spanId" | "traceFlags">): string {
  const flags = span.traceFlags & 0xff;
  return `00-${span.traceId}-${span.spanId}-${flags < 16 ? "0" : ""}${flags.toString(16)}`;
}
