import { JetStreamError, type JetStreamClient, type PubAck } from "@nats-io/jetstream";
import {
  backoff,
  ClosedConnectionError,
  createInbox,
  delay,
  DrainingConnectionError,
  headers as natsHeaders,
  NoRespondersError,
  PermissionViolationError,
  RequestError,
  TimeoutError,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
} from "@nats-io/transport-node";
import * as v from "valibot";
import { jetStreamApiFailure, jetStreamNotEnabled } from "../transport/nats-errors.ts";

/** How late a timed-out publish may be noticed, in milliseconds: one sweep checks them all. */
const SWEEP_MS = 50;

/** JetStream's answer to a stored publish: the ack, or an API error. */
const PublishReplySchema = v.object({
  error: v.optional(v.object({ code: v.number(), err_code: v.number(), description: v.string() })),
  stream: v.optional(v.string()),
  seq: v.optional(v.number()),
  duplicate: v.optional(v.boolean()),
  domain: v.optional(v.string()),
});

interface Pending {
  readonly subject: string;
  readonly until: number;
  resolve(m: Msg): void;
  reject(err: Error): void;
}

/**
 * Stores `data` on `subject` as the client's `js.publish(subject, data, { msgID, headers, timeout, retries })` does
 * (same headers, retries, backoff, acks and errors), with the replies matched by token under one inbox and timed out
 * by one sweep. The client's request builds an Error with a stack trace to settle every successful request (and a
 * timer and a mux entry), about 7% of the CPU of a host sending direct messages.
 */
export function publishStored(js: JetStreamClient, subject: string, data: Uint8Array, options: { msgID: string; timeoutMs: number; retries: number; headers?: MsgHdrs }): Promise<PubAck> {
  // The client keeps its connection on the JetStream handle; its public type does not list it.
  const nc = (js as JetStreamClient & { nc: NatsConnection }).nc;
  let p = publishers.get(nc);
  if (!p) publishers.set(nc, (p = new StoredPublisher(nc)));
  return p.publish(subject, data, options);
}

class StoredPublisher {
  #prefix: string;
  readonly #waiting = new Map<string, Pending>();
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

  async publish(subject: string, data: Uint8Array, options: { msgID: string; timeoutMs: number; retries: number; headers?: MsgHdrs }): Promise<PubAck> {
    const headers = options.headers ?? natsHeaders();
    headers.set("Nats-Msg-Id", options.msgID);
    const retries = options.retries || 1;
    const bo = backoff();
    let reply: Msg;
    for (let i = 0; ; i++) {
      try {
        reply = await this.#request(subject, data, headers, options.timeoutMs);
        break;
      } catch (err) {
        const noResponders = err instanceof RequestError && err.isNoResponders();
        if ((err instanceof TimeoutError || noResponders) && i + 1 < retries) await delay(bo.backoff(i));
        else throw noResponders ? jetStreamNotEnabled("jetstream is not enabled", { cause: err }) : err;
      }
    }
    return parseAck(reply);
  }

  #request(subject: string, data: Uint8Array, headers: MsgHdrs, timeoutMs: number): Promise<Msg> {
    if (this.nc.isClosed()) return Promise.reject(new ClosedConnectionError());
    if (this.nc.isDraining()) return Promise.reject(new DrainingConnectionError());
    if (!this.#subscribed) this.#subscribe();
    const token = String(++this.#next);
    return new Promise<Msg>((resolve, reject) => {
      this.#waiting.set(token, { subject, resolve, reject, until: Date.now() + timeoutMs });
      this.#sweep ??= setInterval(() => this.#expire(), SWEEP_MS).unref();
      try {
        this.nc.publish(subject, data, { reply: `${this.#prefix}.${token}`, headers });
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
          // The subscription is refused or closed: fail what waits, and subscribe again for the next publish.
          this.#subscribed = false;
          this.#failAll(new RequestError(err.message, { cause: err }));
          return;
        }
        const token = m.subject.slice(this.#prefix.length + 1);
        const w = this.#waiting.get(token);
        if (!w) return;
        this.#waiting.delete(token);
        // A 503 status without a body: nothing serves the subject (no stream captures it, or JetStream is away).
        if (m.data.length === 0 && m.headers?.code === 503) {
          const cause = new NoRespondersError(w.subject);
          w.reject(new RequestError(cause.message, { cause }));
        } else w.resolve(m);
      },
    });
  }

  /** The server refuses a publish with an asynchronous `-ERR`: like the client's mux, fail the first publish to that subject. */
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

const publishers = new WeakMap<NatsConnection, StoredPublisher>();

/** The stored-publish ack from JetStream's answer, or the client's error for it (its `parseJsResponse` and `publish`). */
function parseAck(m: Msg): PubAck {
  const parsed = v.safeParse(PublishReplySchema, JSON.parse(m.string()));
  if (!parsed.success) throw new JetStreamError("invalid ack response");
  const r = parsed.output;
  if (r.error) throw jetStreamApiFailure(r.error);
  if (r.stream === undefined || r.stream === "" || r.seq === undefined) throw new JetStreamError("invalid ack response");
  const ack: PubAck = { stream: r.stream, seq: r.seq, duplicate: r.duplicate ?? false };
  if (r.domain !== undefined) ack.domain = r.domain;
  return ack;
}
