// Chaos: JetStream switched off and on under a running host (the server restarted without, then with, -js).
import { test } from "node:test";
import assert from "node:assert/strict";
import { connectClient, loadConfig } from "../../src/index.ts";
import { startServer } from "../helpers/nats-server.ts";
import { startHostProcess } from "../helpers/hosts.ts";

test("start: JetStream switched off and on under a running host: one unavailable line, one back line, messages flow again", { timeout: 120_000 }, async () => {
  const on = await startServer();
  const url = on.url;
  const host = await startHostProcess(["test/fixtures/echo.ts"], { NATS_URL: url });
  const client = await connectClient({ name: "jsflip", config: loadConfig({ NATS_URL: url, NATTER_LOG_LEVEL: "silent", NATTER_REQUEST_TIMEOUT_MS: "20000" }) });
  let off: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    await on.stop();
    off = await startServer({ port: on.port, jetstream: false });
    await host.waitForLog((l) => /jetstream\.unavailable/.test(l), 30_000);
    // Several failed pulls' worth of time.
    await new Promise((r) => setTimeout(r, 4000));
    await off.dispose();
    await on.start();
    const sent = await client.sendDirectMessage("Echo", "after the flip");
    await host.waitForLog((l) => l.includes("echo.got") && l.includes("after the flip"), 60_000);
    assert.ok(sent.seq > 0);
    const log = host.log();
    assert.equal(log.match(/jetstream\.unavailable/g)?.length, 1, log);
    assert.equal(log.match(/jetstream\.available/g)?.length, 1, log);
    assert.doesNotMatch(log, /mailbox\.pull_failed.*503/);
  } finally {
    await client.close();
    await host.kill("SIGKILL");
    await off?.dispose();
    await on.dispose();
  }
});
