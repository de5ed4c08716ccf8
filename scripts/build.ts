#!/usr/bin/env -S npx tsx
// Builds the package: src/ → dist/ (ESM JavaScript, .d.ts, source maps) with tsc, plus the console's page.
// `npm run build`; npm runs it on `npm ci`, `npm pack` and installs from git (the prepare script).
import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(new URL("../dist/", import.meta.url), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
cpSync(new URL("../src/ui/public/", import.meta.url), new URL("../dist/ui/public/", import.meta.url), { recursive: true });

// tsc rewrites `./x.ts` imports to `./x.js` in the JavaScript but not in declarations: do it there too, so every
// TypeScript version and tool that reads the .d.ts finds the files that ship.
const dist = fileURLToPath(new URL("../dist/", import.meta.url));
for (const file of readdirSync(dist, { recursive: true, encoding: "utf8" })) {
  if (!file.endsWith(".d.ts")) continue;
  const path = dist + file;
  const text = readFileSync(path, "utf8");
  const fixed = text.replace(/((?:from |import\()["'])(\.{1,2}\/[^"']+)\.ts(["'])/g, "$1$2.js$3");
  if (fixed !== text) writeFileSync(path, fixed);
}
