// Replay benchmark: stores N messages (default 100,000) in a private nats-server, then times
// readStream with filters matching 1%: one the server can apply (--to) and two it cannot (--thread, --agent).
//   tsx scripts/bench-replay.ts [N]
import { startServer } from "../test/helpers/nats-server.ts";
import { collectStream } from "../src/inspect/index.ts";
import { createEnvelope, directSubject, encodeEnvelope } from "../src/protocol/index.ts";
import { loadConfig } from "../src/index.ts";
import { openBus } from "../src/transport/index.ts";

const total = Number(process.argv[2] ?? 100_000);
const srv = await startServer();
try {
  const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "warn" });
  const bus = await openBus(config);
  const started = performance.now();
  for (let i = 0; i < total; i++) {
    const rare = i % 100 === 0;
    const to = rare ? "Target" : `Worker${i % 7}`;
    const envelope = createEnvelope({ type: "direct", from: "Bench", to, content: `message ${i}`, threadId: rare ? "rare-thread" : `t${i % 500}` });
    // Core publishes into the stream's subjects: stored without waiting for an ack each.
    bus.nc.publish(directSubject(to), encodeEnvelope(envelope));
    if (i % 5000 === 4999) await bus.nc.flush();
  }
  await bus.nc.flush();
  while ((await bus.jsm.streams.info(config.stream)).state.messages < total) await new Promise((r) => setTimeout(r, 100));
  console.log(`stored ${total} messages in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  for (const [label, filter] of [
    ["--to Target (server-side filter subject)", { to: "Target" }],
    ["--thread rare-thread (client-side, full scan)", { thread: "rare-thread" }],
    ["--agent Target (client-side, full scan)", { agent: "Target" }],
    ["no filter (all messages)", {}],
  ] as const) {
    const t0 = performance.now();
    const found = await collectStream(bus, { filter });
    console.log(`${label}: ${found.length} matched in ${((performance.now() - t0) / 1000).toFixed(2)} s`);
  }
  await bus.close();
} finally {
  await srv.dispose();
}
