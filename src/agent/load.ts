import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { ConfigError } from "../errors.ts";
import { isAgentDefinition, type AgentDefinition } from "./define.ts";

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
    if (defs.length === 0 || !defs.every(isAgentDefinition)) {
      throw new ConfigError(`${path}: the default export must be an agent made with defineAgent({...}), or an array of them`);
    }
    out.push(...defs);
  }
  return out;
}
