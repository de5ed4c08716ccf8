import * as v from "valibot";
import { ValidationError } from "../errors.ts";
import { isNameToken, MAX_NAME_LENGTH } from "./tokens.ts";

/** Why `name` is not a valid agent name, or undefined when it is. */
export function agentNameProblem(name: string): string | undefined {
  if (name.length === 0) return "it is empty";
  if (name.length > MAX_NAME_LENGTH) return `it is ${name.length} characters long, over the limit of ${MAX_NAME_LENGTH}`;
  if (isNameToken(name)) return undefined;
  const bad = [...name].find((ch) => !isNameToken(ch)) ?? "";
  const shown = /[\x00-\x20\x7f]/.test(bad) ? `control or space character U+${bad.codePointAt(0)?.toString(16).padStart(4, "0")}` : `"${bad}"`;
  const why = bad === "." ? " (dots separate subject tokens)" : bad === "*" || bad === ">" ? " (it is a NATS wildcard)" : "";
  return `it contains ${shown}${why}; use only letters, digits, "-" and "_"`;
}

/** An agent name: a case-sensitive NATS token of letters, digits, `-` and `_`, 1–64 characters. */
export const AgentNameSchema = v.pipe(
  v.string("an agent name must be a string"),
  v.check((s) => agentNameProblem(s) === undefined, (issue) => `invalid agent name "${String(issue.input)}": ${agentNameProblem(String(issue.input))}`),
);

/** Throws a ValidationError naming the problem when `name` is not a valid agent name. */
export function assertAgentName(name: unknown, field = "agent name"): string {
  if (typeof name !== "string") throw new ValidationError(`${field} must be a string, got ${typeof name}`);
  const problem = agentNameProblem(name);
  if (problem) throw new ValidationError(`invalid ${field} ${JSON.stringify(name)}: ${problem}`);
  return name;
}
