import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { eventually } from "../helpers/eventually.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";
import echo from "../fixtures/echo.ts";
import { connectClient, defineAgent, loadConfig, startHost, type Client, type Host } from "../../src/index.ts";
import { finished, jsonLines, natter, spawnNatter, stderrContains } from "./run-natter.ts";

const flaky = defineAgent({
  name: "Flaky",
  capabilities: ["failing"],
  async onMessage(msg) {
    throw new Error(`cannot handle ${msg.content}`);
  },
});

let srv: TestServer;
let host: Host;
let client: Client;
let run: (args: string[], input?: string) => ReturnType<typeof natter>;

before(async () => {
  srv = await startServer();
  const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent", NATTER_MAX_DELIVER: "2", NATTER_RETRY_DELAYS_MS: "50" });
  host = await startHost({ agents: [echo, flaky], config });
  client = await connectClient({ name: "tester", config });
  run = (args, input) => natter(srv.url, args, input === undefined ? {} : { input });
});

after(async () => {
  await client?.close();
  await host?.stop();
  await srv?.dispose();
});


type Line = { seq: number; channel: string; envelope: { id: string; type: string; from: string; to?: string; content: string; threadId?: string; inReplyTo?: string; metadata: Record<string, unknown> }; deadLetter?: { error: string; deliveries: number; originalSeq: number } };
const lines = (stdout: string) => jsonLines(stdout) as unknown as Line[];

test("cli: agents lists the running agents, as a table and as JSON", async () => {
  const [table, json] = await Promise.all([run(["agents"]), run(["agents", "--json"])]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^NAME\s+STATUS\s+INSTANCES\s+LOAD\s+CAPABILITIES\s+HEARTBEAT$/m);
  assert.match(table.stdout, /^Echo\s+available\s+1\s+0\/8\s+echo\s+\d+s ago$/m);
  assert.match(table.stdout, /^Flaky\s+available\s+1\s+0\/8\s+failing\s+/m);
  const agents = JSON.parse(json.stdout) as { name: string; instances: unknown[] }[];
  assert.deepEqual(agents.map((a) => [a.name, a.instances.length]), [["Echo", 1], ["Flaky", 1]]);
});

test("cli: agents --watch prints the registry and stops cleanly on Ctrl-C", async () => {
  const child = spawnNatter(srv.url, ["agents", "--watch", "--json"]);
  const done = finished(child);
  let first = "";
  await new Promise<void>((resolve) => child.stdout!.on("data", (d: Buffer) => ((first += d.toString()), first.includes("\n") && resolve())));
  child.kill("SIGINT");
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
  assert.deepEqual((JSON.parse(first.split("\n")[0]!) as { name: string }[]).map((a) => a.name), ["Echo", "Flaky"]);
});

