import { parseArgs } from "node:util";
import * as v from "valibot";
import { ConfigError } from "../errors.ts";
import { MESSAGE_TYPES } from "../protocol/envelope.ts";
import { agentNameProblem } from "../protocol/names.ts";
import { isSubjectFilter } from "../protocol/subjects.ts";
import { DEFAULT_REGISTRY_BUCKET, DEFAULT_STREAM, IdSchema, MAX_ID_LENGTH } from "../protocol/tokens.ts";
import { parseDurationMs, parseTimeSpec } from "../inspect/filter.ts";
import type { MessageFilter } from "../inspect/types.ts";

/** Exit codes of `natter`; documented in every --help. */
export const EXIT = {
  ok: 0,
  /** The command ran and failed: an agent's handler failed, nothing found, the user declined. */
  failure: 1,
  /** Bad flags or arguments. */
  usage: 2,
  /** Something `natter` talks to is absent or slow: the NATS server, an agent, a timeout. */
  unavailable: 3,
  /** Interrupted by Ctrl-C. */
  interrupted: 130,
} as const;

/** Help text shared by every command. */
export const EXIT_HELP = `Exit codes: 0 ok, 1 failed, 2 bad flags or arguments, 3 NATS server or agent unavailable or timed out, 130 interrupted.
Connection: NATS_URL (or --server URL), NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_CREDS, NATS_NKEY; stream NATTER_STREAM (${DEFAULT_STREAM}), registry NATTER_REGISTRY_BUCKET (${DEFAULT_REGISTRY_BUCKET}).`;

/** One parseArgs option: string or boolean, with an optional short letter. */
export type OptionSpec = { type: "string" | "boolean"; short?: string; multiple?: false };
/** The options of a command, by flag name. */
export type OptionSpecs = Record<string, OptionSpec>;

/** Flags every command accepts. */
export const COMMON_OPTIONS = {
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
  server: { type: "string", short: "s" },
} as const satisfies OptionSpecs;

/** Flags of `replay` and `tail`: which messages to show. */
export const FILTER_OPTIONS = {
  agent: { type: "string", short: "a" },
  from: { type: "string" },
  to: { type: "string" },
  type: { type: "string", short: "t" },
  thread: { type: "string" },
  subject: { type: "string" },
  "dead-letters": { type: "boolean" },
  since: { type: "string" },
  until: { type: "string" },
  "from-seq": { type: "string" },
} as const satisfies OptionSpecs;

/** Help lines of {@link FILTER_OPTIONS}. */
export const FILTER_HELP = `  -a, --agent NAME     sent by or addressed to NAME
      --from NAME      sent by NAME
      --to NAME        delivered to NAME's mailbox (with --dead-letters: its dead letters)
  -t, --type TYPE      ${MESSAGE_TYPES.join(", ")}
      --thread ID      one conversation (its thread id, or the id of its first message)
      --subject SUBJ   a NATS subject, wildcards allowed (e.g. 'agents.direct.*')
      --dead-letters   only dead letters (agents.dlq.*): messages an agent gave up on
      --since WHEN     stored at or after WHEN: a duration ago (90s, 10m, 2h, 3d) or an ISO time
      --until WHEN     stored at or before WHEN
      --from-seq N     start at stream sequence N`;

const agentName = v.pipe(
  v.string(),
  v.check(
    (s) => agentNameProblem(s) === undefined,
    (i) => `expected an agent name, but ${agentNameProblem(String(i.input))}`,
  ),
);
const id = v.pipe(v.string(), v.check((s) => v.is(IdSchema, s), `expected an id: 1-${MAX_ID_LENGTH} characters without spaces, '.', '*' or '>'`));
const subject = v.pipe(v.string(), v.check(isSubjectFilter, "expected a subject under agents, wildcards allowed, e.g. agents.direct.* or 'agents.>'"));
const when = v.pipe(
  v.string(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      return parseTimeSpec(dataset.value);
    } catch (err) {
      addIssue({ message: (err as Error).message.replace(/, got .*$/, "") });
      return NEVER;
    }
  }),
);

