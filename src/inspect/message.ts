import type { MsgHdrs } from "@nats-io/transport-node";
import { decodeEnvelope, type Envelope } from "../protocol/envelope.ts";
import { DEAD_LETTER_HEADERS, ERROR_CODES, HEADERS } from "../protocol/headers.ts";
import { parseSubject } from "../protocol/subjects.ts";
import type { Channel, DeadLetterInfo, InspectedMessage } from "./types.ts";

/** What {@link inspectMessage} needs of a NATS or JetStream message. */
export interface RawMessage {
  subject: string;
  data: Uint8Array;
  headers?: MsgHdrs | undefined;
  seq?: number | undefined;
  time: Date;
}

/** Decodes one message for display; never throws: a bad payload is reported in `invalid`. */
export function inspectMessage(raw: RawMessage): InspectedMessage {
  const { channel, recipient } = subjectInfo(raw.subject);
  let envelope: Envelope | undefined;
  let invalid: string | undefined;
  try {
    envelope = decodeEnvelope(raw.data);
  } catch (err) {
    invalid = raw.data.length === 0 ? "empty payload" : (err as Error).message;
  }
  const h = raw.headers;
  const error = h?.has(HEADERS.error) ? { message: h.get(HEADERS.error), code: h.get(HEADERS.errorCode) || ERROR_CODES.handler } : undefined;
  return {
    seq: raw.seq,
    subject: raw.subject,
    channel,
    recipient,
    time: raw.time,
    envelope,
    invalid,
    deadLetter: channel === "deadLetter" ? deadLetterInfo(h) : undefined,
    error: channel === "deadLetter" ? undefined : error,
  };
}

/** The channel of a subject and the agent it names as recipient. */
export function subjectInfo(subject: string): { channel: Channel; recipient: string | undefined } {
  const parsed = parseSubject(subject);
  if (!parsed) return { channel: "other", recipient: undefined };
  if (parsed.kind === "handoff") return { channel: parsed.kind, recipient: parsed.to };
  return { channel: parsed.kind, recipient: "agent" in parsed ? parsed.agent : undefined };
}

function deadLetterInfo(h: MsgHdrs | undefined): DeadLetterInfo {
  return {
    error: h?.get(DEAD_LETTER_HEADERS.error) ?? "",
    deliveries: Number(h?.get(DEAD_LETTER_HEADERS.deliveries) || 0),
    originalSeq: Number(h?.get(DEAD_LETTER_HEADERS.originalSeq) || 0),
    originalSubject: h?.get(DEAD_LETTER_HEADERS.originalSubject) ?? "",
  };
}
