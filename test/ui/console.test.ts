import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { defineAgent, loadConfig, startHost, type Envelope, type Host } from "../../src/index.ts";
import { ALL_SUBJECT, createEnvelope, encodeEnvelope } from "../../src/protocol/index.ts";
import { startConsole, type RunningConsole } from "../../src/ui/server.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

const CHROMIUM = "/usr/bin/chromium";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const env = { NATTER_LOG_LEVEL: "error", NATTER_HEARTBEAT_MS: "500", NATTER_MAX_MESSAGE_BYTES: "4096" };

describe("ui: the console in a real browser", { timeout: 90_000 }, () => {
  let srv: TestServer;
  let ui: RunningConsole;
  let browser: Browser;
  let page: Page;
  let host: Host;
  const workerGot: Envelope[] = [];

  const Worker = defineAgent({
    name: "Worker",
    capabilities: ["work"],
    onMessage: (msg) => {
      workerGot.push(msg);
      return `done: ${msg.content}`;
    },
    onRequest: (msg) => {
      if (msg.content === "fail please") throw new Error("failing as asked");
      return `worked on ${msg.content}`;
    },
  });
  const Planner = defineAgent({ name: "Planner", capabilities: ["plan"], onResponse: () => undefined });

  before(async () => {
    srv = await startServer();
    const config = loadConfig({ NATS_URL: srv.url, ...env });
    ui = await startConsole({ config, port: 0, flushMs: 100 });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
    });
    page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    page.setDefaultTimeout(15_000);
    await page.goto(ui.url);
    await page.locator("#connection.live").waitFor();
    host = await startHost({ agents: [Worker, Planner], config });
  });

  after(async () => {
    await host?.stop();
    await browser?.close();
    await ui?.close();
    await srv?.dispose();
  });

  const planner = () => host.agents.find((a) => a.name === "Planner")!.context;
  const statusOf = (agent: string) => page.locator(`#agents-body tr[data-agent="${agent}"] .status`);

  test("ui: agents started by the test appear in the agents view with their status", async () => {
    await statusOf("Worker").filter({ hasText: "available" }).waitFor();
    await statusOf("Planner").filter({ hasText: "available" }).waitFor();
    assert.match(await page.locator('#agents-body tr[data-agent="Worker"]').innerText(), /work/);
  });

  test("ui: a message between agents appears in the feed and in its thread view", async () => {
    const { envelope } = await planner().sendDirectMessage("Worker", "task-1: count the widgets");
    const row = page.locator(`#feed-body tr[data-id="${envelope.id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /Planner → Worker/);
    await row.locator("a.thread").click();
    const tree = page.locator("#thread-tree");
    await tree.getByText("task-1: count the widgets", { exact: true }).waitFor();
    // The worker's completion notice is part of the same conversation, as a reply under the message.
    await tree.locator(`li[data-id="${envelope.id}"] li`).getByText("done: task-1: count the widgets").waitFor();
    await tree.locator(`li[data-id="${envelope.id}"] > .entry button.json`).click();
    assert.match(await tree.locator("pre.json").first().innerText(), /"content": "task-1: count the widgets"/);
    await page.locator("#thread-close").click();
  });

  test("ui: at 1400×900 the agents table fits without scrolling sideways and shows handled, failed, mean ms, slots and backlog", async () => {
    const worker = host.agents.find((a) => a.name === "Worker")!;
    await planner().requestFromAgent("Worker", "fail please").catch(() => undefined);
    const cell = (cls: string) => page.locator(`#agents-body tr[data-agent="Worker"] td.${cls}`);
    // The registry entry carries the figures at the next heartbeat (every 500 ms here).
    await cell("failed").filter({ hasText: /^[1-9]\d*$/ }).waitFor();
    assert.match(await cell("handled").innerText(), /^[1-9]\d*$/);
    assert.match(await cell("mean").innerText(), /^\d+$/);
    assert.equal(await cell("slots").innerText(), `0/${worker.concurrency}`);
    // Sampled from the consumer every few seconds.
    await cell("backlog").filter({ hasText: /^0$/ }).waitFor();
    const overflow = await page.locator("#agents-panel .scroll").evaluate((s) => ({ scroll: s.scrollWidth, client: s.clientWidth }));
    assert.ok(overflow.scroll <= overflow.client, `agents table is ${overflow.scroll}px wide in ${overflow.client}px`);
    assert.match(await page.locator('#agents-body tr[data-agent="Worker"] td.name').innerText(), /Worker\s+work/, "capabilities under the name");
  });

  test("ui: the feed lists messages by envelope timestamp, placing one heard late below newer ones", async () => {
    const nc: NatsConnection = await connect({ servers: srv.url });
    try {
      const { envelope: newer } = await planner().sendDirectMessage("Worker", "task-3: newer");
      await page.locator(`#feed-body tr[data-id="${newer.id}"]`).waitFor();
      // Written a minute ago, heard now.
      const late = createEnvelope({ type: "broadcast", from: "Planner", content: "late news", timestamp: new Date(Date.now() - 60_000).toISOString() });
      nc.publish(ALL_SUBJECT, encodeEnvelope(late));
      await page.locator(`#feed-body tr[data-id="${late.id}"]`).waitFor();
      const ids = await page.locator("#feed-body tr").evaluateAll((rows) => rows.map((r) => (r as unknown as { dataset: Record<string, string | undefined> }).dataset.id ?? ""));
      assert.ok(ids.indexOf(late.id) > ids.indexOf(newer.id), "the late message sits below the newer one");
      const times = await page.locator("#feed-body tr").evaluateAll((rows) => rows.map((r) => Number((r as unknown as { dataset: Record<string, string | undefined> }).dataset.t)));
      assert.deepEqual(times, [...times].sort((a, b) => b - a), "rows newest first");
    } finally {
      await nc.close();
    }
  });

  test("ui: the thread view shows a timeline of who waited on whom", async () => {
    const { envelope } = await planner().handoffToAgent("Worker", "task-4: hand over");
    const row = page.locator(`#feed-body tr[data-id="${envelope.id}"]`);
    await row.waitFor();
    await row.locator("a.thread").click();
    // The bar is there once the worker's completion notice closed the wait; a click before it shows it open.
    const lane = page.locator(`#timeline .lane[data-id="${envelope.id}"]`);
    await lane.waitFor();
    assert.match(await lane.innerText(), /Planner → Worker/);
    await page.locator("#thread-close").click();
  });

  test("ui: a killed agent turns offline", async () => {
    const child: ChildProcess = spawn(process.execPath, ["--import", "tsx", "scripts/agent.ts", "test/fixtures/echo.ts"], {
      cwd: ROOT,
      env: { ...process.env, NATS_URL: srv.url, ...env },
      stdio: "ignore",
    });
    try {
      await statusOf("Echo").filter({ hasText: "available" }).waitFor({ timeout: 30_000 });
    } finally {
      child.kill("SIGKILL");
      await once(child, "exit");
    }
    // No offline record is written and KV expiry sends no event: the console ages the heartbeat.
    await statusOf("Echo").filter({ hasText: "offline" }).waitFor();
  });

  test("ui: a redelivery from the page reaches the agent", async () => {
    const { envelope, seq } = await planner().sendDirectMessage("Worker", "task-2: recount");
    const row = page.locator(`#feed-body tr[data-id="${envelope.id}"]`);
    await row.locator("button.replay").click();
    await page.locator("#confirm").waitFor();
    assert.equal(await page.locator("#confirm-to").inputValue(), "Worker");
    const before = workerGot.length;
    await page.locator("#confirm-yes").click();
    await page.locator("#send-result").getByText("Redelivered to Worker").waitFor();
    await waitUntil(() => workerGot.slice(before).some((m) => m.metadata.replayOf === seq));
    const copy = workerGot.slice(before).find((m) => m.metadata.replayOf === seq)!;
    assert.equal(copy.content, "task-2: recount");
    assert.notEqual(copy.id, envelope.id);
  });

  test("ui: a request to human is answered from the page and the asker gets the answer", async () => {
    const answer = planner().requestFromAgent("human", "Deploy release 7 to production?", { timeoutMs: 30_000 });
    const question = page.locator("#questions .question").filter({ hasText: "Deploy release 7 to production?" });
    await question.waitFor();
    assert.match(await question.innerText(), /from Planner/);
    await question.locator("textarea").fill("Yes, after 18:00");
    await question.locator("button.answer").click();
    const response = await answer;
    assert.equal(response.content, "Yes, after 18:00");
    assert.equal(response.from, "human");
    await question.waitFor({ state: "detached" });
  });

  test("ui: the person sends a request from the page and sees the answer", async () => {
    await page.locator("#send-kind").selectOption("request");
    await page.locator("#send-to").fill("Worker");
    await page.locator("#send-content").fill("the report");
    await page.locator("#send-button").click();
    await page.locator("#send-result").getByText("Worker answered: worked on the report").waitFor();
  });

  test("ui: bad input gets a clear error on the page and the server keeps serving", async () => {
    const error = page.locator("#send-error");
    await page.locator("#send-kind").selectOption("direct");
    await page.locator("#send-to").fill("Ghost");
    await page.locator("#send-content").fill("anyone there?");
    await page.locator("#send-button").click();
    await error.getByText('no agent named "Ghost" is in the registry').waitFor();

    await page.locator("#send-to").fill("Worker");
    await page.locator("#send-content").fill("   ");
    await page.locator("#send-button").click();
    await error.getByText("the message is empty").waitFor();

    await page.locator("#send-content").fill("x".repeat(5000));
    await page.locator("#send-button").click();
    await error.getByText("over the 4096-byte limit").waitFor();

    // The same over-size message sent past the page's own check is refused by the server too.
    const status = await page.evaluate(async () => {
      const r = await fetch("/api/send", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ kind: "direct", to: "Worker", content: "x".repeat(5000) }) });
      return `${r.status} ${((await r.json()) as { error: string }).error}`;
    });
    assert.match(status, /^413 message is \d+ bytes, over the 4096-byte limit/);

    await page.locator("#send-content").fill("still alive?");
    await page.locator("#send-button").click();
    await page.locator("#send-result").getByText("Sent direct").waitFor();
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 50));
  }
}
