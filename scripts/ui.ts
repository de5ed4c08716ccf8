#!/usr/bin/env -S npx tsx
// Serves the web console against NATS_URL until SIGINT/SIGTERM: tsx scripts/ui.ts [--port N] [--host ADDR]
import { runUiCommand } from "../src/cli/ui.ts";

process.exitCode = await runUiCommand(process.argv.slice(2));
