#!/usr/bin/env -S npx tsx
// The `natter` command run from the repo's TypeScript (npm run natter -- ARGS); the package runs dist/cli/bin.js.
import "../src/cli/bin.ts";
