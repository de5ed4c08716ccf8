#!/usr/bin/env -S npx tsx
// Runs agent modules against NATS_URL until SIGINT/SIGTERM: tsx scripts/agent.ts PATH [PATH...]
import { runAgentHost } from "../src/cli/agent-host.ts";

process.exitCode = await runAgentHost(process.argv.slice(2));
