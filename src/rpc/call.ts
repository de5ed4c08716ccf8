import type { Msg, NatsConnection, Subscription } from "@nats-io/transport-node";
import { AbortedError, AgentUnavailableError, NatterError, RemoteError, RequestTimeoutError, ValidationError } from "../errors.ts";
import { decodeEnvelope, encodeEnvelope, type Envelope } from "../protocol/envelope.ts";
import { HEADERS } from "../protocol/headers.ts";
import { requestSubject, responseSubject, responseWildcard } from "../protocol/subjects.ts";
import { checkSize } from "../protocol/size.ts";

interface Pending {
  to: string;
  resolve(env: Envelope): void;
  reject(err: Error): void;
}

/** Options of one {@link Requester.request}. */
export interface CallOptions {
  /** Milliseconds to wait for the answer. */
  timeoutMs: number;
  /** Abandons the wait when it fires. */
  signal?: AbortSignal;
  /** Extra headers (signatures, deadlines). */
  headers?: import("@nats-io/transport-node").MsgHdrs;
}

/**
 * Sends core requests as `self` and routes answers arriving on `agents.response.{self}.{id}`.
 * One wildcard subscription serves every request, opened on first use.
 */
export class Requester {
  #sub: Subscription | undefined;
  readonly #pending = new Map<string, Pending>();

  constructor(
    readonly nc: NatsConnection,
    readonly self: string,
    readonly maxMessageBytes: number,
  ) {}

  /** Sends `request` (type `request`, `to` set) and resolves with the response envelope, or rejects with a typed error. */
  request(request: Envelope, options: CallOptions): Promise<Envelope> {
    const to = request.to;
    if (!to) return Promise.reject(new ValidationError('a request needs "to"'));
    const data = encodeEnvelope(request);
    checkSize(data, this.maxMessageBytes);
    this.#ensureSubscribed();
    const { timeoutMs, signal } = options;
    if (signal?.aborted) return Promise.reject(new AbortedError(`request to "${to}" aborted before sending`, { cause: signal.reason }));
    return new Promise<Envelope>((resolve, reject) => {
      const id = request.id;
      const cleanup = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.#pending.delete(id);
      };
      const onAbort = () => {
        cleanup();
        reject(new AbortedError(`request to "${to}" aborted`, { cause: signal?.reason }));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new RequestTimeoutError(to, timeoutMs));
      }, timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#pending.set(id, {
        to,
        resolve: (env) => (cleanup(), resolve(env)),
        reject: (err) => (cleanup(), reject(err)),
      });
      try {
        this.nc.publish(requestSubject(to), data, { reply: responseSubject(this.self, id), ...(options.headers ? { headers: options.headers } : {}) });
      } catch (err) {
        cleanup();
        reject(err instanceof Error ? err : new Error(String(err)));
      }
    });
  }

  /** Rejects waiting requests and unsubscribes. */
  close(): void {
    this.#sub?.unsubscribe();
    this.#sub = undefined;
    for (const p of this.#pending.values()) p.reject(new AbortedError("requester closed"));
  }

  #ensureSubscribed(): void {
    if (this.#sub && !this.#sub.isClosed()) return;
    this.#sub = this.nc.subscribe(responseWildcard(this.self), { callback: (err, msg) => (err ? undefined : this.#onResponse(msg)) });
  }

  #onResponse(msg: Msg): void {
    const id = msg.subject.slice(msg.subject.lastIndexOf(".") + 1);
    const pending = this.#pending.get(id);
    if (!pending) return;
    const result = interpretResponse(pending.to, msg);
    if (result instanceof Error) pending.reject(result);
    else pending.resolve(result);
  }
}

/** Rebuilds a response or the typed error it carries: the one place callers' errors come from. */
export function interpretResponse(to: string, msg: Msg): Envelope | NatterError {
  const h = msg.headers;
  if (h?.code === 503) return new AgentUnavailableError(to);
  if (h?.has(HEADERS.error)) return new RemoteError(to, h.get(HEADERS.error), h.get(HEADERS.errorCode) || "handler_error");
  try {
    return decodeEnvelope(msg.data);
  } catch (err) {
    return new RemoteError(to, `answered with an invalid envelope: ${(err as Error).message}`, "bad_response", { cause: err });
  }
}
