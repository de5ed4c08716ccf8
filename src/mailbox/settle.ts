import type { JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

const ACK = new TextEncoder().encode("+ACK");
const WORKING = new TextEncoder().encode("+WPI");

/** Stream sequences finished here, remembered at most per agent: enough to outlast any ack wait at full speed. */
const REMEMBERED_SEQS = 10_000;

/**
 * Sends an acknowledgement and waits until the server confirms it (JetStream's double ack); throws when no
 * confirmation comes within `timeoutMs` (no consumer leader, connection away, reply lost).
 * The client's `JsMsg.ackAck()` is this exchange, but once only: it marks the message settled before sending, so
 * calling it again sends nothing (and `working()` falls silent). A retry across a leader change needs its own request;
 * acking a message already acknowledged is confirmed again and changes nothing.
 */
export async function confirmAck(nc: NatsConnection, msg: JsMsg, timeoutMs: number): Promise<void> {
  const reply = ackSubject(msg);
  if (reply) await nc.request(reply, ACK, { timeout: timeoutMs });
  else if (!(await msg.ackAck({ timeout: timeoutMs }))) throw new Error("acknowledgement not confirmed");
}

/** The subject acks go to: the client's message has it (`reply`), its public type does not say so. */
function ackSubject(msg: JsMsg): string | undefined {
  const reply = (msg as JsMsg & { reply?: unknown }).reply;
  return typeof reply === "string" && reply.length > 0 ? reply : undefined;
}

/** Tells the server a message is still being worked on, so its ack wait starts again; also after an unconfirmed ack. */
export function touch(nc: NatsConnection, msg: JsMsg): void {
  const reply = ackSubject(msg);
  if (!reply) return msg.working();
  try {
    nc.publish(reply, WORKING);
  } catch {
    // Connection closed: nothing to keep alive any more; the message comes back after the ack wait.
  }
}

/** What one host knows of an agent's stored messages by stream sequence: those it holds now, and those it finished. */
export interface SeqMemory<T> {
  /** Held now (queued, running or settling): a redelivered copy joins it instead of running again. */
  readonly held: Map<number, T>;
  /** Finished (acknowledged or terminated): a redelivered copy is acknowledged again without running. */
  readonly finished: BoundedSet;
}

/** A set that forgets its oldest entries past `limit`. */
export class BoundedSet {
  readonly #items = new Set<number>();
  constructor(readonly limit: number) {}
  has(n: number): boolean {
    return this.#items.has(n);
  }
  add(n: number): void {
    this.#items.delete(n);
    this.#items.add(n);
    if (this.#items.size > this.limit) this.#items.delete(this.#items.values().next().value!);
  }
}

/** Memories by connection and agent: instances of one agent in one host share theirs, as a redelivered copy may reach any of them. */
const memories = new WeakMap<NatsConnection, Map<string, SeqMemory<unknown>>>();

/** The memory of `agent`'s mailbox messages shared by its instances on `nc`. */
export function seqMemory<T>(nc: NatsConnection, agent: string): SeqMemory<T> {
  let byAgent = memories.get(nc);
  if (!byAgent) memories.set(nc, (byAgent = new Map()));
  let memory = byAgent.get(agent);
  if (!memory) byAgent.set(agent, (memory = { held: new Map(), finished: new BoundedSet(REMEMBERED_SEQS) }));
  return memory as SeqMemory<T>;
}
