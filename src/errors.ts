import type { BaseIssue } from "valibot";

/** Base class of every error natter throws; `name` is the subclass name. */
export class NatterError extends Error {
  /** A stable machine-readable code, also used on the wire. */
  readonly code: string;
  constructor(message: string, code = "internal", options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Bad configuration: fix the named variable or flag. */
export class ConfigError extends NatterError {
  constructor(message: string, options?: ErrorOptions) {
    super(message, "config", options);
  }
}

/** A message or argument that failed validation; keeps the valibot issues. */
export class ValidationError extends NatterError {
  /** Every problem valibot found, with its path into the input. */
  readonly issues: readonly BaseIssue<unknown>[];
  constructor(message: string, issues: readonly BaseIssue<unknown>[] = [], options?: ErrorOptions) {
    super(message, "bad_request", options);
    this.issues = issues;
  }
}

/** The peer is not running: nobody listens on its request subject. */
export class AgentUnavailableError extends NatterError {
  /** The agent asked for. */
  readonly agent: string;
  constructor(agent: string, options?: ErrorOptions) {
    super(`agent "${agent}" is not available: no instance is serving requests`, "unavailable", options);
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
    super(`request to agent "${agent}" timed out after ${timeoutMs} ms`, "timeout", options);
    this.agent = agent;
    this.timeoutMs = timeoutMs;
  }
}

/** The peer's handler failed; `code` is what the peer reported. */
export class RemoteError extends NatterError {
  /** The agent whose handler failed. */
  readonly agent: string;
  constructor(agent: string, message: string, code = "handler_error", options?: ErrorOptions) {
    super(`agent "${agent}" failed: ${message}`, code, options);
    this.agent = agent;
  }
}

/** An answer that failed its signature check (NATTER_VERIFY=enforce), so it was not believed; `reason` says why. */
export class UnverifiedResponseError extends NatterError {
  /** The agent the answer claimed to come from. */
  readonly agent: string;
  /** Why the signature check failed. */
  readonly reason: string;
  constructor(agent: string, reason: string, options?: ErrorOptions) {
    super(`the answer from agent "${agent}" was refused: ${reason}`, "unverified", options);
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
  constructor(bytes: number, maxBytes: number) {
    super(`message is ${bytes} bytes, over the ${maxBytes}-byte limit (NATTER_MAX_MESSAGE_BYTES)`, "too_large");
    this.bytes = bytes;
    this.maxBytes = maxBytes;
  }
}

/** Work was abandoned because its signal fired (shutdown, deadline or cancel). */
export class AbortedError extends NatterError {
  constructor(message = "aborted", options?: ErrorOptions) {
    super(message, "aborted", options);
  }
}

/** Turns anything thrown into an Error, keeping Errors as they are. */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  return new Error(typeof thrown === "string" ? thrown : JSON.stringify(thrown));
}
