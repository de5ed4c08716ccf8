import type { BaseIssue } from "valibot";

// The codes live here, beside the classes that carry them, because this module imports nothing local;
// natter/protocol re-exports ERROR_CODES as the wire contract. Two tables, one union: a code is written once.

/** Codes the protocol defines: an agent answers a failed request or message with one (`Natter-Error-Code`, `metadata.error.code`). */
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
  /** A sealed message or request the receiver could not open (wrong key, tampered, or no key): never handled. */
  sealedUnreadable: "sealed_unreadable",
} as const;

/**
 * Codes of failures inside one process: input, connection, storage, the console, the model. They reach the wire
 * only when a handler lets one rise, so a receiver must accept codes it does not know.
 */
export const LOCAL_ERROR_CODES = {
  /** A natter error thrown without a code: a bug or a misuse of the API. */
  internal: "internal",
  config: "config",
  usage: "usage",
  unavailable: "unavailable",
  timeout: "timeout",
  /** A stored message, stream, bucket or question that is not there. */
  missing: "not_found",
  notConnected: "not_connected",
  notInstalled: "not_installed",
  connectFailed: "connect_failed",
  authFailed: "auth_failed",
  tlsFailed: "tls_failed",
  jetstreamDisabled: "jetstream_disabled",
  noStream: "no_stream",
  streamFull: "stream_full",
  permissionDenied: "permission_denied",
  publishFailed: "publish_failed",
  badFilter: "bad_filter",
  /** An answer whose body is not a valid envelope. */
  badResponse: "bad_response",
  /** Sealing is on, and the recipient publishes no verified curve key to seal to (no silent downgrade to clear). */
  recipientHasNoSealKey: "recipient_has_no_seal_key",
  /** The recipient's curve key is not the one first seen (a registry key swap?), or it has several. */
  sealKeyChanged: "seal_key_changed",
  llmUnavailable: "llm_unavailable",
  llmUnknownModel: "llm_unknown_model",
  llmTimeout: "llm_timeout",
  llmRateLimited: "llm_rate_limited",
  llmServerError: "llm_server_error",
  llmRejected: "llm_rejected",
} as const;

/** Every code a {@link NatterError} can carry. */
export type ErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES] | (typeof LOCAL_ERROR_CODES)[keyof typeof LOCAL_ERROR_CODES];

const KNOWN_CODES: ReadonlySet<string> = new Set([...Object.values(ERROR_CODES), ...Object.values(LOCAL_ERROR_CODES)]);

/** Whether `value` (say, a code a peer sent) is one natter knows. */
export function isErrorCode(value: string): value is ErrorCode {
  return KNOWN_CODES.has(value);
}

/** Base class of every error natter throws; `name` is the subclass name. */
export class NatterError extends Error {
  /** A stable machine-readable code, also used on the wire. */
  readonly code: ErrorCode;
  constructor(message: string, code: ErrorCode = LOCAL_ERROR_CODES.internal, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad configuration: fix the named variable or flag. */
export class ConfigError extends NatterError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, LOCAL_ERROR_CODES.config, options);
  }
}

/** A message or argument that failed validation; keeps the valibot issues. */
export class ValidationError extends NatterError {
  /** Every problem valibot found, with its path into the input. */
  readonly issues: readonly BaseIssue<unknown>[];
  constructor(message: string, issues: readonly BaseIssue<unknown>[] = [], options?: ErrorOptions) {
    super(message, ERROR_CODES.badRequest, options);
    this.issues = issues;
  }
}

/** The peer is not running: nobody listens on its request subject. */
export class AgentUnavailableError extends NatterError {
  /** The agent asked for. */
  readonly agent: string;
  constructor(agent: string, options?: ErrorOptions) {
    super(`agent "${agent}" is not available: no instance is serving requests`, LOCAL_ERROR_CODES.unavailable, options);
    this.agent = agent;
  }
}

/** No live agent declares the capability asked for. */
export class NoAgentWithCapabilityError extends AgentUnavailableError {
  /** The capability asked for. */
  readonly capability: string;
  constructor(capability: string) {
    super(`capability:${capability}`);
    this.message = `no live agent has the capability "${capability}"`;
    this.capability = capability;
  }
}

/** The peer did not answer in time. */
export class RequestTimeoutError extends NatterError {
  /** The agent that did not answer. */
  readonly agent: string;
  /** How long the caller waited. */
  readonly timeoutMs: number;
  constructor(agent: string, timeoutMs: number, options?: ErrorOptions) {
    super(`request to agent "${agent}" timed out after ${timeoutMs} ms`, LOCAL_ERROR_CODES.timeout, options);
    this.agent = agent;
    this.timeoutMs = timeoutMs;
  }
}

/** The peer's handler failed; `code` is what the peer reported, or {@link ERROR_CODES.handler} when natter does not know it. */
export class RemoteError extends NatterError {
  /** The agent whose handler failed. */
  readonly agent: string;
  /** The code exactly as the peer sent it, known to natter or not. */
  readonly peerCode: string;
  constructor(agent: string, message: string, peerCode: string = ERROR_CODES.handler, options?: ErrorOptions) {
    super(`agent "${agent}" failed: ${message}`, isErrorCode(peerCode) ? peerCode : ERROR_CODES.handler, options);
    this.agent = agent;
    this.peerCode = peerCode;
  }
}

/** An answer that failed its signature check (NATTER_VERIFY=enforce), so it was not believed; `reason` says why. */
export class UnverifiedResponseError extends NatterError {
  /** The agent the answer claimed to come from. */
  readonly agent: string;
  /** Why the signature check failed. */
  readonly reason: string;
  constructor(agent: string, reason: string, options?: ErrorOptions) {
    super(`the answer from agent "${agent}" was refused: ${reason}`, ERROR_CODES.unverified, options);
    this.agent = agent;
    this.reason = reason;
  }
}

/** A message larger than the configured maximum; nothing was sent. */
export class MessageTooLargeError extends NatterError {
  /** Size of the encoded message. */
  readonly bytes: number;
  /** The limit it broke (NATTER_MAX_MESSAGE_BYTES). */
  readonly maxBytes: number;
  /** `what` names the message in the text: `message` unless told, e.g. `response`. */
  constructor(bytes: number, maxBytes: number, what = "message") {
    super(`${what} is ${bytes} bytes, over the ${maxBytes}-byte limit (NATTER_MAX_MESSAGE_BYTES)`, ERROR_CODES.tooLarge);
    this.bytes = bytes;
    this.maxBytes = maxBytes;
  }
}

/** Work was abandoned because its signal fired (shutdown, deadline or cancel). */
export class AbortedError extends NatterError {
  constructor(message: string = ERROR_CODES.aborted, options?: ErrorOptions) {
    super(message, ERROR_CODES.aborted, options);
  }
}

/** Turns anything thrown into an Error, keeping Errors as they are. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === "string" ? thrown : JSON.stringify(thrown));
}
