import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { defineAgent } from "../../src/index.ts";
import { eventually, gate, setup, type Bench } from "../helpers/in-process.ts";

let b: Bench;
before(async () => {
  b = await setup();
});
after(async () => b.dispose());

test("priority: a priority-1 message sent after 500 priority-5 ones is handled before the rest of the backlog", async () => {
  const order: string[] = [];
  const first = gate();
  await b.host(
    defineAgent({
      name: "Busy",
      concurrency: 1,
      async onMessage(msg) {
        order.push(msg.content);
        if (msg.content === "first") await first.promise;
      },
    }),
  );
  await b.client.sendDirectMessage("Busy", "first", {}, { notify: false });
  await eventually("the first message to run", () => order.length === 1);
  for (let i = 0; i < 500; i++) await b.client.sendDirectMessage("Busy", `low ${i}`, {}, { priority: 5, notify: false });
  await b.client.sendDirectMessage("Busy", "urgent", {}, { priority: 1, notify: false });
  // The agent has read the whole backlog into its window by now; let the running one finish.
  await new Promise((r) => setTimeout(r, 500));
  first.open();
  await eventually("the backlog to drain", () => order.length === 502, 30_000);
  assert.equal(order[1], "urgent", `handled right after the one already running; order began ${order.slice(0, 4).join(", ")}`);
  assert.deepEqual(order.slice(2, 5), ["low 0", "low 1", "low 2"], "equal priorities keep their order");
});

test("priority: a handoff (priority 1 by default) overtakes queued normal messages", async () => {
  const order: string[] = [];
  const first = gate();
  await b.host(
    defineAgent({
      name: "Desk",
      concurrency: 1,
      async onMessage(msg) {
        order.push(`${msg.type}:${msg.content}`);
        if (msg.content === "first") await first.promise;
      },
    }),
  );
  await b.client.sendDirectMessage("Desk", "first", {}, { notify: false });
  await eventually("first to run", () => order.length === 1);
  for (let i = 0; i < 20; i++) await b.client.sendDirectMessage("Desk", `normal ${i}`, {}, { notify: false });
  await b.client.handoffToAgent("Desk", "take this over", {}, { notify: false });
  await new Promise((r) => setTimeout(r, 300));
  first.open();
  await eventually("drain", () => order.length === 22);
  assert.equal(order[1], "handoff:take this over");
});
