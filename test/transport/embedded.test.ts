import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { NatterError } from "../../src/errors.ts";
import { loadConfig } from "../../src/config/config.ts";
import { openBus } from "../../src/transport/bus.ts";
import { deriveConfig, findNatsServer, isListening, startEmbeddedServer } from "../../src/transport/embedded.ts";

test("embedded: the derived config replaces the ports and the store, keeping everything else", () => {
  const base = 'listen: "127.0.0.1:4222"\nhttp: "127.0.0.1:8222"   # monitoring\nmax_payload: 1MB\njetstream {\n  store_dir: ".data/jetstream"\n  max_memory_store: 256MB\n}\n';
  const out = deriveConfig(base, { port: 41001, httpPort: 41002, storeDir: "/tmp/x y/js" });
  assert.equal(out, 'listen: "127.0.0.1:41001"\nhttp: "127.0.0.1:41002"\nmax_payload: 1MB\njetstream {\n  store_dir: "/tmp/x y/js"\n  max_memory_store: 256MB\n}\n');
  const bare = deriveConfig("server_name: x\n", { port: 1, httpPort: 2, storeDir: "/s" });
  assert.match(bare, /^http: "127.0.0.1:2"\nlisten: "127.0.0.1:1"\nserver_name: x\n\njetstream \{ store_dir: "\/s" \}\n$/);
});

test("embedded: starts from nats-server.conf on a free port with JetStream, and stop removes its store", async () => {
  const server = await startEmbeddedServer({ configFile: fileURLToPath(new URL("../../nats-server.conf", import.meta.url)) });
  try {
    assert.notEqual(server.url, "nats://127.0.0.1:4222");
    const bus = await openBus(loadConfig({ NATS_URL: server.url, NATTER_LOG_LEVEL: "warn" }));
    assert.equal((await bus.jsm.streams.info("AGENTS")).config.name, "AGENTS");
    await bus.close();
  } finally {
    await server.stop();
  }
  assert.equal(await isListening(server.url, 500), false);
  assert.equal(existsSync(server.dir), false);
});

test("embedded: a missing nats-server binary is an error that says how to install it", () => {
  assert.throws(
    () => findNatsServer({ NATS_SERVER_BIN: "/nonexistent/nats-server", PATH: "" }),
    (err: unknown) => err instanceof NatterError && err.code === "not_installed" && /apt-get install nats-server/.test(err.message),
  );
});
