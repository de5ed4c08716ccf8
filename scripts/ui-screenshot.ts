#!/usr/bin/env -S npx tsx
// Takes docs/console.png: a private nats-server, a few agents talking (handoffs, requests, a question for the
// human), the console, and headless Chromium at 1400×900; then the thread view of a handoff chain, with its timeline,
// beside it (OUT-thread.png). Usage: tsx scripts/ui-screenshot.ts [OUT.png]
import { chromium } from "playwright-core";
import { defineAgent, loadConfig, startHost } from "../src/index.ts";
import { startConsole } from "../src/ui/server.ts";
import { startServer } from "../test/helpers/nats-server.ts";

const out = process.argv[2] ?? "docs/console.png";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const srv = await startServer();
const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "error", NATTER_HEARTBEAT_MS: "1000" });
const ui = await startConsole({ config, port: 0 });
const agents = [
  defineAgent({ name: "Planner", capabilities: ["plan"], onResponse: () => undefined, onMessage: () => "planned" }),
  defineAgent({
    name: "Researcher",
    capabilities: ["search", "summarize"],
    onMessage: async (msg, ctx) => {
      await ctx.sendDirectMessage("Writer", `notes for: ${msg.content}`);
      return "found 12 sources";
    },
  }),
  defineAgent({
    name: "Writer",
    capabilities: ["write"],
    onMessage: async (msg, ctx) => {
      const review = await ctx.requestFromAgent("Reviewer", `draft based on ${msg.content}`);
      return `draft done (${review.content})`;
    },
    onResponse: () => undefined,
  }),
  defineAgent({ name: "Reviewer", capabilities: ["review"], onRequest: (msg) => `approved: ${msg.content.slice(0, 20)}` }),
  defineAgent({ name: "Translator", capabilities: ["translate"], onMessage: () => "übersetzt" }),
];
const host = await startHost({ agents, config });
const retired = await startHost({ agents: [defineAgent({ name: "Legacy-Indexer", capabilities: ["index"] })], config });
await retired.stop();
const planner = host.agents[0]!.context;
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--no-first-run"],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(ui.url);
  await page.locator("#connection.live").waitFor();
  for (const topic of ["Q3 churn analysis", "pricing page copy", "release notes 7.2"]) {
    await planner.handoffToAgent("Researcher", topic);
    await sleep(300);
  }
  await planner.sendDirectMessage("Translator", "release notes 7.2 → German");
  await planner.broadcastMessage("standup in 5 minutes");
  void planner.requestFromAgent("human", "Ship release 7.2 to production tonight?", { timeoutMs: 60_000 }).catch(() => undefined);
  await sleep(1500);
  await page.screenshot({ path: out });
  process.stdout.write(`wrote ${out}\n`);
  const threadOut = out.replace(/\.png$/, "-thread.png");
  await page.locator('#feed-body tr[data-type="handoff"] a.thread').last().click();
  await page.locator("#timeline .lane").first().waitFor();
  await page.screenshot({ path: threadOut });
  process.stdout.write(`wrote ${threadOut}\n`);
} finally {
  await browser.close();
  await host.stop();
  await ui.close();
  await srv.dispose();
}
