/** NATS headers natter reads and writes. */
export const HEADERS = {
  /** A failed request: the error message. */
  error: "Natter-Error",
  /** A failed request: the error's code, one of {@link ERROR_CODES} (or a code of the process the handler ran in). */
  errorCode: "Natter-Error-Code",
  /** On a request: the requester follows stored progress, so the answer is stored too. */
  stream: "Natter-Stream",
  /** JetStream de-duplication id; natter sets it to the envelope id. */
  msgId: "Nats-Msg-Id",
} as const;

/** W3C trace-context headers, on every natter message while an OpenTelemetry SDK is registered (see docs/observability.md). */
export const TRACE_HEADERS = {
  /** `00-{trace id}-{span id}-{flags}`: the span that sent the message (an answer: the span that handled the request). */
  traceparent: "traceparent",
  /** Vendor trace state, passed on as received. */
  tracestate: "tracestate",
} as const;

// The codes an agent puts in HEADERS.errorCode: defined with the error classes, which import nothing local.
export { ERROR_CODES } from "../errors.ts";

/** Headers of a dead letter: why and how often the original failed. */
export const DEAD_LETTER_HEADERS = {
  error: HEADERS.error,
  deliveries: "Natter-Deliveries",
  originalSeq: "Natter-Original-Seq",
  originalSubject: "Natter-Original-Subject",
} as const;
