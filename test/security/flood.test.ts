import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { connectClient, type Client } from "../../src/agent/client.ts";
import { defineAgent } from "../../src/agent/define.ts";
import { startHost, type Host } from "../../src/agent/host.ts";
import { loadConfig } from "../../src/config/config.ts";
import { createEnvelope, encodeEnvelope } from "../../src/protocol/envelope.ts";
import { ERROR_CODES, HEADERS } from "../../src/protocol/headers.ts";
import { requestSubject } from "../../src/protocol/subjects.ts";
import { generateAuth } from "../../src/security/generate.ts";
import { openBus } from "../../src/transport/bus.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import { connectRogue, type Rogue } from "../helpers/rogue.ts";
import { secretsDir, type SecretsDir } from "../helpers/secrets.ts";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

describe("security: one sender flooding an agent (natter auth users, enforce, 10/s per sender)", () => {
  let secrets: SecretsDir;
  let srv: TestServer;
  let host: Host;
  let steady: Client;
  let rogue: Rogue;

  before(async () => {
    secrets = secretsDir();
    const auth = generateAuth({ agents: ["Alice", "Steady", "Rogue"], dir: secrets.dir });
    srv = await startServer({ extraConfig: readFileSync(auth.confFile, "utf8") });
    // Agent users cannot create streams: the admin provisions them.
    await (await openBus(loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent", NATS_NKEY: auth.seedFiles.admin! }))).close();
    const config = loadConfig({
      NATS_URL: srv.url,
      NATTER_LOG_LEVEL: "silent",
      NATTER_HEARTBEAT_MS: "60000",
      NATTER_CREDENTIALS_DIR: secrets.dir,
      NATTER_VERIFY: "enforce",
      NATTER_TRUSTED_KEYS: auth.trustedKeysFile,
      NATTER_RATE_LIMIT: "10",
      NATTER_RATE_BURST: "10",
    });
    // Work that takes a while, as a real handler's does: the flooder's share of it is what could crowd out others.
    const alice = defineAgent({ name: "Alice", concurrency: 4, onRequest: async () => (await sleep(20), "ok") });
    host = await startHost({ agents: [alice], config });
    steady = await connectClient({ name: "Steady", config });
    rogue = await connectRogue(srv.url, auth, "Rogue");
  });
  after(async () => {
    await rogue?.nc.close();
    await steady?.close();
    await host?.stop();
    await srv?.dispose();
    secrets?.dispose();
  });

  /** Latencies of `n` requests asked 4 times a second, each without waiting for the last; all must be answered. */
  const askSteadily = async (n: number): Promise<number[]> => {
    const calls: Promise<number>[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      calls.push(steady.requestFromAgent("Alice", `q${i}`, { timeoutMs: 5000 }).then(() => performance.now() - t0));
      await sleep(250);
    }
    return Promise.all(calls);
  };

  /** Signed requests from the rogue at `perSecond` for `ms`; the error codes of the answers ("" for served). */
  const flood = async (perSecond: number, ms: number): Promise<string[]> => {
    const answers: Promise<string>[] = [];
    const end = Date.now() + ms;
    while (Date.now() < end) {
      for (let i = 0; i < perSecond / 20; i++) {
        const data = encodeEnvelope(createEnvelope({ type: "request", from: "Rogue", to: "Alice", content: "flood" }));
        const answer = rogue.nc.request(requestSubject("Alice"), data, { timeout: 10_000, headers: rogue.signer.sign(data) });
        answers.push(answer.then((m) => m.headers?.get(HEADERS.errorCode) ?? "", (err: Error) => `failed: ${err.message}`));
      }
      await sleep(50);
    }
    return Promise.all(answers);
  };

  test("flood: a steady caller gets every answer within 3x its p50 alone while another agent asks at 10x its rate", async (t) => {
    await askSteadily(4); // warm-up: connections, key look-ups
    const alone = await askSteadily(8);
    const [underFlood, codes] = await Promise.all([askSteadily(16), flood(100, 4000)]);
    const served = codes.filter((c) => c === "").length;
    const limited = codes.filter((c) => c === ERROR_CODES.rateLimited).length;
    const ratio = median(underFlood) / median(alone);
    t.diagnostic(`flood: steady p50 ${median(alone).toFixed(1)} ms alone, ${median(underFlood).toFixed(1)} ms under flood (x${ratio.toFixed(2)}); flooder sent ${codes.length}: ${served} served, ${limited} rate_limited`);
    assert.equal(served + limited, codes.length, `every flood request is served or refused as rate_limited: ${[...new Set(codes)].join(", ")}`);
    assert.ok(served <= 10 + 10 * 5, `the flooder is held to its burst and rate (served ${served})`);
    assert.ok(ratio <= 3, `steady p50 under the flood is x${ratio.toFixed(2)} of alone`);
  });
});
