#!/usr/bin/env -S npx tsx
// Runs agent modules against NATS_URL until SIGINT/SIGTERM: tsx scripts/agent.ts PATH [PATH...]
import { runAgentHost } from "../src/cli/agent-host.ts";

// Exit explicitly: a handler that ignored the shutdown deadline may still hold timers open.
process.exit(await runAgentHost(process.argv.slice(2)));
