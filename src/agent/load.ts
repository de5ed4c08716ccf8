import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import * as v from "valibot";
import { ConfigError } from "../errors.ts";
import { definitionProblem, type AgentDefinition } from "./define.ts";

const TYPESCRIPT = /\.(ts|mts|cts|tsx)$/;

/** Imports agent modules by path; each default export is a definition or an array of them. */
export async function loadAgentModules(paths: readonly string[]): Promise<AgentDefinition[]> {
  const out: AgentDefinition[] = [];
  for (const path of paths) {
    let mod: { default?: unknown };
    try {
      mod = (await importModule(resolve(path))) as { default?: unknown };
    } catch (cause) {
      if (cause instanceof ConfigError) throw cause;
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

let tsxRegistered = false;

// TypeScript loads as is when something already handles it (tsx running the host, or a Node that strips types);
// otherwise through the tsx installed in the user's project, registered once.
async function importModule(file: string): Promise<unknown> {
  const url = pathToFileURL(file).href;
  try {
    return await import(url);
  } catch (err) {
    if (!TYPESCRIPT.test(file) || (err as NodeJS.ErrnoException).code !== "ERR_UNKNOWN_FILE_EXTENSION" || tsxRegistered) throw err;
  }
  const api = await findTsx(file);
  if (!api) {
    throw new ConfigError(`cannot load agent module ${file}: TypeScript modules need tsx in your project (npm install --save-dev tsx), or compile it to JavaScript first`);
  }
  api.register();
  tsxRegistered = true;
  // Node remembers the failed import of this URL; a query makes it a new module for the loader to try again.
  return import(`${url}?tsx`);
}

interface TsxApi {
  register(): unknown;
}

const TsxPackageSchema = v.object({ exports: v.object({ "./esm/api": v.object({ import: v.object({ default: v.string() }) }) }) });

/** tsx's ESM loader API as installed next to the working directory or the module, if it is. */
async function findTsx(file: string): Promise<TsxApi | undefined> {
  for (const from of [join(process.cwd(), "package.json"), file]) {
    let manifest: string;
    try {
      manifest = createRequire(from).resolve("tsx/package.json");
    } catch {
      continue; // not installed there
    }
    // Its CommonJS build cannot register the ESM hooks when required from here; import the ESM build it names.
    const pkg = v.parse(TsxPackageSchema, JSON.parse(readFileSync(manifest, "utf8")));
    return (await import(pathToFileURL(join(dirname(manifest), pkg.exports["./esm/api"].import.default)).href)) as TsxApi;
  }
  return undefined;
}
