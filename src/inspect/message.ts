import type { MsgHdrs } from "@nats-io/transport-node";
import { decodeEnvelope, type Envelope } from "../protocol/envelope.ts";
import { DEAD_LETTER_HEADERS, HEADERS } from "../protocol/headers.ts";
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
  const parsed = parseSubject(raw.subject);
  const channel: Channel = parsed?.kind ?? "other";
  let recipient: string | undefined;
  if (parsed) {
    if (parsed.kind === "handoff") recipient = parsed.to;
    else if ("agent" in parsed) recipient = parsed.agent;
  }
  let envelope: Envelope | undefined;
  let invalid: string | undefined;
  try {
    envelope = decodeEnvelope(raw.data);
  } catch (err) {
    invalid = raw.data.length === 0 ? "empty payload" : (err as Error).message;
  }
  const h = raw.headers;
  const error = h?.has(HEADERS.error) ? { message: h.get(HEADERS.error), code: h.get(HEADERS.errorCode) || "handler_error" } : undefined;
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

function deadLetterInfo(h: MsgHdrs | undefined): DeadLetterInfo {
  return {
    error: h?.get(DEAD_LETTER_HEADERS.error) ?? "",
    deliveries: Number(h?.get(DEAD_LETTER_HEADERS.deliveries) || 0),
    originalSeq: Number(h?.get(DEAD_LETTER_HEADERS.originalSeq) || 0),
    originalSubject: h?.get(DEAD_LETTER_HEADERS.originalSubject) ?? "",
  };
}
