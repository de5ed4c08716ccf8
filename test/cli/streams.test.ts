import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { jetstreamManager } from "@nats-io/jetstream";
import { connect } from "@nats-io/transport-node";
import { loadConfig } from "../../src/index.ts";
import { openBus } from "../../src/transport/index.ts";
import { HEADER_ALLOWANCE_BYTES } from "../../src/transport/streams.ts";

const DEFAULT_LIMIT = 1048576 + HEADER_ALLOWANCE_BYTES;
const SMALL_LIMIT = 65536 + HEADER_ALLOWANCE_BYTES;
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import { natter } from "./run-natter.ts";

let srv: TestServer;

before(async () => {
  srv = await startServer();
  await (await openBus(loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent" }))).close();
});

after(async () => srv?.dispose());

async function maxMsgSize(): Promise<number> {
  const nc = await connect({ servers: srv.url });
  try {
    return (await (await jetstreamManager(nc)).streams.info("AGENTS")).config.max_msg_size;
  } finally {
    await nc.close();
  }
}

test("cli: streams check lists differences without changing the stream; streams apply changes it", async () => {
  const env = { NATTER_MAX_MESSAGE_BYTES: "65536" };
  const check = await natter(srv.url, ["streams", "check"], { env });
  assert.equal(check.code, 1, check.stderr);
  assert.match(check.stdout, new RegExp(`AGENTS: differs\\n\\s+max_msg_size: ${DEFAULT_LIMIT} here ${SMALL_LIMIT}`));
  assert.match(check.stdout, /KV_natter-registry: unchanged/);
  assert.equal(await maxMsgSize(), DEFAULT_LIMIT);

  const apply = await natter(srv.url, ["streams", "apply", "--json"], { env });
  assert.equal(apply.code, 0, apply.stderr);
  assert.deepEqual(JSON.parse(apply.stdout.split("\n")[0]!), { stream: "AGENTS", outcome: "updated", differences: [{ key: "max_msg_size", have: DEFAULT_LIMIT, want: SMALL_LIMIT }] });
  assert.equal(await maxMsgSize(), SMALL_LIMIT);
  assert.equal((await natter(srv.url, ["streams", "check"], { env })).code, 0);
});

test("cli: streams --help explains who changes shared streams; a missing action is a usage error", async () => {
  const help = await natter(srv.url, ["streams", "--help"]);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /usage: natter streams check\|apply/);
  assert.match(help.stdout, /never change them/);
  const bad = await natter(srv.url, ["streams"]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /expected check or apply/);
});
