#!/usr/bin/env -S npx tsx
// Generates per-agent NATS users and permissions: tsx scripts/auth.ts --out DIR AGENT [AGENT...]
import { runAuthCommand } from "../src/cli/auth.ts";

process.exitCode = await runAuthCommand(process.argv.slice(2));
