import type { Msg, MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import { AbortedError, AgentUnavailableError, LOCAL_ERROR_CODES, NatterError, RemoteError, RequestTimeoutError, UnverifiedResponseError, ValidationError } from "../errors.ts";
import { decodeEnvelope, encodeEnvelope, type Envelope } from "../protocol/envelope.ts";
import { ERROR_CODES, HEADERS } from "../protocol/headers.ts";
import { requestSubject, responseSubject, responseWildcard } from "../protocol/subjects.ts";
import { checkSize } from "../protocol/size.ts";

interface Pending {
  to: string;
  subject: string;
  reply: string;
  data: Uint8Array;
  options: CallOptions;
  deadline: number;
  /** The request went sealed: its answer must come sealed too, and is opened before the caller sees it. */
  sealed: boolean;
  resolve(env: Envelope): void;
  reject(err: Error): void;
}

/** After a reconnect, "no responders" may only mean the agent has not reconnected yet; retry for this long. */
const RECONNECT_GRACE_MS = 5000;
/** Pause between such retries. */
const RETRY_PAUSE_MS = 200;

/**
 * Checks an answer before it is believed: why to refuse it, or undefined to accept it. `answer` is the decoded
 * body (undefined when it is not an envelope); `request` is what was asked, of whom.
 */
export type AnswerCheck = (answer: Envelope | undefined, msg: Msg, request: { id: string; to: string }) => Promise<string | undefined>;

/** Options of one {@link Requester.request}. */
export interface CallOptions {
  /** Milliseconds to wait for the answer. */
  timeoutMs: number;
  /** Abandons the wait when it fires. */
  signal?: AbortSignal;
  /** `signal` lives as long as the requester (the agent's own stop signal): its listener is kept for later requests. */
  signalLasts?: boolean;
  /** Extra headers (signatures, deadlines). */
  headers?: MsgHdrs;
}

/** The requests waiting on one signal, and the listener that rejects them when it fires. */
interface SignalWatch {
  readonly waiting: Set<Pending>;
  readonly listener: () => void;
  readonly lasting: boolean;
}

/**
 * Sends core requests as `self` and routes answers arriving on `agents.response.{self}.{id}`.
 * One wildcard subscription serves every request, opened on first use.
 */
export class Requester {
  #sub: Subscription | undefined;
  /** Requests waiting for their answer, by id; made by the first request. */
  #pending: Map<string, Pending> | undefined;
  /** Requests waiting, by the signal that abandons them (see #watch); made by the first request with a signal. */
  #bySignal: WeakMap<AbortSignal, SignalWatch> | undefined;
  #lastReconnect = Number.NEGATIVE_INFINITY;
  #status: AsyncIterator<unknown> | undefined;

  /**
   * @param sign signs each request's exact bytes and returns the headers to send (signing off when absent)
   * @param check checks each answer's signature; a refused answer fails the call with UnverifiedResponseError
   */
  constructor(
    readonly nc: NatsConnection,
    readonly self: string,
    readonly maxMessageBytes: number,
    readonly sign?: (data: Uint8Array, headers?: MsgHdrs) => MsgHdrs,
    readonly check?: AnswerCheck,
  ) {}

  /**
   * Opens a sealed answer (throwing a NatterError when it cannot); set by an owner that seals. A sealed request's
   * answer that comes in clear, or that cannot be opened, fails the call with `sealed_unreadable`.
   */
  open?: (answer: Envelope) => Envelope;

  /** Sends `request` (type `request`, `to` set) and resolves with the response envelope, or rejects with a typed error. */
  request(request: Envelope, options: CallOptions): Promise<Envelope> {
    const to = request.to;
    if (!to) return Promise.reject(new ValidationError('a request needs "to"'));
    const data = encodeEnvelope(request);
    checkSize(data, this.maxMessageBytes);
    this.#ensureSubscribed();
    const { timeoutMs, signal } = options;
    const headers = this.sign ? this.sign(data, options.headers) : options.headers;
    if (signal?.aborted) return Promise.reject(new AbortedError(`request to "${to}" aborted before sending`, { cause: signal.reason }));
    const waiting = (this.#pending ??= new Map());
    return new Promise<Envelope>((resolve, reject) => {
      const id = request.id;
      const cleanup = () => {
        clearTimeout(timer);
        if (signal) this.#unwatch(signal, pending);
        waiting.delete(id);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new RequestTimeoutError(to, timeoutMs));
      }, timeoutMs);
      const pending: Pending = {
        to,
        subject: requestSubject(to),
        reply: responseSubject(this.self, id),
        data,
        options: headers ? { ...options, headers } : options,
        deadline: Date.now() + timeoutMs,
        sealed: request.sealed !== undefined,
        resolve: (env) => (cleanup(), resolve(env)),
        reject: (err) => (cleanup(), reject(err)),
      };
      if (signal) this.#watch(signal, pending, options.signalLasts === true);
      waiting.set(id, pending);
      this.#send(pending);
    });
  }

  /**
   * Rejects `pending` when `signal` fires: one listener per signal while requests wait on it. A signal that lasts as
   * long as the requester (the agent's or client's own stop signal, which most requests carry) keeps its listener, so
   * back-to-back requests do not add and remove one each; any other (a handler's, the caller's own) loses it when its
   * last request settles, so the signal is not kept alive by the requester.
   */
  #watch(signal: AbortSignal, pending: Pending, lasting: boolean): void {
    const bySignal = (this.#bySignal ??= new WeakMap());
    let watch = bySignal.get(signal);
    if (!watch) {
      const waiting = new Set<Pending>();
      const listener = () => {
        bySignal.delete(signal);
        for (const p of waiting) p.reject(new AbortedError(`request to "${p.to}" aborted`, { cause: signal.reason }));
      };
      watch = { waiting, listener, lasting };
      bySignal.set(signal, watch);
      signal.addEventListener("abort", listener, { once: true });
    }
    watch.waiting.add(pending);
  }

  #unwatch(signal: AbortSignal, pending: Pending): void {
    const watch = this.#bySignal?.get(signal);
    if (!watch) return;
    watch.waiting.delete(pending);
    if (watch.waiting.size > 0 || watch.lasting) return;
    signal.removeEventListener("abort", watch.listener);
    this.#bySignal!.delete(signal);
  }

  #send(p: Pending): void {
    try {
      this.nc.publish(p.subject, p.data, { reply: p.reply, ...(p.options.headers ? { headers: p.options.headers } : {}) });
    } catch (err) {
      p.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * A request published while the connection was down may have reached the server before the
   * responder (or our own response subscription) came back, and core NATS keeps nothing: send
   * what is still unanswered again, under the same id, so the first answer wins.
   */
  #resendPending(): void {
    this.#lastReconnect = Date.now();
    for (const p of this.#pending?.values() ?? []) this.#send(p);
  }

  #watchReconnects(): void {
    if (this.#status) return;
    const status = this.nc.status()[Symbol.asyncIterator]();
    this.#status = status;
    void (async () => {
      for (let next = await status.next(); !next.done; next = await status.next()) {
        if (next.value.type === "reconnect") this.#resendPending();
      }
    })();
  }

  /** Rejects waiting requests and unsubscribes. */
  close(): void {
    this.#sub?.unsubscribe();
    this.#sub = undefined;
    void this.#status?.return?.();
    for (const p of this.#pending?.values() ?? []) p.reject(new AbortedError("requester closed"));
  }

  #ensureSubscribed(): void {
    if (this.#sub && !this.#sub.isClosed()) return;
    this.#watchReconnects();
    this.#sub = this.nc.subscribe(responseWildcard(this.self), { callback: (err, msg) => (err ? undefined : void this.#onResponse(msg)) });
  }

  async #onResponse(msg: Msg): Promise<void> {
    const id = msg.subject.slice(msg.subject.lastIndexOf(".") + 1);
    const pending = this.#pending?.get(id);
    if (!pending) return;
    const result = interpretResponse(pending.to, msg);
    if (result instanceof AgentUnavailableError && Date.now() - this.#lastReconnect < RECONNECT_GRACE_MS && pending.deadline - Date.now() > RETRY_PAUSE_MS) {
      // Just after a reconnect the agent may not have resubscribed yet.
      setTimeout(() => this.#pending?.has(id) && this.#send(pending), RETRY_PAUSE_MS);
      return;
    }
    // "No responders" comes from the server, which signs nothing.
    if (this.check && !(result instanceof AgentUnavailableError)) {
      const refused = await this.#refusal(result, msg, { id, to: pending.to });
      if (this.#pending?.get(id) !== pending) return;
      if (refused) return pending.reject(refused);
    }
    if (result instanceof Error) pending.reject(result);
    else if (result.sealed === undefined && !pending.sealed) pending.resolve(result);
    else this.#resolveSealed(pending, result);
  }

  #resolveSealed(pending: Pending, answer: Envelope): void {
    if (!answer.sealed) return pending.reject(new NatterError(`"${pending.to}" answered a sealed request in clear; refused`, ERROR_CODES.sealedUnreadable));
    if (!this.open) return pending.reject(new NatterError(`"${pending.to}" answered sealed, and this requester has no key to open it`, ERROR_CODES.sealedUnreadable));
    let opened: Envelope;
    try {
      opened = this.open(answer);
    } catch (err) {
      return pending.reject(err instanceof NatterError ? err : new NatterError((err as Error).message, ERROR_CODES.sealedUnreadable, { cause: err }));
    }
    pending.resolve(opened);
  }

  async #refusal(result: Envelope | NatterError, msg: Msg, request: { id: string; to: string }): Promise<UnverifiedResponseError | undefined> {
    let answer: Envelope | undefined;
    try {
      answer = result instanceof Error ? decodeEnvelope(msg.data) : result;
    } catch {
      answer = undefined;
    }
    try {
      const refused = await this.check!(answer, msg, request);
      return refused === undefined ? undefined : new UnverifiedResponseError(request.to, refused);
    } catch (cause) {
      return new UnverifiedResponseError(request.to, `its signature could not be checked: ${(cause as Error).message}`, { cause });
    }
  }
}

/** Rebuilds a response or the typed error it carries: the one place callers' errors come from. */
export function interpretResponse(to: string, msg: Msg): Envelope | NatterError {
  const h = msg.headers;
  if (h?.code === 503) return new AgentUnavailableError(to);
  if (h?.has(HEADERS.error)) return new RemoteError(to, h.get(HEADERS.error), h.get(HEADERS.errorCode) || ERROR_CODES.handler);
  try {
    return decodeEnvelope(msg.data);
  } catch (err) {
    return new RemoteError(to, `answered with an invalid envelope: ${(err as Error).message}`, LOCAL_ERROR_CODES.badResponse, { cause: err });
  }
}
