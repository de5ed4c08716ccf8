import { test } from "node:test";
import assert from "node:assert/strict";
import { Limiter } from "../src/limiter.ts";

test("limiter: waiting tasks are served round robin by key, so one key's backlog does not hold up another", async () => {
  const limiter = new Limiter(1);
  const order: string[] = [];
  const release = await limiter.acquire("flood");
  const tasks = [
    ...Array.from({ length: 5 }, (_, i) => limiter.acquire("flood").then((free) => (order.push(`flood${i}`), free()))),
    limiter.acquire("steady").then((free) => (order.push("steady"), free())),
  ];
  release();
  await Promise.all(tasks);
  assert.deepEqual(order, ["flood0", "steady", "flood1", "flood2", "flood3", "flood4"]);
  await limiter.idle();
});

test("limiter: one key may fill at most half of the queue; another still gets in", async () => {
  const limiter = new Limiter(1, 4);
  const release = await limiter.acquire("flood");
  const queued = [limiter.tryAcquire("flood"), limiter.tryAcquire("flood")];
  assert.ok(queued.every(Boolean));
  assert.equal(limiter.tryAcquire("flood"), undefined, "a third waiter of one key is refused");
  const steady = limiter.tryAcquire("steady");
  assert.ok(steady, "another key is queued");
  release();
  await Promise.all([...queued, steady].map(async (p) => (await p!)()));
  await limiter.idle();
});

test("limiter: take gives a free slot at once and nothing when all are busy, without queueing", async () => {
  const limiter = new Limiter(2, 4);
  const a = limiter.take();
  const b = limiter.take();
  assert.ok(a && b);
  assert.equal(limiter.take(), undefined, "no third slot");
  assert.equal(limiter.queued, 0, "a refused take waits for nothing");
  const waiter = limiter.acquire("x");
  a();
  (await waiter)();
  b();
  assert.equal(limiter.active, 0);
  await limiter.idle();
});
