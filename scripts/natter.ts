#!/bin/sh
":" //; exec node --import "$(dirname "$(readlink -f "$0")")/../node_modules/tsx/dist/loader.mjs" "$0" "$@"
// The `natter` command (package.json "bin"). The line above is both shell and TypeScript: run as a command
// (npx natter, npm exec, a symlink), sh re-runs this file under node with this project's tsx from any
// working directory, which `#!/usr/bin/env -S node --import tsx` cannot (it resolves tsx from the cwd). tsx sees a string.
import { runNatter } from "../src/cli/main.ts";

process.exitCode = await runNatter(process.argv.slice(2));
