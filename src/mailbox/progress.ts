import type { MsgHdrs } from "@nats-io/transport-node";
import { DeliverPolicy, type ConsumerMessages, type JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "../logger.ts";
import { decodeEnvelope, type Envelope } from "../protocol/envelope.ts";

/** One stored progress event (or the final answer) of a streamed request. */
export interface ProgressEvent {
  envelope: Envelope;
  /** Stream sequence: pass it as `afterSeq` to resume right after this event. */
  seq: number;
  /** True for the final answer, which ends the stream. */
  final: boolean;
}

/** A message as the stream stored it: its exact bytes, its headers and when it was stored. */
export interface StoredBytes {
  /** Where it was stored: a reader tells copies on one subject apart from the same envelope on another. */
  subject?: string;
  data: Uint8Array;
  headers?: MsgHdrs | undefined;
  time: Date;
}

/** Why to skip a stored message (a failed signature check), or undefined to keep it. */
export type StoredCheck = (envelope: Envelope, msg: StoredBytes) => Promise<string | undefined>;

/** Options of {@link readProgress}. */
export interface ReadProgressOptions {
  /** Resume after this stream sequence (default: from the start). */
  afterSeq?: number;
  signal?: AbortSignal;
  log?: Logger;
  check?: StoredCheck;
}

/**
 * Reads the stored progress of one request in order, from the start or after `afterSeq`,
 * until the final answer. An ordered consumer: nothing durable is created, nothing is acknowledged.
 */
export async function* readProgress(js: JetStreamClient, stream: string, subject: string, options: ReadProgressOptions = {}): AsyncGenerator<ProgressEvent> {
  const consumer = await js.consumers.get(stream, {
    filter_subjects: subject,
    ...(options.afterSeq ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: options.afterSeq + 1 } : { deliver_policy: DeliverPolicy.All }),
  });
  const messages: ConsumerMessages = await consumer.consume({ max_messages: 64 });
  const stop = () => messages.stop();
  options.signal?.addEventListener("abort", stop, { once: true });
  if (options.signal?.aborted) stop();
  try {
    for await (const m of messages) {
      let envelope: Envelope;
      try {
        envelope = decodeEnvelope(m.data);
      } catch (err) {
        options.log?.warn("progress.rejected", { subject, seq: m.seq, reason: (err as Error).message });
        continue;
      }
      const refused = await options.check?.(envelope, m).catch((err: unknown) => `could not be checked: ${(err as Error).message}`);
      if (refused) {
        options.log?.warn("progress.rejected", { subject, seq: m.seq, id: envelope.id, from: envelope.from, reason: refused });
        continue;
      }
      const final = envelope.type === "response";
      yield { envelope, seq: m.seq, final };
      if (final) return;
    }
  } finally {
    options.signal?.removeEventListener("abort", stop);
    messages.stop();
    // nats.js leaves a stopped ordered consumer on the server for its 5-minute inactive threshold: one per streamed
    // request would pile up there. Not awaited: the reader is done either way, and a closed connection cannot delete.
    consumer.delete().catch(() => undefined);
  }
}

/** The last `limit` valid envelopes stored on `subject` that pass `check`, oldest first (an ordered consumer; nothing is acknowledged). */
export async function readHistory(js: JetStreamClient, stream: string, subject: string, limit: number, log?: Logger, check?: StoredCheck): Promise<Envelope[]> {
  const consumer = await js.consumers.get(stream, { filter_subjects: subject, deliver_policy: DeliverPolicy.All });
  const info = await consumer.info(true);
  const out: Envelope[] = [];
  if (info.num_pending === 0) return out;
  const messages = await consumer.consume({ max_messages: 256 });
  for await (const m of messages) {
    try {
      const envelope = decodeEnvelope(m.data);
      const refused = await check?.(envelope, m);
      if (refused) throw new Error(refused);
      out.push(envelope);
      if (out.length > limit) out.shift();
    } catch (err) {
      log?.warn("history.rejected", { subject, seq: m.seq, reason: (err as Error).message });
    }
    if (m.info.pending === 0) break;
  }
  messages.stop();
  return out;
}
