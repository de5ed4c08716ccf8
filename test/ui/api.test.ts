import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { AgentUnavailableError, connectClient, defineAgent, loadConfig, startHost, type Client, type Config, type Envelope, type Host } from "../../src/index.ts";
import type { UiQuestion } from "../../src/ui/events.ts";
import { startConsole, type RunningConsole } from "../../src/ui/server.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

describe("ui: the console's HTTP API", { timeout: 60_000 }, () => {
  let srv: TestServer;
  let config: Config;
  let ui: RunningConsole;
  let host: Host;
  const notices: Envelope[] = [];

  before(async () => {
    srv = await startServer();
    config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "error", NATTER_HEARTBEAT_MS: "500" });
    ui = await startConsole({ config, port: 0, flushMs: 50 });
    const Asker = defineAgent({ name: "Asker", onResponse: (msg) => void notices.push(msg) });
    host = await startHost({ agents: [Asker], config });
  });
  after(async () => {
    await host?.stop();
    await ui?.close();
    await srv?.dispose();
  });

  const post = async (path: string, body: string, headers: Record<string, string> = { "content-type": "application/json" }) => {
    const r = await fetch(new URL(path, ui.url), { method: "POST", headers, body });
    return { status: r.status, body: (await r.json()) as { error?: string; field?: string } };
  };

  test("ui api: malformed requests get a 4xx naming the problem, and the server keeps serving", async () => {
    assert.deepEqual(await post("/api/send", "{not json"), { status: 400, body: { error: "the request body is not valid JSON" } });
    assert.equal((await post("/api/send", "{}", { "content-type": "text/plain" })).status, 415);
    const noKind = await post("/api/send", JSON.stringify({ to: "Asker", content: "hi" }));
    assert.equal(noKind.status, 400);
    assert.equal(noKind.body.field, "kind");
    const badName = await post("/api/send", JSON.stringify({ kind: "direct", to: "a.b", content: "hi" }));
    assert.equal(badName.status, 400);
    assert.match(badName.body.error!, /invalid agent name "a.b"/);
    const noTo = await post("/api/send", JSON.stringify({ kind: "request", content: "hi" }));
    assert.deepEqual(noTo, { status: 400, body: { error: "choose the agent to send to", field: "to" } });
    assert.match((await post("/api/answer", JSON.stringify({ id: "nope", content: "x" }))).body.error!, /no question "nope" is waiting/);
    assert.equal((await post("/api/replay", JSON.stringify({ seq: 999_999, to: "Asker" }))).status, 404);
    assert.equal((await post("/api/replay", JSON.stringify({ seq: -1, to: "Asker" }))).body.field, "seq");
    const page = await fetch(ui.url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /natter console/);
  });

  test("ui api: a request for another Host is refused (DNS rebinding)", async () => {
    const { request } = await import("node:http");
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(new URL("/api/threads/x", ui.url), { headers: { host: "evil.example:8080" } }, (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      req.on("error", reject);
      req.end();
    });
    assert.equal(status, 403);
  });

  test("ui api: a handoff to human waits in its mailbox while no console runs, and the answer becomes the completion notice", async () => {
    await ui.close();
    const asker = host.agents[0]!.context;
    // A request needs someone listening now: it fails fast rather than waiting.
    await assert.rejects(asker.requestFromAgent("human", "approve?", { timeoutMs: 2000 }), AgentUnavailableError);
    const { envelope } = await asker.handoffToAgent("human", "please sign off the budget");

    ui = await startConsole({ config, port: 0, flushMs: 50 });
    const question = await firstQuestion(ui.url);
    assert.equal(question.id, envelope.id);
    assert.equal(question.from, "Asker");
    assert.equal(question.type, "handoff");
    assert.equal((await post("/api/answer", JSON.stringify({ id: question.id, content: "signed" }))).status, 200);
    await waitUntil(() => notices.some((n) => n.inReplyTo === envelope.id));
    assert.equal(notices.find((n) => n.inReplyTo === envelope.id)!.content, "signed");
  });

  test("ui api: a question open when the console stops comes back at the next start and can still be answered", async () => {
    const asker = host.agents[0]!.context;
    const { envelope } = await asker.sendDirectMessage("human", "are you still there?");
    assert.equal((await firstQuestion(ui.url)).id, envelope.id);
    await ui.close();
    ui = await startConsole({ config, port: 0, flushMs: 50 });
    const again = await firstQuestion(ui.url);
    assert.equal(again.id, envelope.id);
    await post("/api/answer", JSON.stringify({ id: again.id, content: "yes" }));
    await waitUntil(() => notices.some((n) => n.inReplyTo === envelope.id));
  });
});

/** Reads the console's event stream until a question shows up (in the snapshot or a batch). */
async function firstQuestion(url: string): Promise<UiQuestion> {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), 15_000);
  const res = await fetch(new URL("/api/events", url), { signal: ctrl.signal });
  const decoder = new TextDecoder();
  let buf = "";
  try {
    for await (const chunk of res.body!) {
      buf += decoder.decode(chunk as Uint8Array, { stream: true });
      for (const line of buf.split("\n").filter((l) => l.startsWith("data: "))) {
        const data = JSON.parse(line.slice(6)) as { questions?: UiQuestion[] };
        if (data.questions?.[0]) return data.questions[0];
      }
    }
  } finally {
    clearTimeout(timer);
    ctrl.abort();
  }
  throw new Error("no question arrived");
}

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
