#!/usr/bin/env -S npx tsx
// Builds the package: src/ → dist/ (ESM JavaScript, .d.ts, source maps) with tsc, plus the console's page.
// `npm run build`; npm runs it on `npm ci`, `npm pack` and installs from git (the prepare script).
import { execFileSync } from "node:child_process";
import { cpSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

rmSync(new URL("../dist/", import.meta.url), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
cpSync(new URL("../src/ui/public/", import.meta.url), new URL("../dist/ui/public/", import.meta.url), { recursive: true });
