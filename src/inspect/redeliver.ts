import { ERROR_CODES, NatterError } from "../errors.ts";
import { publishEnvelope, publishOptions } from "../mailbox/send.ts";
import { createEnvelope, type Envelope } from "../protocol/envelope.ts";
import { assertAgentName } from "../protocol/names.ts";
import { directSubject } from "../protocol/subjects.ts";
import type { Bus } from "../transport/bus.ts";
import { getStoredMessage } from "./read.ts";
import type { InspectedMessage } from "./types.ts";

/** Envelope types that make sense in a mailbox. */
const REDELIVERABLE = new Set(["direct", "handoff", "response"]);

/** A redelivery ready to publish: the stored original and the copy that will be sent. */
export interface Redelivery {
  original: InspectedMessage;
  /** The copy: new id and timestamp, no deadline, `to` = the target, the original's thread, `metadata.replayOf` = the original's sequence. */
  envelope: Envelope;
}

/**
 * Loads the stored message at `seq` (a mailbox message, or a dead letter whose payload is the original)
 * and builds the copy to put into `to`'s mailbox. Throws a NatterError when there is nothing to redeliver.
 */
export async function prepareRedelivery(bus: Bus, seq: number, to: string): Promise<Redelivery> {
  assertAgentName(to, "to");
  const original = await getStoredMessage(bus, seq);
  const e = original.envelope;
  if (!e) throw new NatterError(`message ${seq} on ${original.subject} is not a valid envelope (${original.invalid}); nothing to redeliver`, ERROR_CODES.badRequest);
  if (!REDELIVERABLE.has(e.type)) {
    throw new NatterError(`message ${seq} is a ${e.type}; only direct messages, handoffs and notices (responses) can be redelivered into a mailbox`, ERROR_CODES.badRequest);
  }
  // A stale deadline would abort the re-run at once, so the copy has none.
  const { id: _id, timestamp: _timestamp, deadline: _deadline, ...rest } = e;
  // Same thread as the original, so the re-run shows up in its conversation.
  const envelope = createEnvelope({ ...rest, to, threadId: e.threadId ?? e.id, metadata: { ...e.metadata, replayOf: seq } });
  return { original, envelope };
}

/** Stores a prepared copy in its target's mailbox; returns the copy and its new sequence. */
export async function redeliver(bus: Bus, redelivery: Redelivery): Promise<{ envelope: Envelope; seq: number }> {
  const { envelope } = redelivery;
  const ack = await publishEnvelope(bus.js, directSubject(envelope.to!), envelope, publishOptions(bus.config));
  return { envelope, seq: ack.seq };
}
