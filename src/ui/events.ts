// What the console's server sends the page and what the page posts back.
// Type-only: the front end (src/ui/web) imports these, so nothing here may touch Node.

/** Presence of an agent as the console shows it; `offline` also covers instances whose heartbeat is too old. */
export type UiStatus = "available" | "busy" | "offline";

/** One agent instance row. */
export interface UiInstance {
  instanceId: string;
  status: UiStatus;
  /** ISO time of its last registry write. */
  lastHeartbeat: string;
  load: number;
  handled: number;
  host: string;
}

/** One agent with its instances, as sent in `agents` updates. */
export interface UiAgent {
  name: string;
  description: string;
  capabilities: string[];
  /** `available` if any instance is, else `busy` if any is, else `offline`. */
  status: UiStatus;
  /** Messages handled over all instances since they started. */
  handled: number;
  /** Of those, handlers that failed (0 from instances of versions that do not say). */
  failed: number;
  /** Milliseconds handlers ran over all instances: busyMs / handled is the mean handler time. */
  busyMs: number;
  /** Handlers running now over the live instances. */
  slotsUsed: number;
  /** Handler slots of the live instances (0 when none says its concurrency). */
  slots: number;
  /** Mailbox messages not yet delivered, sampled every few seconds; absent before the first sample. */
  backlog?: number;
  /** Newest heartbeat over all instances (ISO time). */
  lastHeartbeat: string;
  instances: UiInstance[];
}

/** Where a message travelled (the kind of its subject). */
export type UiChannel = "all" | "direct" | "handoff" | "deadLetter" | "request" | "response" | "progress" | "cancel" | "group" | "other";

/** One message in the live feed: a summary; the full envelope is fetched on demand. */
export interface UiMessage {
  /** Envelope id (or a generated key for an invalid payload). */
  id: string;
  /** Stream sequence; absent for core requests and responses, which are not stored. */
  seq?: number;
  subject: string;
  channel: UiChannel;
  type: string;
  from: string;
  to?: string;
  /** `threadId`, or the id of the message that started the conversation. */
  thread: string;
  inReplyTo?: string;
  /** ISO time the envelope was created. */
  timestamp: string;
  /** First characters of the content. */
  preview: string;
  /** A failed response or a dead letter: why. */
  error?: string;
}

/** One edge of the who-talks-to-whom graph over the window. */
export interface UiEdge {
  from: string;
  to: string;
  count: number;
  /** Handoffs among them: the chain a person wants to see. */
  handoffs: number;
}

/** Something waiting for the person: a request (answer is the response) or a mailbox message (answer is the completion notice). */
export interface UiQuestion {
  /** Envelope id of the request or message. */
  id: string;
  type: string;
  from: string;
  thread: string;
  content: string;
  /** ISO time it arrived. */
  receivedAt: string;
  /** True when it was delivered before (the console restarted while it waited). */
  redelivered: boolean;
}

/** A notice to the person: a completion notice or response that reached the human's mailbox. */
export interface UiNotice {
  id: string;
  from: string;
  thread: string;
  content: string;
  timestamp: string;
}

/** First event of every stream: the state so far. */
export interface UiSnapshot {
  /** Name the console speaks as, or undefined when it does not join. */
  human: string | undefined;
  /** After this many ms without a heartbeat an instance is shown offline. */
  staleAfterMs: number;
  maxMessageBytes: number;
  agents: UiAgent[];
  messages: UiMessage[];
  edges: UiEdge[];
  /** Width of the graph window in ms. */
  edgeWindowMs: number;
  questions: UiQuestion[];
}

/** One batch of changes, sent every flush interval. */
export interface UiBatch {
  /** Agents that changed, whole. */
  agents: UiAgent[];
  /** Names of agents gone from the registry. */
  removed: string[];
  messages: UiMessage[];
  /** Messages left out of this batch because the flow was over the per-batch cap. */
  skipped: number;
  /** The whole edge list when it changed, else undefined. */
  edges: UiEdge[] | undefined;
  questions: UiQuestion[];
  /** Ids of questions answered or gone. */
  answered: string[];
  notices: UiNotice[];
}

/** A conversation as the thread view shows it. */
export interface UiThreadNode {
  message: UiMessage;
  replies: UiThreadNode[];
}

/** GET /api/threads/:id */
export interface UiThread {
  thread: string;
  roots: UiThreadNode[];
  /** Messages found. */
  count: number;
}

/** Every error the API returns. */
export interface UiError {
  error: string;
  /** The field at fault, when one is. */
  field?: string;
}
