import type { Envelope, MessageType } from "../protocol/envelope.ts";
import type { AgentInfo } from "../registry/query.ts";

/** Where a message travelled: the kind of its subject (see protocol/subjects.ts), or `other`. */
export type Channel = "all" | "direct" | "handoff" | "deadLetter" | "request" | "response" | "progress" | "cancel" | "group" | "other";

/** Why and how often a dead-lettered message failed, from its `Natter-*` headers. */
export interface DeadLetterInfo {
  /** The handler's last error message. */
  error: string;
  /** Deliveries attempted before giving up. */
  deliveries: number;
  /** Stream sequence of the original message (the one to redeliver). */
  originalSeq: number;
  /** Subject the original was stored on, e.g. `agents.direct.Echo`. */
  originalSubject: string;
}

/** One message seen on the wire or read from the stream. */
export interface InspectedMessage {
  /** Stream sequence; undefined for core requests and responses, which are not stored. */
  seq: number | undefined;
  subject: string;
  channel: Channel;
  /** The agent the subject names as recipient (mailbox owner, dead letter owner, handoff target, request target, requester). */
  recipient: string | undefined;
  /** When the stream stored it, or when it was heard (core messages). */
  time: Date;
  /** The decoded envelope; undefined when the payload is not a valid envelope. */
  envelope: Envelope | undefined;
  /** Why the payload could not be decoded. */
  invalid: string | undefined;
  /** Set on `agents.dlq.*` messages; `envelope` is then the original message. */
  deadLetter: DeadLetterInfo | undefined;
  /** Set on a core response that carries a failure (`Natter-Error` headers). */
  error: { message: string; code: string } | undefined;
}

/**
 * What to show. Every field narrows; all are optional. One field at most becomes the
 * consumer's server-side filter subject (see {@link planFilter}); the rest apply client-side.
 */
export interface MessageFilter {
  /** Sent by or addressed to this agent. */
  agent?: string;
  /** Sent by this agent. */
  from?: string;
  /**
   * Delivered to this agent: its mailbox (with `deadLetters`, its dead letters instead), and in a tail
   * the requests it serves and the responses it gets. Handoff tracking records (copies) are left out.
   */
  to?: string;
  /** Envelope type. */
  type?: MessageType;
  /** Messages of one conversation: its `threadId`, or the id of the message that started it. */
  thread?: string;
  /** A NATS subject, wildcards allowed, e.g. `agents.direct.*`. */
  subject?: string;
  /** Only dead letters (`agents.dlq.*`). */
  deadLetters?: boolean;
  /** Stored at or after this time. */
  since?: Date;
  /** Stored at or before this time. */
  until?: Date;
  /** Start at this stream sequence. */
  fromSeq?: number;
}

/** Progress of a {@link readStream} pass. */
export interface ReadProgress {
  /** Messages the server sent (after its subject filter). */
  scanned: number;
  /** Messages the server had for this pass when it began; 0 when empty. */
  total: number;
  /** Messages that passed every filter. */
  matched: number;
}

/** A node of a conversation tree: a message and what was sent in reply to it. */
export interface ThreadNode {
  message: InspectedMessage;
  replies: ThreadNode[];
}

/** A snapshot of the registry, as a KV watch saw it. */
export interface AgentsSnapshot {
  agents: AgentInfo[];
  /** True once the watch has caught up with the stored entries. */
  complete: boolean;
}
