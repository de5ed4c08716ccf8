import * as v from "valibot";
import { ConfigError } from "../../src/errors.ts";

/** What `npm run bench` was asked to do. */
export interface BenchOptions {
  /** Smaller runs, one scale size: under a minute. */
  quick: boolean;
  /** Print the rows as JSON instead of a table. */
  json: boolean;
  /** Agent counts of the scale case; default 100 and 1000 (100 with --quick). */
  agents: number[];
  /** Only these cases, in the run's order; absent: every case. */
  cases?: BenchCase[];
}

/** The cases, in the order a run takes them. */
export const BENCH_CASES = ["request", "direct", "broadcast", "scale", "handoff", "a2a", "seal"] as const;
/** One of {@link BENCH_CASES}. */
export type BenchCase = (typeof BENCH_CASES)[number];

/** Usage text of the bench. */
export const BENCH_USAGE = `usage: npm run bench -- [--quick] [--json] [--agents N] [--case NAME]

  --quick      smaller runs and one scale size (under a minute)
  --json       print the results as JSON on stdout
  --agents N   agents in the scale case (1-5000); default 100 and 1000, 100 with --quick
  --case NAME  run only this case (repeatable): ${BENCH_CASES.join(", ")}`;

const CaseSchema = v.picklist(BENCH_CASES, `expected one of ${BENCH_CASES.join(", ")}`);

const AgentsSchema = v.pipe(v.string(), v.regex(/^\d+$/, "expected a whole number"), v.transform(Number), v.minValue(1, "expected at least 1"), v.maxValue(5000, "expected at most 5000"));

/** Parses the bench's flags; throws a ConfigError naming the flag and what was expected. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions | "help" {
  const out: BenchOptions = { quick: false, json: false, agents: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--help" || arg === "-h") return "help";
    else if (arg === "--quick") out.quick = true;
    else if (arg === "--json") out.json = true;
    else if (arg === "--agents" || arg.startsWith("--agents=")) {
      const raw = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      const parsed = v.safeParse(AgentsSchema, raw ?? "");
      if (!parsed.success) throw new ConfigError(`--agents: ${parsed.issues[0]!.message}, got ${JSON.stringify(raw ?? "")}`);
      out.agents.push(parsed.output);
    } else if (arg === "--case" || arg.startsWith("--case=")) {
      const raw = arg.includes("=") ? arg.slice(arg.indexOf("=") + 1) : argv[++i];
      const parsed = v.safeParse(CaseSchema, raw ?? "");
      if (!parsed.success) throw new ConfigError(`--case: ${parsed.issues[0]!.message}, got ${JSON.stringify(raw ?? "")}`);
      (out.cases ??= []).push(parsed.output);
    } else throw new ConfigError(`unknown option ${JSON.stringify(arg)}`);
  }
  if (out.agents.length === 0) out.agents = out.quick ? [100] : [100, 1000];
  return out;
}
