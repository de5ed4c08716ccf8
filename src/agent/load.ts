import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "../errors.ts";
import { definitionProblem, type AgentDefinition } from "./define.ts";

/** Imports agent modules by path; each default export is a definition or an array of them. */
export async function loadAgentModules(paths: readonly string[]): Promise<AgentDefinition[]> {
  const out: AgentDefinition[] = [];
  for (const path of paths) {
    let mod: { default?: unknown };
    try {
      mod = (await import(pathToFileURL(resolve(path)).href)) as { default?: unknown };
    } catch (cause) {
      throw new ConfigError(`cannot load agent module ${path}: ${(cause as Error).message}`, { cause });
    }
    const exported = mod.default;
    const defs = Array.isArray(exported) ? exported : [exported];
    if (defs.length === 0) throw new ConfigError(`${path}: the default export must be an agent made with defineAgent({...}), or an array of them`);
    for (const [i, def] of defs.entries()) {
      const problem = definitionProblem(def);
      const which = defs.length > 1 ? ` (agent ${i + 1} of ${defs.length})` : "";
      if (problem) throw new ConfigError(`${path}${which}: the default export must be an agent made with defineAgent({...}), or an array of them: ${problem.message}`);
    }
    out.push(...(defs as AgentDefinition[]));
  }
  return out;
}
