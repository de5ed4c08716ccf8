import type { Msg, Subscription } from "@nats-io/transport-node";
import { NatterError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { publishEnvelope, publishOptions } from "../mailbox/send.ts";
import type { Envelope } from "../protocol/envelope.ts";
import { ERROR_CODES, HEADERS } from "../protocol/headers.ts";
import { progressSubject } from "../protocol/subjects.ts";
import { serveRequests, type Reply, type ServeOptions } from "../rpc/serve.ts";
import { MAX_TIMER_MS } from "../transport/bounded.ts";
import { deadlineError, msToDeadline, pastDeadline } from "./deadline.ts";
import type { RuntimeParts } from "./parts.ts";
import type { Span } from "@opentelemetry/api";
import { runInSpan } from "../tracing/spans.ts";

/** Answers the agent's requests in its queue group: screened, cancellable by thread, within the handler slots. */
export function serveAgentRequests(parts: RuntimeParts): Subscription {
  const { bus, definition, signer, screens } = parts;
  const serve = new AgentServeOptions(parts);
  if (signer) serve.sign = signer.sign;
  if (screens) serve.screen = (req, msg) => screens.request(req, msg.data, msg.headers);
  // Opened after the screen (the signature covers the sealed bytes); one that cannot be opened is answered
  // `sealed_unreadable` and never reaches the handler.
  return serveRequests(bus.nc, definition.name, (req, msg, span) => answer(parts, opened(parts, req), msg, span), serve);
}

/** `request` opened when it came sealed; logs and throws `sealed_unreadable` when it cannot be. */
function opened(parts: RuntimeParts, request: Envelope): Envelope {
  try {
    return parts.sealing.open(request);
  } catch (err) {
    parts.log.warn("rpc.sealed_unreadable", { id: request.id, from: request.from, error: err });
    throw err;
  }
}

/** The agent's serving options, its hooks methods rather than closures made per agent. */
class AgentServeOptions implements ServeOptions {
  readonly log: Logger;
  readonly maxMessageBytes: number;
  sign?: ServeOptions["sign"];
  screen?: ServeOptions["screen"];

  constructor(readonly parts: RuntimeParts) {
    this.log = parts.log;
    this.maxMessageBytes = parts.bus.config.maxMessageBytes;
  }

  seal(request: Envelope, response: Envelope): Envelope {
    return this.parts.sealing.replyTo(request, response);
  }

  onAnswer(request: Envelope, response: Envelope, msg: Msg): void {
    storeFinal(this.parts, request, response, msg);
  }

  /**
   * A requester re-sends what it had in flight when its connection came back: the very same request gets the answer
   * it had (or waits for it), rather than running the handler twice or, with signatures checked, being refused as a replay.
   * It re-sends only while it still waits. With signatures checked, a re-send is refused as a replay for as long as its
   * timestamp passes (up to the replay window after it), so the answer is kept that long. Without, it is kept until the
   * request's deadline (a natter requester waits no longer), else for the replay window: how long a requester waits is
   * not on the wire (an LLM's ask tool waits two minutes, the console up to ten), so the default timeout would be too
   * short. The memory's count bound keeps a busy agent's to its latest few thousand answers either way.
   */
  repeatAnswersMs(request: Envelope): number {
    const { config } = this.parts.bus;
    if (this.parts.screens?.verifier) return config.replayWindowMs + Math.max(0, Date.parse(request.timestamp) - Date.now());
    return Math.min(config.replayWindowMs, msToDeadline(request) ?? config.replayWindowMs);
  }
}

async function answer(parts: RuntimeParts, request: Envelope, msg: Msg, span: Span | undefined): Promise<Reply> {
  const { definition, context, threads, slots } = parts;
  const handler = definition.onRequest;
  if (!handler) throw new NatterError(`agent "${definition.name}" does not answer requests`, ERROR_CODES.notFound);
  if (pastDeadline(request)) throw deadlineError(request, "before the request arrived");
  const extra = msg.headers?.get(HEADERS.stream) === "1" ? STREAMED : undefined;
  // One async frame for the whole run (thread registration, slot, deadline), not one per step: this is every request.
  // The agent's context, bound to no message: its signal is the agent's stop signal (made on first use).
  const run = threads.start(request, context.signal);
  parts.metrics?.requests(1);
  // The run lasts as long as the handler, not as long as the caller waits: past the deadline the caller has its answer,
  // and the handler's signal must still fire (its timer is dropped when the run finishes).
  const work = slots
    .run(
      () => {
        // It may have waited for a slot past its deadline: then it never starts.
        if (pastDeadline(request)) throw deadlineError(request, "before a handler slot was free");
        const ctx = context.bind(request, run, extra, span);
        // Untraced, no closure: this is every request.
        return runInSpan(span, handler, request, ctx);
      },
      request,
      "queue",
    )
    .finally(() => (threads.finish(request, run), parts.metrics?.requests(-1)));
  try {
    return await byDeadline(parts, request, work);
  } catch (err) {
    if (run.aborted && threads.has(request.threadId ?? request.id)) throw new NatterError(String((run.signal.reason as Error)?.message ?? "cancelled"), ERROR_CODES.cancelled);
    throw err;
  }
}

const STREAMED = Object.freeze({ streamed: true });

/**
 * The handler's answer, or {@link ERROR_CODES.deadlineExceeded} at the request's deadline, whichever comes first: a caller is answered
 * at its deadline whatever the handler does (its signal fires then). A result that comes later is logged and dropped.
 */
function byDeadline(parts: RuntimeParts, request: Envelope, work: Promise<Reply>): Promise<Reply> {
  const left = msToDeadline(request);
  // Not async itself: most requests carry no deadline, and need no promise of their own for it.
  if (left === undefined || left > MAX_TIMER_MS) return work;
  return raceDeadline(parts, request, work, left);
}

async function raceDeadline(parts: RuntimeParts, request: Envelope, work: Promise<Reply>, left: number): Promise<Reply> {
  let timer: NodeJS.Timeout | undefined;
  let late = false;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      late = true;
      reject(deadlineError(request, "before the handler answered"));
    }, Math.max(0, left));
  });
  work.then(
    () => late && parts.log.debug("rpc.late_result", { id: request.id, from: request.from, reason: "the handler answered after the deadline; the caller already had deadline_exceeded", lateMs: -(msToDeadline(request) ?? 0) }),
    (err: unknown) => late && parts.log.debug("rpc.late_result", { id: request.id, from: request.from, reason: "the handler failed after the deadline; the caller already had deadline_exceeded", error: err }),
  );
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A streamed request's answer is stored after its progress, so a resuming requester sees the end. */
function storeFinal(parts: RuntimeParts, request: Envelope, response: Envelope, msg: Msg): void {
  if (msg.headers?.get(HEADERS.stream) !== "1") return;
  const { bus, signer, log } = parts;
  publishEnvelope(bus.js, progressSubject(request.from, request.id), response, publishOptions(bus.config, signer?.sign)).catch((err: unknown) =>
    log.warn("progress.final_failed", { id: request.id, error: err }),
  );
}
