/** NATS headers natter reads and writes. */
export const HEADERS = {
  /** A failed request: the error message. */
  error: "Natter-Error",
  /** A failed request: the error's code (`handler_error`, `bad_request`, `overloaded`, …). */
  errorCode: "Natter-Error-Code",
  /** On a request: the requester follows stored progress, so the answer is stored too. */
  stream: "Natter-Stream",
  /** JetStream de-duplication id; natter sets it to the envelope id. */
  msgId: "Nats-Msg-Id",
} as const;

/** Error codes natter puts in {@link HEADERS.errorCode}. */
export const ERROR_CODES = {
  handler: "handler_error",
  badRequest: "bad_request",
  notFound: "no_handler",
  overloaded: "overloaded",
  aborted: "aborted",
  /** The request's signature check failed (NATTER_VERIFY=enforce). */
  unverified: "unverified",
  /** The sender is over the receiver's NATTER_RATE_LIMIT. */
  rateLimited: "rate_limited",
  /** The message is over the receiver's NATTER_MAX_MESSAGE_BYTES. */
  tooLarge: "too_large",
  cancelled: "cancelled",
  /** The message's `deadline` passed before it was handled (or, for a request, before the handler answered). */
  deadlineExceeded: "deadline_exceeded",
} as const;

/** Headers of a dead letter: why and how often the original failed. */
export const DEAD_LETTER_HEADERS = {
  error: HEADERS.error,
  deliveries: "Natter-Deliveries",
  originalSeq: "Natter-Original-Seq",
  originalSubject: "Natter-Original-Subject",
} as const;