/** A whole number from `min`, given as a string flag. */
export function wholeNumber(min: number, what: string) {
  return v.pipe(v.string(), v.regex(/^\d+$/, `expected ${what} (a whole number from ${min})`), v.transform((digits: string) => Number(digits)), v.minValue(min, `expected ${what} (a whole number from ${min})`));
}

/** Milliseconds from `10s`, `500ms`, `2m`, or a bare number of seconds. */
export const duration = v.pipe(
  v.string(),
  v.transform((s) => (/^\d+(\.\d+)?$/.test(s.trim()) ? Number(s) * 1000 : parseDurationMs(s))),
  v.number("expected a duration like 30s, 500ms or 2m (a bare number means seconds)"),
  v.minValue(1, "expected a duration above zero"),
);

/** Schemas of the filter flags. */
export const FILTER_SCHEMA = {
  agent: v.optional(agentName),
  from: v.optional(agentName),
  to: v.optional(agentName),
  type: v.optional(v.picklist(MESSAGE_TYPES, `expected one of ${MESSAGE_TYPES.join(", ")}`)),
  thread: v.optional(id),
  subject: v.optional(subject),
  "dead-letters": v.optional(v.boolean()),
  since: v.optional(when),
  until: v.optional(when),
  "from-seq": v.optional(wholeNumber(1, "a stream sequence number")),
};

/** Schemas of {@link COMMON_OPTIONS}. */
export const COMMON_SCHEMA = {
  help: v.optional(v.boolean()),
  json: v.optional(v.boolean()),
  server: v.optional(v.string()),
};

/** Reusable flag schemas. */
export const FLAG = { agentName, id };

/** The filter the filter flags describe. */
export function toFilter(f: v.InferOutput<v.ObjectSchema<typeof FILTER_SCHEMA, undefined>>): MessageFilter {
  if (f.since && f.until && f.since > f.until) throw new ConfigError("--since: must be before --until");
  const filter: MessageFilter = {};
  if (f.agent) filter.agent = f.agent;
  if (f.from) filter.from = f.from;
  if (f.to) filter.to = f.to;
  if (f.type) filter.type = f.type;
  if (f.thread) filter.thread = f.thread;
  if (f.subject) filter.subject = f.subject;
  if (f["dead-letters"]) filter.deadLetters = true;
  if (f.since) filter.since = f.since;
  if (f.until) filter.until = f.until;
  if (f["from-seq"] !== undefined) filter.fromSeq = f["from-seq"];
  return filter;
}

/** Parsed and validated command line of one command. */
export interface Parsed<T> {
  flags: T;
  positionals: string[];
}

/**
 * Parses `argv` with node:util parseArgs and validates the flags with valibot.
 * Any problem is a ConfigError of one line naming the flag and what was expected.
 */
export function parseCommand<S extends v.ObjectEntries>(command: string, argv: readonly string[], options: OptionSpecs, schema: S): Parsed<v.InferOutput<v.ObjectSchema<S, undefined>>> {
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw new ConfigError(`${describeParseError(err as Error & { code?: string }, options)} (see natter ${command} --help)`);
  }
  const result = v.safeParse(v.object(schema), parsed.values);
  if (!result.success) {
    const issue = result.issues[0]!;
    const key = String(issue.path?.[0]?.key ?? "");
    const given = parsed.values[key];
    throw new ConfigError(`--${key}: ${issue.message}${typeof given === "string" ? `, got ${JSON.stringify(given)}` : ""}`);
  }
  return { flags: result.output, positionals: parsed.positionals };
}

function describeParseError(err: Error & { code?: string }, options: OptionSpecs): string {
  const flag = /'(?:-\w, )?(--?[^' ]+)/.exec(err.message)?.[1] ?? "";
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${flag}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const name = flag.replace(/^-+/, "");
      const long = Object.entries(options).find(([k, o]) => k === name || o.short === name)?.[0] ?? name;
      return options[long]?.type === "boolean" ? `--${long} takes no value` : `--${long}: expected a value`;
    }
    default:
      return err.message;
  }
}

/** The error for an argument a command does not take. */
export function unexpectedArgument(command: string, arg: string): ConfigError {
  return new ConfigError(`unexpected argument ${JSON.stringify(arg)} (see natter ${command} --help)`);
}
