import { createInbox, PermissionViolationError, RequestError, TimeoutError, type Msg, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";

/** How late a timed-out request may be noticed, in milliseconds: one sweep checks them all. */
const SWEEP_MS = 50;

interface Waiting {
  readonly subject: string;
  readonly until: number;
  resolve(m: Msg): void;
  reject(err: Error): void;
}

/**
 * Requests whose replies come to one subscription under the connection's own inbox, matched by token and timed out
 * by one sweep: what the client's `request` does, without the Error with a stack trace it builds to settle every
 * successful request, its timer and its mux entry. Confirmed acknowledgements and stored publishes share it.
 */
export class Replies {
  readonly #prefix: string;
  readonly #waiting = new Map<string, Waiting>();
  #next = 0;
  #subscribed = false;
  #sweep: NodeJS.Timeout | undefined;

  constructor(readonly nc: NatsConnection) {
    // Under the connection's own inbox prefix: an agent's permissions allow only that one (src/security/permissions.ts).
    // The client keeps its options on the connection; its public type does not list them.
    const prefix = (nc as NatsConnection & { options?: { inboxPrefix?: unknown } }).options?.inboxPrefix;
    this.#prefix = createInbox(typeof prefix === "string" && prefix ? prefix : undefined);
    void this.#watchRefusals();
    void nc.closed().then(() => this.#failAll(new RequestError("connection closed")));
  }

  /**
   * Publishes `data` to `subject` with a reply subject of its own and resolves with the reply, whatever it is (a status
   * reply too: the caller reads it); rejects with a TimeoutError after `timeoutMs`, or with what the publish threw.
   */
  request(subject: string, data: Uint8Array, timeoutMs: number, headers?: MsgHdrs): Promise<Msg> {
    if (!this.#subscribed) this.#subscribe();
    const token = String(++this.#next);
    return new Promise<Msg>((resolve, reject) => {
      this.#waiting.set(token, { subject, resolve, reject, until: Date.now() + timeoutMs });
      this.#sweep ??= setInterval(() => this.#expire(), SWEEP_MS).unref();
      try {
        this.nc.publish(subject, data, { reply: `${this.#prefix}.${token}`, ...(headers ? { headers } : {}) });
      } catch (err) {
        this.#waiting.delete(token);
        reject(err as Error);
      }
    });
  }

  #subscribe(): void {
    this.#subscribed = true;
    this.nc.subscribe(`${this.#prefix}.*`, {
      callback: (err, m) => {
        if (err) {
          // The subscription is refused or closed: fail what waits, and subscribe again for the next request.
          this.#subscribed = false;
          this.#failAll(new RequestError(err.message, { cause: err }));
          return;
        }
        const token = m.subject.slice(this.#prefix.length + 1);
        const w = this.#waiting.get(token);
        if (!w) return;
        this.#waiting.delete(token);
        w.resolve(m);
      },
    });
  }

  /** The server refuses a publish with an asynchronous `-ERR`: like the client's mux, fail the first request to that subject. */
  async #watchRefusals(): Promise<void> {
    for await (const s of this.nc.status()) {
      if (s.type !== "error" || !(s.error instanceof PermissionViolationError) || s.error.operation !== "publish") continue;
      for (const [token, w] of this.#waiting) {
        if (w.subject !== s.error.subject) continue;
        this.#waiting.delete(token);
        w.reject(new RequestError(s.error.message, { cause: s.error }));
        break;
      }
    }
  }

  #expire(): void {
    const now = Date.now();
    for (const [token, w] of this.#waiting) {
      if (w.until > now) continue;
      this.#waiting.delete(token);
      w.reject(new TimeoutError());
    }
    this.#stopSweepIfIdle();
  }

  #failAll(err: Error): void {
    for (const w of this.#waiting.values()) w.reject(err);
    this.#waiting.clear();
    this.#stopSweepIfIdle();
  }

  #stopSweepIfIdle(): void {
    if (this.#waiting.size > 0) return;
    clearInterval(this.#sweep);
    this.#sweep = undefined;
  }
}

const byConnection = new WeakMap<NatsConnection, Replies>();

/** The connection's {@link Replies}, made on first use. */
export function replies(nc: NatsConnection): Replies {
  let r = byConnection.get(nc);
  if (!r) byConnection.set(nc, (r = new Replies(nc)));
  return r;
}
