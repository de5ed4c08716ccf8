import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import { defineAgent, loadConfig, startHost, type Envelope, type Host } from "../../src/index.ts";
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
    onRequest: (msg) => `worked on ${msg.content}`,
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
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
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
