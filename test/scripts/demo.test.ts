import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort, startServer, type TestServer } from "../helpers/nats-server.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
let srv: TestServer;
before(async () => {
  srv = await startServer();
});
after(() => srv.dispose());

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `tsx scripts/demo.ts` with `env`; `untilLine` sends SIGINT once stdout contains it. */
function demo(args: string[], env: Record<string, string>, untilLine?: string): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "scripts/demo.ts", ...args], {
      cwd: ROOT,
      env: { ...process.env, NATTER_LLM: "offline", NATTER_LOG_LEVEL: "warn", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), 120_000);
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (untilLine && stdout.includes(untilLine)) {
        untilLine = undefined;
        child.kill("SIGINT");
      }
    });
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    // "close", not "exit": by then everything it wrote has been read.
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, stdout: signal ? `${stdout}\n[killed by ${signal}]` : stdout, stderr });
    });
  });
}

function assertSixSteps(out: string): void {
  for (let n = 1; n <= 8; n++) {
    assert.ok(out.includes(`━━ Step ${n}/8`), `step ${n} missing:\n${out}`);
    assert.ok(out.includes(`✓ step ${n} done`), `step ${n} not done:\n${out}`);
  }
  assert.match(out, /Done: 8\/8 steps saw all their messages\./);
  assert.match(out, /Demo → \(capability weather = Weather-Bot\)/);
  assert.match(out, /progress #\d+: step 1: ask_agent/);
  assert.match(out, /✉ direct {4}Task-Coordinator → Weather-Bot/);
  assert.match(out, /⇢ handoff {3}Task-Coordinator → General-Assistant/);
  assert.match(out, /SIMULATED forecast for London/);
  assert.match(out, /OFFLINE PLANNER/);
  assert.match(out, /nats stream view AGENTS/);
}

test("demo: --once against an already running server shows all eight steps and exits 0", async () => {
  const ran = await demo(["--once"], { NATS_URL: srv.url });
  assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  assert.ok(ran.stdout.includes(`NATS: using the server at ${srv.url}`));
  assertSixSteps(ran.stdout);
});

test("demo: --once with nothing at NATS_URL starts an embedded nats-server, then stops it", async () => {
  const ran = await demo(["--once"], { NATS_URL: `nats://127.0.0.1:${await freePort()}` });
  assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  assert.match(ran.stdout, /starting an embedded nats-server from nats-server.conf/);
  assertSixSteps(ran.stdout);
  const url = /embedded nats-server at (nats:\/\/\S+)/.exec(ran.stdout)?.[1];
  assert.ok(url);
  const { isListening } = await import("../../src/transport/embedded.ts");
  assert.equal(await isListening(url, 500), false, "the embedded server is stopped on exit");
});

test("demo: without nats-server installed it says how to install it and exits non-zero", async () => {
  const ran = await demo(["--once"], { NATS_URL: `nats://127.0.0.1:${await freePort()}`, NATS_SERVER_BIN: "/nonexistent/nats-server" });
  assert.equal(ran.code, 1);
  assert.match(ran.stderr, /nats-server is not installed.*apt-get install nats-server/);
});

test("demo: without --once it keeps running until Ctrl+C, then stops cleanly", async () => {
  const ran = await demo([], { NATS_URL: srv.url }, "Press Ctrl+C to stop.");
  assert.equal(ran.code, 0, ran.stdout + ran.stderr);
  assert.match(ran.stdout, /Stopping\.\.\./);
});
