import { writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const ENTRY = fileURLToPath(new URL("../src/ui/web/main.ts", import.meta.url));
/** Where the bundle goes; committed so `natter ui` needs no build step. */
export const BUNDLE = new URL("../src/ui/public/app.js", import.meta.url);

/** Bundles the front end with esbuild (a dev dependency) and returns the text; writes it unless `write` is false. */
export async function buildUi(write = true): Promise<string> {
  const { build } = await import("esbuild");
  const result = await build({ entryPoints: [ENTRY], bundle: true, format: "iife", target: "es2022", write: false, legalComments: "none", charset: "utf8" });
  const text = result.outputFiles[0]!.text;
  if (write) await writeFile(BUNDLE, text);
  return text;
}
