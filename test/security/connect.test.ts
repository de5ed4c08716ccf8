import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createUser } from "@nats-io/nkeys";
import { createLogger } from "../../src/logger.ts";
import { loadConfig } from "../../src/config/config.ts";
import { connectNats } from "../../src/transport/connect.ts";
import { openBus } from "../../src/transport/bus.ts";
import { NatterError } from "../../src/errors.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import { makeCerts, makeOperator, secretsDir, type SecretsDir } from "../helpers/secrets.ts";

const quiet = { NATTER_LOG_LEVEL: "silent", NATTER_CONNECT_TIMEOUT_MS: "3000" };

/** Connects with `env`, opens the bus (provisioning streams) and does a JetStream round trip. */
async function roundTrip(url: string, env: Record<string, string>): Promise<void> {
  const bus = await openBus(loadConfig({ NATS_URL: url, ...quiet, ...env }));
  try {
    await bus.registry.put("probe.one", "x");
    assert.equal((await bus.registry.get("probe.one"))?.string(), "x");
  } finally {
    await bus.close();
  }
}

/** Expects connecting with `env` to fail with the one-line auth error, quickly and without retrying. */
async function assertAuthFails(url: string, env: Record<string, string>): Promise<void> {
  const started = Date.now();
  await assert.rejects(connectNats(loadConfig({ NATS_URL: url, ...quiet, ...env })), (err: unknown) => {
    assert.ok(err instanceof NatterError, `expected a NatterError, got ${String(err)}`);
    assert.equal(err.code, "auth_failed");
    assert.match(err.message, /^authentication failed at nats:\/\/127\.0\.0\.1:\d+/);
    assert.doesNotMatch(err.message, /\n/);
    return true;
  });
  // No retry loop: the failure comes back well before the connect timeout would have fired twice.
  assert.ok(Date.now() - started < 6000, "auth failure should not be retried");
}

describe("security: connections", () => {
  let secrets: SecretsDir;
  const servers: TestServer[] = [];
  const serve = async (extraConfig: string) => {
    const srv = await startServer({ extraConfig });
    servers.push(srv);
    return srv;
  };
  before(() => {
    secrets = secretsDir();
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.dispose()));
    secrets.dispose();
  });

  test("connect: token authentication works and a wrong or missing token fails with one line", async () => {
    const srv = await serve(`authorization { token: "t0ken-for-tests" }`);
    await roundTrip(srv.url, { NATS_TOKEN: "t0ken-for-tests" });
    await assertAuthFails(srv.url, { NATS_TOKEN: "wrong" });
    await assertAuthFails(srv.url, {});
  });

  test("connect: user/password authentication works and a wrong password fails with one line", async () => {
    const srv = await serve(`authorization { users: [ { user: "agent", password: "pw-for-tests" } ] }`);
    await roundTrip(srv.url, { NATS_USER: "agent", NATS_PASSWORD: "pw-for-tests" });
    await assertAuthFails(srv.url, { NATS_USER: "agent", NATS_PASSWORD: "nope" });
    await assertAuthFails(srv.url, {});
  });

  test("connect: nkey authentication from a seed file works; an unknown key fails with one line", async () => {
    const user = createUser();
    const seedFile = secrets.write("agent.nk", new TextDecoder().decode(user.getSeed()) + "\n");
    const stranger = secrets.write("stranger.nk", new TextDecoder().decode(createUser().getSeed()));
    const srv = await serve(`authorization { users: [ { nkey: "${user.getPublicKey()}" } ] }`);
    await roundTrip(srv.url, { NATS_NKEY: seedFile });
    await assertAuthFails(srv.url, { NATS_NKEY: stranger });
  });

  test("connect: creds file (operator mode JWT) works; a user of an unknown account fails with one line", async () => {
    const op = await makeOperator(secrets);
    const srv = await serve(op.serverConfig);
    await roundTrip(srv.url, { NATS_CREDS: op.creds });
    await assertAuthFails(srv.url, { NATS_CREDS: op.foreignCreds });
  });

  test("connect: TLS with a CA and a client certificate works; a wrong CA or no client cert fails clearly", async () => {
    const c = makeCerts(secrets);
    const srv = await serve(`tls { cert_file: "${c.serverCert}", key_file: "${c.serverKey}", ca_file: "${c.ca}", verify: true, timeout: 2 }`);
    await roundTrip(srv.url, { NATS_CA: c.ca, NATS_CERT: c.clientCert, NATS_KEY: c.clientKey });
    await assert.rejects(connectNats(loadConfig({ NATS_URL: srv.url, ...quiet, NATS_CA: c.otherCa, NATS_CERT: c.clientCert, NATS_KEY: c.clientKey })), (err: unknown) => {
      assert.ok(err instanceof NatterError);
      assert.equal(err.code, "tls_failed");
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
    await assert.rejects(connectNats(loadConfig({ NATS_URL: srv.url, ...quiet, NATS_CA: c.ca })), (err: unknown) => {
      assert.ok(err instanceof NatterError);
      assert.equal(err.code, "tls_failed");
      assert.match(err.message, /client certificate \(set NATS_CERT and NATS_KEY\)/);
      assert.doesNotMatch(err.message, /\n/);
      return true;
    });
  });

  test("connect: credentials revoked while connected end in one logged auth error, not a reconnect loop", async () => {
    const srv = await serve(`authorization { token: "first" }`);
    const lines: string[] = [];
    const logger = createLogger({ level: "warn", format: "json", write: (line) => lines.push(line) });
    const nc = await connectNats(loadConfig({ NATS_URL: srv.url, ...quiet, NATS_TOKEN: "first" }), { logger });
    const closed = nc.closed();
    await srv.stop();
    // The same address comes back with a different token: the client's credential is no longer valid.
    servers.push(await startServer({ port: srv.port, extraConfig: `authorization { token: "second" }` }));
    const err = await closed;
    assert.ok(err, "the connection closes with an error instead of retrying forever");
    assert.ok(lines.some((l) => /authentication failed/.test(l)), `expected an auth error in the log, got:\n${lines.join("\n")}`);
  });
});
