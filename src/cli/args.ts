import { parseArgs } from "node:util";
import * as v from "valibot";
import { ConfigError } from "../errors.ts";
import { MESSAGE_TYPES } from "../protocol/envelope.ts";
import { agentNameProblem } from "../protocol/names.ts";
import { isSubjectFilter } from "../protocol/subjects.ts";
import { DEFAULT_REGISTRY_BUCKET, DEFAULT_STREAM, IdSchema, MAX_ID_LENGTH } from "../protocol/tokens.ts";
import { parseDurationMs, parseTimeSpec } from "../inspect/filter.ts";
import type { MessageFilter } from "../inspect/types.ts";
import { flagHelp, flagsSchema, parseArgsOptions, switchFlag, valueFlag, type Flags, type FlagValues } from "./flags.ts";

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

/** Reusable flag schemas. */
export const FLAG = { agentName, id };

/** Flags every command accepts; a command may reword the --json line. */
export const COMMON_FLAGS = {
  help: switchFlag("this help", "h"),
  json: switchFlag("machine-readable output"),
  server: valueFlag(v.string(), "NATS server URL (default NATS_URL)", { value: "URL", short: "s" }),
} as const satisfies Flags;

/** Flags of `replay` and `tail`: which messages to show. */
export const FILTER_FLAGS = {
  agent: valueFlag(agentName, "sent by or addressed to NAME", { value: "NAME", short: "a" }),
  from: valueFlag(agentName, "sent by NAME", { value: "NAME" }),
  to: valueFlag(agentName, "delivered to NAME's mailbox (with --dead-letters: its dead letters)", { value: "NAME" }),
  type: valueFlag(v.picklist(MESSAGE_TYPES, `expected one of ${MESSAGE_TYPES.join(", ")}`), MESSAGE_TYPES.join(", "), { value: "TYPE", short: "t" }),
  thread: valueFlag(id, "one conversation (its thread id, or the id of its first message)", { value: "ID" }),
  subject: valueFlag(subject, "a NATS subject, wildcards allowed (e.g. 'agents.direct.*')", { value: "SUBJ" }),
  "dead-letters": switchFlag("only dead letters (agents.dlq.*): messages an agent gave up on"),
  since: valueFlag(when, "stored at or after WHEN: a duration ago (90s, 10m, 2h, 3d) or an ISO time", { value: "WHEN" }),
  until: valueFlag(when, "stored at or before WHEN", { value: "WHEN" }),
  "from-seq": valueFlag(wholeNumber(1, "a stream sequence number"), "start at stream sequence N", { value: "N" }),
} as const satisfies Flags;

/** Help lines of {@link FILTER_FLAGS}. */
export const FILTER_HELP = flagHelp(FILTER_FLAGS);

/** The filter the filter flags describe. */
export function toFilter(f: FlagValues<typeof FILTER_FLAGS>): MessageFilter {
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
export function parseCommand<F extends Flags>(command: string, argv: readonly string[], flags: F): Parsed<FlagValues<F>> {
  const options = parseArgsOptions(flags);
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true }) as typeof parsed;
  } catch (err) {
    throw new ConfigError(`${describeParseError(err as Error & { code?: string }, flags)} (see natter ${command} --help)`);
  }
  const result = v.safeParse(flagsSchema(flags), parsed.values);
  if (!result.success) {
    const issue = result.issues[0]!;
    const key = String(issue.path?.[0]?.key ?? "");
    const given = parsed.values[key];
    throw new ConfigError(`--${key}: ${issue.message}${typeof given === "string" ? `, got ${JSON.stringify(given)}` : ""}`);
  }
  return { flags: result.output, positionals: parsed.positionals };
}

function describeParseError(err: Error & { code?: string }, flags: Flags): string {
  const flag = /'(?:-\w, )?(--?[^' ]+)/.exec(err.message)?.[1] ?? "";
  switch (err.code) {
    case "ERR_PARSE_ARGS_UNKNOWN_OPTION":
      return `unknown option ${flag}`;
    case "ERR_PARSE_ARGS_INVALID_OPTION_VALUE": {
      const name = flag.replace(/^-+/, "");
      const long = Object.entries(flags).find(([k, o]) => k === name || o.short === name)?.[0] ?? name;
      return flags[long]?.type === "boolean" ? `--${long} takes no value` : `--${long}: expected a value`;
    }
    default:
      return err.message;
  }
}

/** The error for an argument a command does not take. */
export function unexpectedArgument(command: string, arg: string): ConfigError {
  return new ConfigError(`unexpected argument ${JSON.stringify(arg)} (see natter ${command} --help)`);
}