test("cli: send stores a message that replay --to finds; ask prints the answer", async () => {
  const sent = await run(["send", "Echo", "hello", "from", "cli", "--notify"]);
  assert.equal(sent.code, 0, sent.stderr);
  const seq = Number(/^sent #(\d+) to Echo \(id (\S+), thread \S+\)$/.exec(sent.stdout.trim())?.[1]);
  assert.ok(seq > 0, sent.stdout);
  const [replay, asked, piped] = await Promise.all([run(["replay", "--to", "Echo"]), run(["ask", "Echo", "ping"]), run(["ask", "Echo", "-"], "from stdin\n")]);
  assert.equal(replay.code, 0, replay.stderr);
  assert.match(replay.stdout, new RegExp(`^\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\\.\\d{3} #${seq} direct cli → Echo p3 "hello from cli" thread=\\S+$`, "m"));
  assert.match(replay.stderr, /1 message shown/);
  assert.equal(asked.code, 0, asked.stderr);
  assert.equal(asked.stdout, "echo: ping\n");
  assert.equal(piped.stdout, "echo: from stdin\n");
});

test("cli: ask exits 1 when the handler fails and 3 when the agent is absent or slow", async () => {
  const [failed, absent, slow] = await Promise.all([
    run(["ask", "Echo", "fail"]),
    run(["ask", "Nobody", "hi"]),
    run(["ask", "Echo", "sleep:3000", "--timeout", "300ms"]),
  ]);
  assert.equal(failed.code, 1);
  assert.equal(failed.stderr, 'natter: agent "Echo" failed: asked to fail\n');
  assert.equal(absent.code, 3);
  assert.match(absent.stderr, /^natter: agent "Nobody" is not available/);
  assert.equal(slow.code, 3);
  assert.match(slow.stderr, /^natter: request to agent "Echo" timed out after 300 ms\n$/);
});

test("cli: ask --capability asks an agent that has it, and exits 3 when none has", async () => {
  const [found, none] = await Promise.all([run(["ask", "--capability", "echo", "who", "are", "you"]), run(["ask", "--capability", "juggling", "hi"])]);
  assert.equal(found.code, 0, found.stderr);
  assert.equal(found.stdout, "echo: who are you\n");
  assert.equal(none.code, 3);
  assert.equal(none.stderr, 'natter: no live agent has the capability "juggling"\n');
});

test("cli: cancel publishes a cancellation every agent hears", async () => {
  const heard = client.bus.nc.subscribe("agents.cancel", { max: 1 });
  const cancelled = await run(["cancel", "thread-42", "user", "gave", "up"]);
  assert.equal(cancelled.code, 0, cancelled.stderr);
  assert.equal(cancelled.stdout, "cancelled thread thread-42\n");
  for await (const m of heard) {
    const env = m.json<{ type: string; threadId: string; content: string; from: string }>();
    assert.deepEqual([env.type, env.threadId, env.content, env.from], ["cancel", "thread-42", "user gave up", "cli"]);
  }
});

test("cli: broadcast is stored and replay --type finds it, as JSON", async () => {
  const sent = await run(["broadcast", "all", "hands", "--as", "Ops", "--json"]);
  assert.equal(sent.code, 0, sent.stderr);
  const { seq } = JSON.parse(sent.stdout) as { seq: number };
  const replay = await run(["replay", "--type", "broadcast", "--json"]);
  assert.deepEqual(lines(replay.stdout).map((l) => [l.seq, l.envelope.from, l.envelope.content]), [[seq, "Ops", "all hands"]]);
});

test("cli: a dead letter shows in replay, redelivers with --yes only, and the copy is handled", async () => {
  const sent = await run(["send", "Flaky", "job-7", "--notify", "--json"]);
  const original = JSON.parse(sent.stdout) as { seq: number; envelope: { id: string } };
  const dead = await eventually("the dead letter", async () => {
    const r = await run(["replay", "--dead-letters", "--thread", original.envelope.id, "--json"]);
    return lines(r.stdout)[0];
  });
  assert.equal(dead.deadLetter?.error, "cannot handle job-7");
  assert.equal(dead.deadLetter?.deliveries, 2);
  assert.equal(dead.deadLetter?.originalSeq, original.seq);
  const human = await run(["replay", "--dead-letters"]);
  assert.match(human.stdout, new RegExp(`#${dead.seq} direct cli → Flaky p3 "job-7" DEAD LETTER after 2 deliveries: cannot handle job-7 \\(original #${original.seq}\\)`));

  const unasked = await run(["replay", "--redeliver", String(dead.seq), "--to", "Echo"]);
  assert.equal(unasked.code, 2);
  assert.match(unasked.stderr, /--yes: standard input is not a terminal/);
  const missing = await run(["replay", "--redeliver", "99999", "--to", "Echo", "--yes"]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /natter: stream AGENTS has no message with sequence 99999/);

  const redelivered = await run(["replay", "--redeliver", String(dead.seq), "--to", "Echo", "--yes"]);
  assert.equal(redelivered.code, 0, redelivered.stderr);
  const copySeq = Number(new RegExp(`^redelivered #${dead.seq} to Echo as #(\\d+) `).exec(redelivered.stdout)?.[1]);
  assert.ok(copySeq > dead.seq, redelivered.stdout);
  const [copy] = lines((await run(["replay", "--from-seq", String(copySeq), "--to", "Echo", "--json"])).stdout);
  assert.equal(copy!.envelope.metadata.replayOf, dead.seq);
  assert.notEqual(copy!.envelope.id, original.envelope.id);
  // Echo handled the copy: its completion notice reached cli's mailbox.
  await eventually("Echo's notice for the copy", async () => {
    const r = await run(["replay", "--to", "cli", "--type", "response", "--json"]);
    return lines(r.stdout).find((l) => l.envelope.inReplyTo === copy!.envelope.id && l.envelope.content === "handled: job-7");
  });
});

test("cli: thread prints who asked whom as a tree", async () => {
  const sent = await client.sendDirectMessage("Echo", "tree me");
  await eventually("the notice", async () => {
    const r = await run(["thread", sent.envelope.id, "--json"]);
    const tree = JSON.parse(r.stdout) as { messages: number };
    return tree.messages === 2 ? true : undefined;
  });
  const human = await run(["thread", sent.envelope.id]);
  assert.equal(human.code, 0, human.stderr);
  const out = human.stdout.trim().split("\n");
  assert.match(out[0]!, new RegExp(`^thread ${sent.envelope.id}: 2 stored messages \\(requests and responses are core NATS and not stored\\)$`));
  assert.match(out[1]!, new RegExp(`^\\S+ \\S+ #${sent.seq} direct tester → Echo p3 "tree me"`));
  assert.match(out[2]!, /^└─ \S+ \S+ #\d+ response Echo → tester p3 "handled: tree me"/);
});

test("cli: tail shows live requests and responses and stored messages, and --limit ends it", async () => {
  const child = spawnNatter(srv.url, ["tail", "--agent", "Echo", "--limit", "3", "--json"]);
  const done = finished(child);
  await stderrContains(child, "tailing stream AGENTS");
  await client.requestFromAgent("Echo", "live ping");
  await client.sendDirectMessage("Echo", "live stored", {}, { notify: false });
  const result = await done;
  assert.equal(result.code, 0, result.stderr);
  const seen = lines(result.stdout).map((l) => [l.channel, l.envelope.type, l.envelope.content]);
  assert.deepEqual(seen, [
    ["request", "request", "live ping"],
    ["response", "response", "echo: live ping"],
    ["direct", "direct", "live stored"],
  ]);
});

test("cli: replay time and sequence filters", async () => {
  const [future, fromEnd, window] = await Promise.all([
    run(["replay", "--since", "2999-01-01T00:00:00Z"]),
    run(["replay", "--from-seq", "100000"]),
    run(["replay", "--since", "1h", "--until", "2999-01-01", "--type", "announcement", "--json"]),
  ]);
  assert.equal(future.code, 0, future.stderr);
  assert.equal(future.stdout, "");
  assert.equal(fromEnd.stdout, "");
  assert.deepEqual(new Set(lines(window.stdout).map((l) => l.envelope.from)), new Set(["Echo", "Flaky"]));
});
