#!/usr/bin/env node
// The `natter` command of the installed package (package.json "bin"), built to dist/cli/bin.js.
import { runNatter } from "./main.ts";

process.exitCode = await runNatter(process.argv.slice(2));
// A command that has finished exits, even when a handler it ran left a timer or socket open.
setTimeout(() => process.exit(), 1000).unref();
