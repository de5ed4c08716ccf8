import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { defineAgent } from "../../src/index.ts";
import { eventually, setup, type Bench } from "../helpers/in-process.ts";

let b: Bench;
before(async () => {
  b = await setup({ NATTER_HEARTBEAT_MS: "300" });
});
after(async () => b.dispose());

test("swarms: five instances with uneven handler times share one mailbox; the fast ones take more and none idles while work waits", async () => {
  const handled = new Map<number, number>();
  let outstanding = 0;
  const instance = (i: number) =>
    defineAgent({
      name: "Swarm",
      concurrency: 1,
      async onMessage() {
        handled.set(i, (handled.get(i) ?? 0) + 1);
        // Instance 0 is ten times faster than instance 4.
        await new Promise((r) => setTimeout(r, 5 + i * 12));
        outstanding--;
      },
    });
  // Separate hosts, as separate processes would be.
  for (let i = 0; i < 5; i++) await b.host(instance(i));
  await new Promise((r) => setTimeout(r, 800)); // every instance sees the others in the registry
  const total = 150;
  outstanding = total;
  for (let i = 0; i < total; i++) await b.client.sendDirectMessage("Swarm", `job ${i}`, {}, { notify: false });
  await eventually("all jobs", () => outstanding === 0, 60_000);
  const counts = [0, 1, 2, 3, 4].map((i) => handled.get(i) ?? 0);
  assert.equal(counts.reduce((a, c) => a + c, 0), total);
  assert.ok(counts.every((c) => c > 0), `every instance worked: ${counts}`);
  // Had an instance hoarded a read-ahead window, the shares would follow who pulled first, not who is free.
  assert.ok(counts[0]! > counts[4]! * 2, `the fastest took more than twice the slowest's share: ${counts}`);
});
