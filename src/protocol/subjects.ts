import { ValidationError } from "../errors.ts";
import { assertAgentName } from "./names.ts";

/** The channel every agent hears. */
export const ALL_SUBJECT = "agents.all";
/** Prefix of every natter subject. */
export const ROOT = "agents";

/** A mailbox: direct messages, handoffs and completion notices for `agent`. */
export function directSubject(agent: string): string {
  return `agents.direct.${assertAgentName(agent)}`;
}

/** Core request-reply subject served by every instance of `agent`. */
export function requestSubject(agent: string): string {
  return `agents.request.${assertAgentName(agent)}`;
}

/** Where `agent`'s own requests are answered; `requestId` must be a single token. */
export function responseSubject(agent: string, requestId: string): string {
  if (!/^[^.*>\s]+$/.test(requestId)) throw new ValidationError(`request id ${JSON.stringify(requestId)} is not a subject token`);
  return `agents.response.${assertAgentName(agent)}.${requestId}`;
}

/** Wildcard covering every response addressed to `agent`. */
export function responseWildcard(agent: string): string {
  return `agents.response.${assertAgentName(agent)}.*`;
}

/** Tracking record of a handoff from `from` to `to`. */
export function handoffSubject(from: string, to: string): string {
  return `agents.handoff.${assertAgentName(from, "from")}.to.${assertAgentName(to, "to")}`;
}

/** Every handoff record `from` may publish, to anyone. */
export function handoffsFrom(from: string): string {
  return `agents.handoff.${assertAgentName(from, "from")}.to.*`;
}

/** Dead letters of `agent`: messages its handler failed on too many times. */
export function deadLetterSubject(agent: string): string {
  return `agents.dlq.${assertAgentName(agent)}`;
}

/** Where cancellations of threads are announced to every agent. */
export const CANCEL_SUBJECT = "agents.cancel";

/** Stored progress of request `requestId` made by `requester`; the stream sequence is the resume cursor. */
export function progressSubject(requester: string, requestId: string): string {
  if (!/^[^.*>\s]+$/.test(requestId)) throw new ValidationError(`request id ${JSON.stringify(requestId)} is not a subject token`);
  return `agents.progress.${assertAgentName(requester, "requester")}.${requestId}`;
}

/** A named channel agents join, like a Slack channel. */
export function groupSubject(group: string): string {
  return `agents.group.${assertAgentName(group, "group name")}`;
}

/** Subject patterns the stream captures, by purpose; used by provisioning and filters. */
export const SUBJECT_PATTERNS = {
  all: ALL_SUBJECT,
  direct: "agents.direct.*",
  handoff: "agents.handoff.*.to.*",
  deadLetter: "agents.dlq.*",
  cancel: CANCEL_SUBJECT,
  progress: "agents.progress.*.*",
  group: "agents.group.*",
  request: "agents.request.*",
  response: "agents.response.*.*",
} as const;

/** A subject taken apart: which channel it is and the agents it names. */
export type ParsedSubject =
  | { kind: "all" }
  | { kind: "direct"; agent: string }
  | { kind: "request"; agent: string }
  | { kind: "response"; agent: string; requestId: string }
  | { kind: "handoff"; from: string; to: string }
  | { kind: "deadLetter"; agent: string }
  | { kind: "cancel" }
  | { kind: "progress"; agent: string; requestId: string }
  | { kind: "group"; group: string };

/** Parses a natter subject; undefined for anything else. */
export function parseSubject(subject: string): ParsedSubject | undefined {
  const t = subject.split(".");
  if (t[0] !== ROOT) return undefined;
  const [, kind, a, b, c] = t;
  if (t.length === 2 && kind === "all") return { kind: "all" };
  if (t.length === 2 && kind === "cancel") return { kind: "cancel" };
  if (t.length === 3 && a) {
    if (kind === "direct") return { kind: "direct", agent: a };
    if (kind === "request") return { kind: "request", agent: a };
    if (kind === "dlq") return { kind: "deadLetter", agent: a };
    if (kind === "group") return { kind: "group", group: a };
  }
  if (t.length === 4 && kind === "response" && a && b) return { kind: "response", agent: a, requestId: b };
  if (t.length === 4 && kind === "progress" && a && b) return { kind: "progress", agent: a, requestId: b };
  if (t.length === 5 && kind === "handoff" && a && b === "to" && c) return { kind: "handoff", from: a, to: c };
  return undefined;
}
