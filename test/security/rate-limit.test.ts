import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { defineAgent } from "../../src/agent/define.ts";
import { startHost, type Host } from "../../src/agent/host.ts";
import { connectClient, type Client } from "../../src/agent/client.ts";
import { loadConfig } from "../../src/config/config.ts";
import { RemoteError } from "../../src/errors.ts";
import { createLogger } from "../../src/logger.ts";
import type { Envelope } from "../../src/protocol/envelope.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

describe("security: per-sender rate limit", () => {
  let srv: TestServer;
  let host: Host;
  let flooder: Client;
  let polite: Client;
  const handled: Envelope[] = [];
  const lines: string[] = [];

  before(async () => {
    srv = await startServer();
    const logger = createLogger({ level: "info", format: "json", write: (l) => lines.push(l) });
    const target = defineAgent({
      name: "Target",
      concurrency: 4,
      onRequest: () => "ok",
      onMessage: (m) => {
        handled.push(m);
      },
    });
    host = await startHost({ agents: [target], config: loadConfig({ NATS_URL: srv.url, NATTER_RATE_LIMIT: "5", NATTER_RATE_BURST: "5" }), logger });
    const plain = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent" });
    flooder = await connectClient({ name: "flooder", config: plain });
    polite = await connectClient({ name: "polite", config: plain });
  });
  after(async () => {
    await flooder?.close();
    await polite?.close();
    await host?.stop();
    await srv?.dispose();
  });

  test("rate limit: requests over a sender's limit get a rate_limited error; other senders are served", async () => {
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => flooder.requestFromAgent("Target", `q${i}`)));
    const ok = results.filter((r) => r.status === "fulfilled").length;
    const limited = results.filter((r) => r.status === "rejected" && r.reason instanceof RemoteError && r.reason.code === "rate_limited");
    assert.equal(ok + limited.length, 20, "every request is either answered or refused as rate_limited");
    assert.ok(ok >= 5 && ok < 20, `the burst passes and the flood does not (answered ${ok})`);
    assert.match(String((limited[0] as PromiseRejectedResult).reason.message), /too many requests from "flooder"/);
    assert.equal((await polite.requestFromAgent("Target", "hello")).content, "ok");
  });

  test("rate limit: mailbox messages over the limit are delayed, not dropped, and do not hold up other senders", async () => {
    const flood = await Promise.all(Array.from({ length: 15 }, (_, i) => flooder.sendDirectMessage("Target", `flood ${i}`)));
    const civil = await polite.sendDirectMessage("Target", "civil");
    await waitFor(() => flood.every((s) => handled.some((m) => m.id === s.envelope.id)), 20_000);
    const order = handled.map((m) => m.id);
    for (const s of flood) assert.equal(order.filter((id) => id === s.envelope.id).length, 1, "each flood message handled exactly once");
    assert.ok(order.indexOf(civil.envelope.id) < order.indexOf(flood.at(-1)!.envelope.id), "the polite sender is not stuck behind the flood");
    assert.ok(lines.some((l) => l.includes("mailbox.delayed") && l.includes("flooder")), "the delay is logged");
  });
});

async function waitFor(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("timed out waiting");
    await sleep(20);
  }
}
