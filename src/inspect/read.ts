import { DeliverPolicy, JetStreamApiCodes, JetStreamApiError, type Consumer, type OrderedConsumerOptions } from "@nats-io/jetstream";
import type { StoredCheck } from "../mailbox/progress.ts";
import { LOCAL_ERROR_CODES, NatterError } from "../errors.ts";
import type { Bus } from "../transport/bus.ts";
import { isCoreOnlySubject, planFilter } from "./filter.ts";
import { inspectMessage } from "./message.ts";
import type { InspectedMessage, MessageFilter, ReadProgress } from "./types.ts";

/** Options of {@link readStream}. */
export interface ReadStreamOptions {
  filter?: MessageFilter;
  /** Called every `progressEvery` scanned messages and once at the end. */
  onProgress?: (progress: ReadProgress) => void;
  /** Scanned messages between progress calls (default 1000). */
  progressEvery?: number;
  /** Stops the pass early. */
  signal?: AbortSignal;
  /** Messages per pull (default 1000). */
  batch?: number;
  /** Checks each matching envelope against its stored bytes and headers (signatures); those it refuses are left out. */
  check?: StoredCheck;
}

/**
 * Reads the stream oldest first through an ordered consumer (ephemeral, in memory, no acks:
 * agents' durable consumers are never touched) and yields the messages that pass `filter`.
 * Ends at the message that was last when the pass began, so a busy stream still ends.
 */
export async function* readStream(bus: Bus, options: ReadStreamOptions = {}): AsyncGenerator<InspectedMessage> {
  const filter = options.filter ?? {};
  const plan = planFilter(filter);
  const stream = bus.config.stream;
  if (filter.subject && isCoreOnlySubject(filter.subject)) {
    throw new NatterError(`${filter.subject}: requests and responses are core NATS and never stored; follow them live with a tail`, LOCAL_ERROR_CODES.badFilter);
  }
  const lastSeq = (await streamInfo(bus)).state.last_seq;
  const consumer = await openOrderedConsumer(bus, filter, plan.filterSubject, DeliverPolicy.All);
  const total = (await consumer.info(true)).num_pending;
  const progress: ReadProgress = { scanned: 0, total, matched: 0 };
  const every = options.progressEvery ?? 1000;
  if (total === 0 || lastSeq === 0) {
    options.onProgress?.(progress);
    await consumer.delete().catch(() => undefined);
    return;
  }
  const messages = await consumer.consume({ max_messages: options.batch ?? 1000 });
  const abort = () => void messages.stop();
  options.signal?.addEventListener("abort", abort, { once: true });
  try {
    for await (const m of messages) {
      // Stored after the pass began (the filtered consumer may skip past lastSeq): not part of this pass.
      if (m.seq > lastSeq) break;
      progress.scanned++;
      if (filter.until && m.time > filter.until) break;
      const raw = { subject: m.subject, data: m.data, headers: m.headers, seq: m.seq, time: m.time };
      if (plan.mayMatch(raw)) {
        const message = inspectMessage(raw);
        if (plan.matches(message) && !(options.check && message.envelope && (await options.check(message.envelope, raw)))) {
          progress.matched++;
          yield message;
        }
      }
      if (progress.scanned % every === 0) options.onProgress?.(progress);
      if (m.info.pending === 0 || m.seq === lastSeq) break;
    }
  } finally {
    options.signal?.removeEventListener("abort", abort);
    await messages.close().catch(() => undefined);
    await consumer.delete().catch(() => undefined);
    options.onProgress?.(progress);
  }
}

/** Reads every matching message into an array; see {@link readStream}. */
export async function collectStream(bus: Bus, options: ReadStreamOptions = {}): Promise<InspectedMessage[]> {
  const out: InspectedMessage[] = [];
  for await (const m of readStream(bus, options)) out.push(m);
  return out;
}

/** The stored message at `seq`; throws a NatterError ({@link LOCAL_ERROR_CODES.missing}) when there is none. */
export async function getStoredMessage(bus: Bus, seq: number): Promise<InspectedMessage> {
  const stream = bus.config.stream;
  try {
    const m = await bus.jsm.streams.getMessage(stream, { seq });
    if (!m) throw new NatterError(`stream ${stream} has no message with sequence ${seq}`, LOCAL_ERROR_CODES.missing);
    return inspectMessage({ subject: m.subject, data: m.data, headers: m.header, seq: m.seq, time: m.time });
  } catch (err) {
    if (err instanceof JetStreamApiError && err.code === JetStreamApiCodes.NoMessageFound) {
      throw new NatterError(`stream ${stream} has no message with sequence ${seq} (deleted, expired or never stored)`, LOCAL_ERROR_CODES.missing, { cause: err });
    }
    throw err;
  }
}

/** The stream's info; a NatterError ({@link LOCAL_ERROR_CODES.missing}) that says so when it does not exist. */
async function streamInfo(bus: Bus) {
  const stream = bus.config.stream;
  try {
    return await bus.jsm.streams.info(stream);
  } catch (err) {
    throw isStreamNotFound(err) ? missingStream(stream, err) : err;
  }
}

/** An ordered consumer for a filter: its one server-side subject, starting at `fromSeq`, `since`, else per `otherwise`. */
export async function openOrderedConsumer(bus: Bus, filter: MessageFilter, filterSubject: string | undefined, otherwise: DeliverPolicy): Promise<Consumer> {
  const stream = bus.config.stream;
  try {
    return await bus.js.consumers.get(stream, consumerOptions(filter, filterSubject, otherwise));
  } catch (err) {
    throw describeConsumerFailure(err, filterSubject, stream);
  }
}

function consumerOptions(filter: MessageFilter, filterSubject: string | undefined, otherwise: DeliverPolicy): Partial<OrderedConsumerOptions> {
  const opts: Partial<OrderedConsumerOptions> = {};
  // One subject only: nats-server 2.9 rejects filter_subjects arrays.
  if (filterSubject) opts.filter_subjects = filterSubject;
  if (filter.fromSeq !== undefined) {
    opts.deliver_policy = DeliverPolicy.StartSequence;
    opts.opt_start_seq = filter.fromSeq;
  } else if (filter.since) {
    opts.opt_start_time = filter.since.toISOString();
  } else {
    opts.deliver_policy = otherwise;
  }
  return opts;
}

function describeConsumerFailure(err: unknown, filterSubject: string | undefined, stream: string): Error {
  if (err instanceof JetStreamApiError && filterSubject && /filter/i.test(err.message)) {
    return new NatterError(`subject ${filterSubject} is not stored in stream ${stream}: ${err.message}`, LOCAL_ERROR_CODES.badFilter, { cause: err });
  }
  if (isStreamNotFound(err)) return missingStream(stream, err);
  return err instanceof Error ? err : new Error(String(err));
}

function missingStream(stream: string, cause: unknown): NatterError {
  return new NatterError(`stream ${stream} does not exist on this server: no natter agent has run against it yet (or NATTER_STREAM names another stream)`, LOCAL_ERROR_CODES.missing, { cause });
}

/** Whether `err` says a stream (or the KV bucket behind one) does not exist. */
export function isStreamNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}
