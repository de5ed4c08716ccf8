import * as v from "valibot";
import { ValidationError } from "../errors.ts";
import { describeIssues, type Envelope } from "../protocol/envelope.ts";
import { AgentNameSchema } from "../protocol/names.ts";
import type { Reply } from "../rpc/serve.ts";
import type { HandlerContext } from "./context.ts";

/** A message handler: gets the validated envelope and a context bound to it. */
export type Handler<R = void> = (message: Envelope, ctx: HandlerContext) => Promise<R> | R;

/** Everything an agent module exports as its default: who it is and what it handles. */
export interface AgentDefinition {
  /** Case-sensitive name: letters, digits, `-`, `_`; 1–64 characters. */
  name: string;
  /** One line saying what the agent does, shown in the registry and to LLM agents choosing whom to ask. */
  description?: string;
  /** What it can do, for discovery and capability routing. */
  capabilities?: string[];
  /** Names of tools it offers, shown in the registry. */
  tools?: string[];
  /** Version string shown in the registry. */
  version?: string;
  /** Handlers running at once in one instance; default NATTER_CONCURRENCY (8). */
  concurrency?: number;
  /** Mailbox messages held at once per instance (running plus waiting); default 2 × concurrency, at least 16. */
  prefetch?: number;
  /** Whether the agent hears its own broadcasts; default false. */
  hearOwnBroadcasts?: boolean;
  /** Answers a request; the value returned is the response content. */
  onRequest?: Handler<Reply>;
  /** Handles direct messages and handoffs (`message.type` tells which); a returned string becomes the completion notice. */
  onMessage?: Handler<string | void>;
  /** Handles messages on `agents.all`. */
  onBroadcast?: Handler;
  /** Handles completion notices and other responses arriving in the mailbox. */
  onResponse?: Handler;
  /** Group channels to join at start (`agents.group.{name}`). */
  groups?: string[];
  /** Handles messages posted to joined groups (`message.metadata.group` names the group). */
  onGroupMessage?: Handler;
  /** Runs once connected, before messages flow. */
  onStart?: (ctx: import("./context.ts").AgentContext) => Promise<void> | void;
  /** Runs once at shutdown, after handlers stop. */
  onStop?: (ctx: import("./context.ts").AgentContext) => Promise<void> | void;
}

const fn = v.optional(v.custom<(...args: never[]) => unknown>((x) => typeof x === "function", "must be a function"));
const positive = v.optional(v.pipe(v.number("must be a number"), v.integer("must be a whole number"), v.minValue(1, "must be at least 1")));

const DefinitionSchema = v.strictObject({
  name: AgentNameSchema,
  description: v.optional(v.string("must be a string")),
  capabilities: v.optional(v.array(v.pipe(v.string(), v.minLength(1)), "must be an array of non-empty strings")),
  tools: v.optional(v.array(v.string(), "must be an array of strings")),
  version: v.optional(v.string("must be a string")),
  concurrency: positive,
  prefetch: positive,
  hearOwnBroadcasts: v.optional(v.boolean("must be true or false")),
  onRequest: fn,
  onMessage: fn,
  onBroadcast: fn,
  onResponse: fn,
  groups: v.optional(v.array(AgentNameSchema, "must be an array of group names")),
  onGroupMessage: fn,
  onStart: fn,
  onStop: fn,
});

/** Declares an agent; validates the definition and returns it unchanged. Use as a module's default export. */
export function defineAgent<T extends AgentDefinition>(definition: T): T {
  const problem = definitionProblem(definition);
  if (problem) throw new ValidationError(`invalid agent definition: ${problem.message}`, problem.issues);
  return definition;
}

/**
 * What is wrong with `value` as an agent definition, naming each field at fault, or undefined when nothing is.
 * An unknown key is named with the known key it is closest to: a misspelled handler would otherwise never run.
 */
export function definitionProblem(value: unknown): { message: string; issues: v.BaseIssue<unknown>[] } | undefined {
  const result = v.safeParse(DefinitionSchema, value);
  if (result.success) return undefined;
  const known = Object.keys(DefinitionSchema.entries);
  const unknownKeys = result.issues.filter((i) => i.type === "strict_object").map((i) => String(i.path?.[0]?.key));
  const others = result.issues.filter((i) => i.type !== "strict_object");
  const parts = unknownKeys.map((key) => {
    const near = closest(key, known);
    return near ? `unknown key "${key}" (did you mean "${near}"?)` : `unknown key "${key}"; an agent definition takes ${known.join(", ")}`;
  });
  if (others.length > 0) parts.push(describeIssues(others));
  return { message: parts.join("; "), issues: result.issues };
}

/** The candidate within a small edit distance of `word` (a typo, a case slip), if any. */
function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(word.length / 4)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const next = [i];
    for (let j = 1; j <= b.length; j++) next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    row = next;
  }
  return row[b.length]!;
}
