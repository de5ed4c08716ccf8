import { JetStreamError, type JetStreamClient, type PubAck } from "@nats-io/jetstream";
import {
  backoff,
  ClosedConnectionError,
  delay,
  DrainingConnectionError,
  headers as natsHeaders,
  NoRespondersError,
  RequestError,
  TimeoutError,
  type Msg,
  type MsgHdrs,
  type NatsConnection,
} from "@nats-io/transport-node";
import * as v from "valibot";
import { HEADERS } from "../protocol/headers.ts";
import { jetStreamApiFailure, jetStreamNotEnabled } from "../transport/nats-errors.ts";
import { replies } from "./replies.ts";

/** JetStream's answer to a stored publish: the ack, or an API error. */
const PublishReplySchema = v.object({
  error: v.optional(v.object({ code: v.number(), err_code: v.number(), description: v.string() })),
  stream: v.optional(v.string()),
  seq: v.optional(v.number()),
  duplicate: v.optional(v.boolean()),
  domain: v.optional(v.string()),
});

/**
 * Stores `data` on `subject` as the client's `js.publish(subject, data, { msgID, headers, timeout, retries })` does
 * (same headers, retries, backoff, acks and errors), its acknowledgement awaited through the connection's
 * {@link replies} rather than the client's request, which builds an Error with a stack trace to settle every
 * successful request (and a timer and a mux entry): about 7% of the CPU of a host sending direct messages.
 */
export async function publishStored(js: JetStreamClient, subject: string, data: Uint8Array, options: { msgID: string; timeoutMs: number; retries: number; headers?: MsgHdrs }): Promise<PubAck> {
  // The client keeps its connection on the JetStream handle; its public type does not list it.
  const nc = (js as JetStreamClient & { nc: NatsConnection }).nc;
  const headers = options.headers ?? natsHeaders();
  headers.set(HEADERS.msgId, options.msgID);
  const retries = options.retries || 1;
  const bo = backoff();
  let reply: Msg;
  for (let i = 0; ; i++) {
    try {
      reply = await request(nc, subject, data, headers, options.timeoutMs);
      break;
    } catch (err) {
      const noResponders = err instanceof RequestError && err.isNoResponders();
      if ((err instanceof TimeoutError || noResponders) && i + 1 < retries) await delay(bo.backoff(i));
      else throw noResponders ? jetStreamNotEnabled("jetstream is not enabled", { cause: err }) : err;
    }
  }
  return parseAck(reply);
}

/** One attempt, failing as the client's request does on a closed or draining connection and on "no responders". */
async function request(nc: NatsConnection, subject: string, data: Uint8Array, headers: MsgHdrs, timeoutMs: number): Promise<Msg> {
  if (nc.isClosed()) throw new ClosedConnectionError();
  if (nc.isDraining()) throw new DrainingConnectionError();
  const m = await replies(nc).request(subject, data, timeoutMs, headers);
  // A 503 status without a body: nothing serves the subject (no stream captures it, or JetStream is away).
  if (m.data.length === 0 && m.headers?.code === 503) {
    const cause = new NoRespondersError(subject);
    throw new RequestError(cause.message, { cause });
  }
  return m;
}

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
