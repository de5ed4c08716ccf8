import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connectClient, loadConfig } from "../../src/index.ts";
import { freePort, startServer } from "../helpers/nats-server.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

test("start: a host started 3 s before its server waits for it, logging each attempt, and serves", { timeout: 90_000 }, async () => {
  const port = await freePort();
  const url = `nats://127.0.0.1:${port}`;
  const child = spawn(process.execPath, ["--import", "tsx", "scripts/agent.ts", "test/fixtures/echo.ts"], {
    cwd: ROOT,
    env: { ...process.env, NATS_URL: url, NATTER_LOG_LEVEL: "info" },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  child.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once("close", resolve));
  const logShows = async (pattern: RegExp, timeoutMs: number) => {
    for (const until = Date.now() + timeoutMs; !pattern.test(log); await new Promise((r) => setTimeout(r, 50))) {
      if (Date.now() > until || child.exitCode !== null) throw new Error(`log never showed ${pattern}: ${log.slice(-2000)}`);
    }
  };
  let srv: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    // Counted from its first attempt, not from the spawn: starting tsx takes seconds on a loaded machine.
    await logShows(/nats\.waiting.*attempt=1/, 60_000);
    await new Promise((r) => setTimeout(r, 3000));
    assert.ok((log.match(/nats\.waiting/g) ?? []).length >= 3, `one line per attempt while it waits: ${log}`);
    srv = await startServer({ port });
    await logShows(/host\.ready/, 30_000);
    assert.match(log, /nats\.connected/);
    const client = await connectClient({ config: loadConfig({ NATS_URL: url, NATTER_LOG_LEVEL: "silent" }) });
    try {
      assert.equal((await client.requestFromAgent("Echo", "hi")).content, "echo: hi");
    } finally {
      await client.close();
    }
  } finally {
    child.kill("SIGKILL");
    await exited;
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
