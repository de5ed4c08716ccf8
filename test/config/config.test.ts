import { test } from "node:test";
import assert from "node:assert/strict";
import { ConfigError, loadConfig } from "../../src/index.ts";
import { handlerGraceMs } from "../../src/config/config.ts";

test("config: defaults without any variable", () => {
  const c = loadConfig({});
  assert.deepEqual(c.servers, ["nats://127.0.0.1:4222"]);
  assert.equal(c.stream, "AGENTS");
  assert.equal(c.registryBucket, "natter-registry");
  assert.equal(c.heartbeatMs, 30_000);
  assert.equal(c.registryTtlMs, 90_000);
  assert.equal(c.maxMessageBytes, 1_048_576);
  assert.equal(c.concurrency, 8);
  assert.equal(c.user, undefined);
});

test("config: reads the nats CLI's variables and natter's own", () => {
  const c = loadConfig({
    NATS_URL: "nats://a:4222, nats://b:4222",
    NATS_USER: "u",
    NATS_PASSWORD: "p",
    NATS_TOKEN: "t",
    NATS_CREDS: "/x.creds",
    NATS_NKEY: "/x.nk",
    NATS_CA: "/ca.pem",
    NATS_CERT: "/c.pem",
    NATS_KEY: "/k.pem",
    NATTER_HEARTBEAT_MS: "1000",
    NATTER_STREAM: "MY_AGENTS",
    NATTER_RETRY_DELAYS_MS: "10,20",
    NATTER_LOG_FORMAT: "json",
  });
  assert.deepEqual(c.servers, ["nats://a:4222", "nats://b:4222"]);
  assert.equal(c.user, "u");
  assert.equal(c.password, "p");
  assert.equal(c.token, "t");
  assert.equal(c.credsFile, "/x.creds");
  assert.equal(c.nkeyFile, "/x.nk");
  assert.equal(c.caFile, "/ca.pem");
  assert.equal(c.heartbeatMs, 1000);
  assert.equal(c.registryTtlMs, 3000, "the TTL follows the heartbeat when not set");
  assert.equal(c.stream, "MY_AGENTS");
  assert.deepEqual(c.retryDelaysMs, [10, 20]);
  assert.equal(c.logFormat, "json");
});

test("config: overrides win over the environment", () => {
  assert.equal(loadConfig({ NATTER_CONCURRENCY: "4" }, { concurrency: 2 }).concurrency, 2);
});

test("config: a bad value fails naming the variable and what was expected", () => {
  const cases: [Record<string, string>, RegExp][] = [
    [{ NATTER_HEARTBEAT_MS: "abc" }, /^NATTER_HEARTBEAT_MS: expected a whole number from 100 to \d+, got "abc"$/],
    [{ NATTER_HEARTBEAT_MS: "-5" }, /NATTER_HEARTBEAT_MS: expected a whole number/],
    [{ NATTER_CONCURRENCY: "0" }, /NATTER_CONCURRENCY: expected a whole number from 1 to 10000, got "0"/],
    [{ NATTER_REPLICAS: "7" }, /NATTER_REPLICAS: expected a whole number from 1 to 5/],
    [{ NATS_URL: "http://x" }, /NATS_URL: expected URLs like nats:\/\/127.0.0.1:4222/],
    [{ NATS_URL: " , " }, /NATS_URL: expected one or more server URLs/],
    [{ NATTER_STREAM: "a.b" }, /NATTER_STREAM: expected 1-64 letters/],
    [{ NATTER_LOG_LEVEL: "loud" }, /NATTER_LOG_LEVEL: expected debug, info, warn, error or silent, got "loud"/],
    [{ NATTER_RETRY_DELAYS_MS: "1s" }, /NATTER_RETRY_DELAYS_MS: expected comma-separated milliseconds/],
    [{ NATS_USER: "only-user" }, /NATS_USER and NATS_PASSWORD must be set together/],
    [{ NATS_CERT: "/c.pem" }, /NATS_CERT and NATS_KEY must be set together/],
    [{ NATTER_HEARTBEAT_MS: "5000", NATTER_REGISTRY_TTL_MS: "4000" }, /NATTER_REGISTRY_TTL_MS \(4000\) must be longer than NATTER_HEARTBEAT_MS \(5000\)/],
  ];
  for (const [env, why] of cases) {
    assert.throws(() => loadConfig(env), (err: unknown) => err instanceof ConfigError && why.test(err.message), `${JSON.stringify(env)} → ${why}`);
  }
});

test("config: NATTER_SHUTDOWN_MS bounds a stop; handlers get NATTER_SHUTDOWN_TIMEOUT_MS of it, or all but the closing reserve", () => {
  const cases: [Record<string, string>, number, number][] = [
    [{}, 5000, 3000],
    [{ NATTER_SHUTDOWN_MS: "20000" }, 20_000, 18_000],
    [{ NATTER_SHUTDOWN_MS: "1000" }, 1000, 500],
    [{ NATTER_SHUTDOWN_MS: "8000", NATTER_SHUTDOWN_TIMEOUT_MS: "1000" }, 8000, 1000],
    // An older setup that only set the handlers' time keeps it: the bound grows to fit.
    [{ NATTER_SHUTDOWN_TIMEOUT_MS: "10000" }, 12_000, 10_000],
  ];
  for (const [env, shutdownMs, graceMs] of cases) {
    const c = loadConfig(env);
    assert.equal(c.shutdownMs, shutdownMs, JSON.stringify(env));
    assert.equal(handlerGraceMs(c), graceMs, JSON.stringify(env));
  }
  assert.throws(() => loadConfig({ NATTER_SHUTDOWN_MS: "3000", NATTER_SHUTDOWN_TIMEOUT_MS: "3000" }), /NATTER_SHUTDOWN_TIMEOUT_MS \(3000\) must leave 1500 ms of NATTER_SHUTDOWN_MS \(3000\)/);
});

test("config: NATTER_METRICS_PORT is off by default, takes 0 to 65535, and names the variable when it is bad", () => {
  assert.equal(loadConfig({}).metricsPort, undefined);
  assert.equal(loadConfig({ NATTER_METRICS_PORT: "0" }).metricsPort, 0);
  assert.equal(loadConfig({ NATTER_METRICS_PORT: "9464" }).metricsPort, 9464);
  for (const bad of ["65536", "-1", "http", "94.6"]) {
    assert.throws(() => loadConfig({ NATTER_METRICS_PORT: bad }), (err: unknown) => err instanceof ConfigError && /NATTER_METRICS_PORT: expected a whole number from 0 to 65535/.test(err.message), bad);
  }
});
