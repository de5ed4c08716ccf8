#!/usr/bin/env -S npx tsx
// The three-agent demo: tsx scripts/demo.ts [--once]. See the README.
import { fileURLToPath } from "node:url";
import { createLogger, loadConfig, NatterError, type Config } from "../src/index.ts";
import { isListening, startEmbeddedServer, type EmbeddedServer } from "../src/transport/index.ts";
import { loadLLMConfig, selectModel } from "../src/llm/index.ts";
import { runDemoFlow, STEPS } from "./demo/flow.ts";

const USAGE = `usage: tsx scripts/demo.ts [--once]

Runs Weather-Bot, Task-Coordinator and General-Assistant and walks through the six steps of the seed demo, then capability routing and streamed progress.
  --once   run the steps and exit (0 when every step saw its messages), instead of running until Ctrl+C
NATS_URL (default nats://127.0.0.1:4222): when nothing answers there, an embedded nats-server is started.
NATTER_LLM=auto|openai|offline, OPENAI_BASE_URL, NATTER_MODEL: the model; with none answering, the offline planner.`;

const out = (line: string) => process.stdout.write(line + "\n");

async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) return (out(USAGE), 0);
  const unknown = argv.find((a) => a !== "--once");
  if (unknown) return (process.stderr.write(`unknown option ${unknown}\n${USAGE}\n`), 2);
  const once = argv.includes("--once");
  let config: Config;
  let llm;
  try {
    config = loadConfig(process.env.NATTER_LOG_LEVEL ? process.env : { ...process.env, NATTER_LOG_LEVEL: "warn" });
    llm = loadLLMConfig();
  } catch (err) {
    process.stderr.write(`demo: ${(err as Error).message}\n`);
    return 2;
  }
  const logger = createLogger({ level: config.logLevel, format: config.logFormat });

  let embedded: EmbeddedServer | undefined;
  const reachable = (await Promise.all(config.servers.map((s) => isListening(s, 1000)))).some(Boolean);
  if (reachable) out(`NATS: using the server at ${config.servers.join(", ")} (NATS_URL).`);
  else {
    out(`NATS: nothing answers at ${config.servers.join(", ")} (NATS_URL); starting an embedded nats-server from nats-server.conf...`);
    try {
      embedded = await startEmbeddedServer({ configFile: fileURLToPath(new URL("../nats-server.conf", import.meta.url)) });
    } catch (err) {
      process.stderr.write(`demo: ${(err as Error).message}\n`);
      return 1;
    }
    config = { ...config, servers: [embedded.url] };
    out(`NATS: embedded nats-server at ${embedded.url} (monitoring ${embedded.monitorUrl}), store in ${embedded.dir}; it stops when the demo exits.`);
  }

  try {
    const model = await selectModel(llm, logger);
    out(
      model.offline
        ? `Model: OFFLINE PLANNER, a deterministic rule-based stand-in (not a language model): ${llm.mode === "offline" ? "NATTER_LLM=offline" : `no model server answered at ${llm.baseUrl} (OPENAI_BASE_URL)`}. Its messages are marked [offline planner].`
        : `Model: ${llm.model} at ${llm.baseUrl}.`,
    );
    const run = await runDemoFlow({ config, logger, out, stepTimeoutMs: model.offline ? 15_000 : llm.timeoutMs });
    out("");
    out(`Done: ${run.passed.length}/${STEPS.length} steps saw all their messages${run.failed.length ? `; failed: ${run.failed.join(", ")}` : ""}.`);
    printNext(config, run.threads.get(6), embedded !== undefined && once);
    if (!once) {
      out("");
      // Listening before saying so: a Ctrl+C sent the moment the line appears must stop the demo, not kill it.
      const stopAsked = new Promise<void>((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      });
      out("The agents keep running (try the commands above in another terminal). Press Ctrl+C to stop.");
      await stopAsked;
      out("Stopping... (Ctrl+C again to quit at once)");
      // A second Ctrl+C quits now; exiting (rather than dying by the signal) still stops an embedded server.
      const quit = () => process.exit(130);
      process.once("SIGINT", quit);
      process.once("SIGTERM", quit);
    }
    await run.stop();
    return run.failed.length === 0 ? 0 : 1;
  } catch (err) {
    process.stderr.write(`demo: ${err instanceof NatterError ? err.message : ((err as Error).stack ?? String(err))}\n`);
    return 1;
  } finally {
    await embedded?.stop();
  }
}

function printNext(config: Config, chained: string | undefined, gone: boolean): void {
  const url = config.servers[0]!;
  const env = url === "nats://127.0.0.1:4222" ? "" : `NATS_URL=${url} `;
  const server = url === "nats://127.0.0.1:4222" ? "" : ` --server ${url}`;
  out("");
  out("Where to look next:");
  out(`  ${env}npx natter agents              # who is registered, with status and capabilities`);
  out(`  ${env}npx natter replay              # the stored messages of this run, in order`);
  if (chained) out(`  ${env}npx natter thread ${chained}   # step 6 as a tree of who asked whom`);
  out(`  ${env}npx natter tail                # watch messages live while the demo runs`);
  out(`  nats kv ls natter-registry${server}      # the registry with the nats CLI`);
  out(`  nats stream view AGENTS${server}         # stored direct messages, handoffs and broadcasts`);
  if (gone) out("  (the embedded server stops with --once; run without --once, or start `nats-server -c nats-server.conf`, to look around)");
}

process.exitCode = await main(process.argv.slice(2));
