import { readFileSync } from "node:fs";
import { DeliverPolicy } from "@nats-io/jetstream";
import { directSubject } from "../../src/protocol/index.ts";
import { type Client } from "../../src/index.ts";

/** Direct messages sent by {@link sendTraffic}: ids the stream acknowledged, and errors of sends it refused. */
export interface Traffic {
  readonly acked: string[];
  readonly refused: string[];
  /** Resolves once every send has been acknowledged or refused. */
  readonly done: Promise<void>;
}

/** Sends `total` direct messages (`content(i)`, default `sleep:{i % 20}`) to `to` from `senders` loops, each awaiting its acknowledgement: traffic that spans a fault. */
export function sendTraffic(client: Client, to: string, total: number, senders: number, content = (i: number) => `sleep:${i % 20}`): Traffic {
  const acked: string[] = [];
  const refused: string[] = [];
  let issued = 0;
  const sender = async () => {
    while (issued < total) {
      const i = issued++;
      await client.sendDirectMessage(to, content(i)).then(
        (s) => void acked.push(s.envelope.id),
        (err: Error) => void refused.push(err.message),
      );
    }
  };
  return { acked, refused, done: Promise.all(Array.from({ length: senders }, sender)).then(() => undefined) };
}

/** Waits until `traffic` has `count` acknowledged sends, or every send is settled. */
export async function ackedAtLeast(traffic: Traffic, count: number, total: number): Promise<void> {
  while (traffic.acked.length < count && traffic.acked.length + traffic.refused.length < total) await new Promise((r) => setTimeout(r, 2));
}

/**
 * Ids the agents finished, read from the completion notices stored in `client`'s mailbox (durable, de-duplicated
 * by original id, unlike core NATS test events), waiting up to `timeoutMs` until `want` are there.
 */
export async function completionNotices(client: Client, stream: string, want: number, timeoutMs: number): Promise<Set<string>> {
  const done = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  const consumer = await client.bus.js.consumers.get(stream, { filter_subjects: directSubject(client.name), deliver_policy: DeliverPolicy.All });
  while (done.size < want && Date.now() < deadline) {
    const batch = await consumer.fetch({ max_messages: 500, expires: 2000 });
    for await (const m of batch) {
      const notice = m.json<{ inReplyTo?: string }>();
      if (notice.inReplyTo) done.add(notice.inReplyTo);
    }
  }
  return done;
}

/** Handler runs per message id, from a worker's WORKER_RUNS_FILE: how many times each started and finished. */
export function readRuns(file: string): Map<string, { starts: number; ends: number }> {
  const runs = new Map<string, { starts: number; ends: number }>();
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return runs;
  }
  for (const line of text.split("\n")) {
    const [event, id] = line.split(" ");
    if (!id) continue;
    const r = runs.get(id) ?? { starts: 0, ends: 0 };
    if (event === "start") r.starts++;
    if (event === "done") r.ends++;
    runs.set(id, r);
  }
  return runs;
}
