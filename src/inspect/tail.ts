import { DeliverPolicy } from "@nats-io/jetstream";
import type { Subscription } from "@nats-io/transport-node";
import { SUBJECT_PATTERNS } from "../protocol/subjects.ts";
import type { Bus } from "../transport/bus.ts";
import { isCoreOnlySubject, planFilter } from "./filter.ts";
import { inspectMessage } from "./message.ts";
import { openOrderedConsumer } from "./read.ts";
import type { InspectedMessage, MessageFilter } from "./types.ts";

/** Options of {@link tailTraffic}. */
export interface TailOptions {
  filter?: MessageFilter;
  /** Called for every message that passes the filter, stored or core. */
  onMessage(message: InspectedMessage): void;
  /** Also hear core requests and responses, which are never stored (default true). */
  core?: boolean;
}

/** A running tail. */
export interface Tail {
  stop(): Promise<void>;
  /** Settles when the tail ends: rejects if the stream consumer failed. */
  readonly done: Promise<void>;
}

/**
 * Follows agent traffic live: new stream messages through an ordered consumer (from `filter.since`
 * or `filter.fromSeq` when given, else only new ones) plus core subscriptions on
 * `agents.request.*` and `agents.response.*.*`.
 */
export async function tailTraffic(bus: Bus, options: TailOptions): Promise<Tail> {
  const filter = options.filter ?? {};
  const plan = planFilter(filter);
  // A consumer filtered on a subject the stream does not store is refused by the server.
  const consumer = filter.subject && isCoreOnlySubject(filter.subject) ? undefined : await openOrderedConsumer(bus, filter, plan.filterSubject, DeliverPolicy.New);
  const subs: Subscription[] = [];
  const stopped = new AbortController();
  const emit = (m: InspectedMessage) => {
    if (plan.matches(m)) options.onMessage(m);
  };
  const wantsCore = options.core !== false && !filter.deadLetters && (!filter.type || filter.type === "request" || filter.type === "response");
  if (wantsCore) {
    for (const subject of [SUBJECT_PATTERNS.request, SUBJECT_PATTERNS.response]) {
      subs.push(
        bus.nc.subscribe(subject, {
          callback: (err, msg) => {
            if (!err) emit(inspectMessage({ subject: msg.subject, data: msg.data, headers: msg.headers, time: new Date() }));
          },
        }),
      );
    }
  }
  const messages = await consumer?.consume({ max_messages: 256 });
  const done = messages
    ? (async () => {
        for await (const m of messages) emit(inspectMessage({ subject: m.subject, data: m.data, headers: m.headers, seq: m.seq, time: m.time }));
      })()
    : new Promise<void>((resolve) => stopped.signal.addEventListener("abort", () => resolve(), { once: true }));
  // Core subscriptions must be registered at the server before a caller relies on hearing them.
  await bus.nc.flush();
  return {
    done,
    stop: async () => {
      stopped.abort();
      for (const s of subs) s.unsubscribe();
      await messages?.close().catch(() => undefined);
      await consumer?.delete().catch(() => undefined);
      await done.catch(() => undefined);
    },
  };
}
