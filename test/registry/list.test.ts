import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { defineAgent } from "../../src/index.ts";
import { setup, type Bench } from "../helpers/in-process.ts";

let b: Bench;
before(async () => {
  // Beats every second (a 3 s TTL): entries must not expire for real while the request loops load this process;
  // the busy/available writes are the churn under test.
  b = await setup({ NATTER_HEARTBEAT_MS: "1000" });
});
after(async () => b.dispose());

test("registry: listing while entries are rewritten returns every agent exactly once", async () => {
  const agent = (name: string) => defineAgent({ name, concurrency: 2, onRequest: () => new Promise<string>((r) => setTimeout(() => r("ok"), 3)) });
  await b.host(agent("B1"), agent("B2"), agent("B3"));
  let running = true;
  // Keep every entry flipping between busy and available while we read.
  const load = Promise.all(
    ["B1", "B2", "B3"].map(async (name) => {
      while (running) await b.client.requestFromAgent(name, "work");
    }),
  );
  try {
    for (let i = 0; i < 60; i++) {
      const agents = await b.client.listAgents();
      const names = agents.flatMap((a) => a.instances.map((r) => r.name));
      assert.deepEqual(names.sort(), ["B1", "B2", "B3"], `read ${i}: ${JSON.stringify(names)}`);
    }
  } finally {
    running = false;
    await load;
  }
});
