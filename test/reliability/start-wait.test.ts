import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connectClient, loadConfig } from "../../src/index.ts";
import { freePort, startServer } from "../helpers/nats-server.ts";
import { startHostProcess } from "../helpers/hosts.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

test("start: a host started 3 s before its server waits for it, logging each attempt, and serves", { timeout: 90_000 }, async () => {
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  let srv: Awaited<ReturnType<typeof startServer>> | undefined;
  const later = new Promise<void>((resolve) => setTimeout(resolve, 3000)).then(async () => (srv = await startServer({ port })));
  const host = await startHostProcess(["test/fixtures/echo.ts"], { NATS_URL: url });
  try {
    await later;
    assert.match(host.log(), /nats\.waiting.*attempt=1/);
    assert.match(host.log(), /nats\.connected/);
    const client = await connectClient({ config: loadConfig({ NATS_URL: url, NATTER_LOG_LEVEL: "silent" }) });
    try {
      assert.equal((await client.requestFromAgent("Echo", "hi")).content, "echo: hi");
    } finally {
      await client.close();
    }
  } finally {
    await host.kill("SIGKILL");
    await srv?.dispose();
  }
});

test("start: --wait-ms 1000 with no server exits 1 with one line, no stack", { timeout: 30_000 }, async () => {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/agent.ts", "--wait-ms", "1000", "test/fixtures/echo.ts"], {
    cwd: ROOT,
    env: { ...process.env, NATS_URL: `nats://127.0.0.1:${port}`, NATTER_LOG_LEVEL: "info" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const t0 = Date.now();
  const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
  const failed = log.split("\n").filter((l) => l.includes("host.failed"));
  assert.equal(code, 1, log);
  assert.equal(failed.length, 1, log);
  assert.match(failed[0]!, /cannot connect to NATS at nats:\/\/127\.0\.0\.1:\d+.*tried \d+ times/);
  assert.doesNotMatch(log, /\n\s+at /, "no stack trace");
  assert.ok(Date.now() - t0 < 20_000);
});

test("start: a host whose server has no JetStream exits 1 with one line naming the fix", { timeout: 30_000 }, async () => {
  const srv = await startServer({ jetstream: false });
  try {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/agent.ts", "test/fixtures/echo.ts"], {
      cwd: ROOT,
      env: { ...process.env, NATS_URL: srv.url, NATTER_LOG_LEVEL: "info" },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let log = "";
    child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve));
    assert.equal(code, 1, log);
    assert.match(log, /host\.failed error="jetstream is not enabled at nats:\/\/127\.0\.0\.1:\d+ \(start nats-server with -js/);
    assert.doesNotMatch(log, /\n\s+at /, "no stack trace");
  } finally {
    await srv.dispose();
  }
});
