import { test } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { loadConfig } from "../../src/config/config.ts";
import { ConfigError } from "../../src/errors.ts";
import { agentConnection } from "../../src/security/identity.ts";
import { Verifier } from "../../src/security/verify.ts";
import { createLogger } from "../../src/logger.ts";
import { secretsDir } from "../helpers/secrets.ts";
import type { KV } from "@nats-io/kv";

test("security config: defaults leave every security feature off", () => {
  const c = loadConfig({});
  assert.equal(c.verify, "off");
  assert.equal(c.seal, "off");
  assert.equal(c.sealKeyChange, "refuse");
  assert.equal(loadConfig({ NATTER_SEAL: "direct", NATTER_SEAL_KEY_CHANGE: "accept" }).seal, "direct");
  assert.equal(c.rateLimit, 0);
  assert.equal(c.credentialsDir, undefined);
  assert.equal(agentConnection(c, "Alice"), undefined);
});

test("security config: invalid values name the variable and what was expected", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ NATTER_VERIFY: "strict" }, /NATTER_VERIFY: expected off, warn or enforce/],
    [{ NATTER_RATE_LIMIT: "-1" }, /NATTER_RATE_LIMIT: expected a whole number/],
    [{ NATTER_SEAL: "all" }, /NATTER_SEAL: expected off or direct/],
    [{ NATTER_SEAL_KEY_CHANGE: "yes" }, /NATTER_SEAL_KEY_CHANGE: expected refuse or accept/],
    [{ NATTER_RATE_BURST: "0" }, /NATTER_RATE_BURST: expected a whole number from 1/],
    [{ NATTER_REPLAY_WINDOW_MS: "10" }, /NATTER_REPLAY_WINDOW_MS: expected a whole number from 1000/],
  ];
  for (const [env, message] of cases) assert.throws(() => loadConfig(env), (e: unknown) => e instanceof ConfigError && message.test(e.message));
});

test("security config: a missing agent key or a bad trusted-keys file is a ConfigError", () => {
  const s = secretsDir();
  try {
    assert.throws(() => agentConnection(loadConfig({ NATTER_CREDENTIALS_DIR: s.dir }), "Alice"), /NATTER_CREDENTIALS_DIR: no Alice\.creds or Alice\.nk/);
    const file = join(s.dir, "keys.json");
    writeFileSync(file, JSON.stringify({ Alice: "not-a-key" }));
    const config = loadConfig({ NATTER_VERIFY: "enforce", NATTER_TRUSTED_KEYS: file });
    assert.throws(() => new Verifier({} as KV, config, createLogger({ level: "silent" })), /NATTER_TRUSTED_KEYS: .*Alice expected a user public NKey/);
  } finally {
    s.dispose();
  }
});
