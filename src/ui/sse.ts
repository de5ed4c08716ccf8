import type { SSEStreamingApi } from "hono/streaming";
import type { Logger } from "../logger.ts";
import type { UiAgent, UiBatch, UiEdge, UiMessage, UiNotice, UiQuestion, UiSnapshot } from "./events.ts";

/** Feed filters of one page; every field narrows. */
export interface FeedFilter {
  /** Sent by or addressed to this agent. */
  agent?: string;
  type?: string;
  thread?: string;
}

/** What the hub reads when it flushes: current agents and edges. */
export interface HubSource {
  agent(name: string): UiAgent | undefined;
  takeEdges(): UiEdge[] | undefined;
}

/** Options of {@link Hub}. */
export interface HubOptions {
  source: HubSource;
  log: Logger;
  /** Time between two batches, in ms; default 150. */
  flushMs?: number;
  /** Most feed messages per page per batch; the rest are counted as skipped. Default 100 (over 600 a second at the default flush). */
  maxMessagesPerBatch?: number;
}

interface Client {
  stream: SSEStreamingApi;
  filter: FeedFilter;
  pending: Pending;
  /** A write is in progress: a slow page gets merged batches, not a growing queue. */
  writing: boolean;
}

/** What one page has not been sent yet. */
interface Pending {
  changed: Set<string>;
  removed: Set<string>;
  messages: UiMessage[];
  skipped: number;
  edges: boolean;
  questions: UiQuestion[];
  answered: string[];
  notices: UiNotice[];
}

const KEEPALIVE_MS = 15_000;
const EDGES_EVERY_MS = 1000;

function emptyPending(): Pending {
  return { changed: new Set(), removed: new Set(), messages: [], skipped: 0, edges: false, questions: [], answered: [], notices: [] };
}

/** Fans changes out to every open page over server-sent events, batched so a busy network stays cheap to watch. */
export class Hub {
  readonly #clients = new Set<Client>();
  readonly #options: HubOptions;
  #edges: UiEdge[] = [];
  #edgesAt = 0;
  #timer: NodeJS.Timeout | undefined;
  #keepAlive: NodeJS.Timeout | undefined;

  constructor(options: HubOptions) {
    this.#options = options;
  }

  start(): void {
    this.#timer = setInterval(() => this.#flush(), this.#options.flushMs ?? 150);
    this.#keepAlive = setInterval(() => this.#ping(), KEEPALIVE_MS);
  }

  stop(): void {
    clearInterval(this.#timer);
    clearInterval(this.#keepAlive);
    for (const c of this.#clients) void c.stream.close();
    this.#clients.clear();
  }

  /** Sends the snapshot, then batches, until the page goes away. */
  async serve(stream: SSEStreamingApi, filter: FeedFilter, snapshot: UiSnapshot): Promise<void> {
    const client: Client = { stream, filter, pending: emptyPending(), writing: true };
    this.#clients.add(client);
    const gone = new Promise<void>((resolve) => stream.onAbort(resolve));
    try {
      await stream.writeSSE({ event: "snapshot", data: JSON.stringify({ ...snapshot, messages: snapshot.messages.filter((m) => matches(m, filter)) }) });
      client.writing = false;
      await gone;
    } finally {
      this.#clients.delete(client);
    }
  }

  agentsChanged(changed: readonly string[], removed: readonly string[]): void {
    for (const c of this.#clients) {
      for (const n of changed) (c.pending.changed.add(n), c.pending.removed.delete(n));
      for (const n of removed) (c.pending.removed.add(n), c.pending.changed.delete(n));
    }
  }

  message(m: UiMessage): void {
    const cap = this.#options.maxMessagesPerBatch ?? 100;
    for (const c of this.#clients) {
      if (!matches(m, c.filter)) continue;
      if (c.pending.messages.length < cap) c.pending.messages.push(m);
      else c.pending.skipped++;
    }
  }

  question(q: UiQuestion): void {
    for (const c of this.#clients) c.pending.questions.push(q);
  }

  answered(id: string): void {
    for (const c of this.#clients) {
      c.pending.questions = c.pending.questions.filter((q) => q.id !== id);
      c.pending.answered.push(id);
    }
  }

  notice(n: UiNotice): void {
    for (const c of this.#clients) c.pending.notices.push(n);
  }

  #flush(): void {
    const { source, log } = this.#options;
    // The graph is redrawn whole: once a second is plenty.
    const now = Date.now();
    const edges = now - this.#edgesAt >= EDGES_EVERY_MS ? source.takeEdges() : undefined;
    if (edges) this.#edgesAt = now;
    if (edges) {
      this.#edges = edges;
      for (const c of this.#clients) c.pending.edges = true;
    }
    const agents = new Map<string, UiAgent | undefined>();
    const agent = (n: string) => (agents.has(n) ? agents.get(n) : (agents.set(n, source.agent(n)), agents.get(n)));
    for (const c of this.#clients) {
      const p = c.pending;
      if (c.writing || isEmpty(p)) continue;
      const batch: UiBatch = {
        agents: [...p.changed].flatMap((n) => agent(n) ?? []),
        removed: [...p.removed],
        messages: p.messages,
        skipped: p.skipped,
        edges: p.edges ? this.#edges : undefined,
        questions: p.questions,
        answered: p.answered,
        notices: p.notices,
      };
      c.pending = emptyPending();
      c.writing = true;
      c.stream
        .writeSSE({ event: "batch", data: JSON.stringify(batch) })
        .catch((err: unknown) => log.debug("ui.sse_write_failed", { error: err }))
        .finally(() => (c.writing = false));
    }
  }

  #ping(): void {
    for (const c of this.#clients) if (!c.writing) void c.stream.write(": keep-alive\n\n").catch(() => undefined);
  }
}

function isEmpty(p: Pending): boolean {
  return p.changed.size + p.removed.size + p.messages.length + p.skipped + p.questions.length + p.answered.length + p.notices.length === 0 && !p.edges;
}

/** Whether feed message `m` passes `filter`. */
export function matches(m: UiMessage, filter: FeedFilter): boolean {
  if (filter.agent && m.from !== filter.agent && m.to !== filter.agent) return false;
  if (filter.type && m.type !== filter.type) return false;
  if (filter.thread && m.thread !== filter.thread && m.id !== filter.thread) return false;
  return true;
}
