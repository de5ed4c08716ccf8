import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { freePort, startServer, type TestServer } from "../helpers/nats-server.ts";
import { loadConfig } from "../../src/index.ts";
import { openBus } from "../../src/transport/index.ts";
import { natter } from "./run-natter.ts";

let srv: TestServer;

before(async () => {
  srv = await startServer();
});

after(async () => {
  await srv?.dispose();
});

/** One line, starting with "natter:", and no stack trace. */
function assertOneLineError(stderr: string, pattern: RegExp): void {
  const lines = stderr.trim().split("\n");
  assert.equal(lines.length, 1, `expected one line, got:\n${stderr}`);
  assert.match(lines[0]!, /^natter: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(stderr, /\n\s+at /);
}

test("cli: on a server where no agent ever ran, replay says the stream is missing and changes nothing", async () => {
  const [replay, agents] = await Promise.all([natter(srv.url, ["replay"]), natter(srv.url, ["agents"])]);
  assert.equal(replay.code, 1);
  assertOneLineError(replay.stderr, /stream AGENTS does not exist on this server: no natter agent has run against it yet/);
  assert.equal(agents.code, 0, agents.stderr);
  assert.equal(agents.stdout.trim(), "no agents in the registry");
  const bus = await openBus(loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent" }), { provision: false });
  await assert.rejects(bus.jsm.streams.info("AGENTS"), /stream not found/);
  await bus.close();
});

test("cli: replay, agents and thread on an empty stream", async () => {
  // What an agent host does at start: create the stream and the registry bucket.
  const bus = await openBus(loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent" }));
  await bus.close();
  const [replay, agents, thread, json] = await Promise.all([
    natter(srv.url, ["replay"]),
    natter(srv.url, ["agents"]),
    natter(srv.url, ["thread", "nothing-here"]),
    natter(srv.url, ["replay", "--json", "--agent", "Echo"]),
  ]);
  assert.equal(replay.code, 0, replay.stderr);
  assert.equal(replay.stdout, "");
  assert.match(replay.stderr, /no messages matched \(0 scanned\)/);
  assert.equal(agents.code, 0, agents.stderr);
  assert.equal(agents.stdout.trim(), "no agents in the registry");
  assert.equal(thread.code, 1);
  assertOneLineError(thread.stderr, /no stored messages in thread nothing-here/);
  assert.equal(json.code, 0, json.stderr);
  assert.equal(json.stdout, "");
});

const BAD: [string[], RegExp][] = [
  [["replay", "--bogus"], /unknown option --bogus/],
  [["replay", "--type", "chat"], /--type: expected one of direct, request, response, handoff, broadcast/],
  [["replay", "--since", "yesterday"], /--since: expected a duration like 10m.*got "yesterday"/],
  [["replay", "--from-seq", "abc"], /--from-seq: expected a stream sequence number/],
  [["replay", "--agent", "a.b"], /--agent: expected an agent name.*"\."/],
  [["replay", "--limit"], /--limit: expected a value/],
  [["replay", "--redeliver", "4"], /--to: --redeliver needs the agent/],
  [["replay", "--redeliver", "4", "--to", "Echo", "--type", "direct"], /--type: filters do not apply to --redeliver/],
  [["replay", "--since", "1m", "--until", "2h"], /--since: must be before --until/],
  [["tail", "--until", "1m"], /--until: a tail has no end/],
  [["replay", "--subject", "agents.request.*"], /--subject: requests and responses are core NATS and never stored/],
  [["replay", "--full", "--json"], /--full: cannot be combined with --json/],
  [["ask", "Echo"], /ask: expected AGENT and TEXT/],
  [["ask", "Echo", "hi", "--timeout", "soon"], /--timeout: expected a duration like 30s/],
  [["ask", "--capability", "echo"], /ask: expected TEXT/],
  [["cancel"], /THREAD_ID: expected the id of a conversation/],
  [["send", "Echo", "hi", "--priority", "9"], /--priority: expected a priority from 1 \(most urgent\) to 5, got "9"/],
  [["send", "Echo", "hi", "--metadata", "[1]"], /--metadata: expected a JSON object/],
  [["send", "bad name", "hi"], /AGENT: expected an agent name/],
  [["agents", "extra"], /unexpected argument "extra"/],
  [["frobnicate"], /unknown command "frobnicate"/],
  [["agents", "--server", "not a url"], /--server: expected URLs like nats:\/\//],
];

test("cli: bad flags and arguments exit 2 with one line naming the problem", async () => {
  const runs = await Promise.all(BAD.map(([args]) => natter(srv.url, args)));
  runs.forEach((run, i) => {
    const [args, pattern] = BAD[i]!;
    assert.equal(run.code, 2, `natter ${args.join(" ")}: ${run.stderr}`);
    assertOneLineError(run.stderr, pattern);
  });
});

test("cli: an unreachable server exits 3 with one line", async () => {
  const port = await freePort();
  const run = await natter(`nats://127.0.0.1:${port}`, ["agents"]);
  assert.equal(run.code, 3, run.stderr);
  assertOneLineError(run.stderr, new RegExp(`cannot connect to NATS at nats://127.0.0.1:${port}`));
});

test("cli: every command has --help, exit 0, naming its usage and the exit codes", async () => {
  const commands = ["agents", "replay", "tail", "thread", "send", "ask", "broadcast"];
  const runs = await Promise.all([natter(srv.url, ["--help"]), ...commands.map((c) => natter(srv.url, [c, "--help"]))]);
  assert.equal(runs[0]!.code, 0);
  for (const c of commands) assert.match(runs[0]!.stdout, new RegExp(`^  ${c} `, "m"));
  runs.slice(1).forEach((run, i) => {
    assert.equal(run.code, 0);
    assert.match(run.stdout, new RegExp(`^usage: natter ${commands[i]}`));
    assert.match(run.stdout, /Exit codes: 0 ok, 1 failed, 2 bad flags/);
  });
});
