import { test } from "node:test";
import assert from "node:assert/strict";
import { SeenIds, START_GRACE_MS } from "../../src/security/seen.ts";

const T0 = 1_000_000_000;
const WINDOW = 120_000;

test("seen ids: a stored message's redelivery (same sequence) is let through, another copy of its id is a replay", () => {
  const seen = new SeenIds(WINDOW, 100, T0);
  const at = T0 + 10_000;
  assert.equal(seen.look("m1", at, { seq: 7, deliveryCount: 1 }, at).kind, "new");
  seen.remember("m1", at, 7, at);
  assert.deepEqual(seen.look("m1", at, { seq: 7, deliveryCount: 2 }, at + 1000), { kind: "again", checked: true });
  assert.deepEqual(seen.look("m1", at, { seq: 7, deliveryCount: 1 }, at + 1000), { kind: "again", checked: true }, "a re-created consumer delivers it again");
  const replay = seen.look("m1", at, { seq: 9, deliveryCount: 1 }, at + 1000);
  assert.equal(replay.kind, "replay");
  assert.match((replay as { why: string }).why, /stream message 7/);
});

test("seen ids: a core message seen once is a replay the second time, until twice the window has passed", () => {
  const seen = new SeenIds(WINDOW, 100, T0);
  const at = T0 + 10_000;
  seen.remember("r1", at, undefined, at);
  assert.equal(seen.look("r1", at, undefined, at + 2 * WINDOW).kind, "replay");
  assert.equal(seen.look("r1", at, undefined, at + 2 * WINDOW + 1).kind, "new", "forgotten once no copy could pass the freshness check");
});

test("seen ids: after a restart, a live message signed before the start is refused; stored mail that waited is not", () => {
  const seen = new SeenIds(WINDOW, 100, T0);
  assert.equal(seen.look("old", T0 - START_GRACE_MS - 1, undefined, T0 + 100).kind, "replay");
  assert.equal(seen.look("inflight", T0 - START_GRACE_MS + 1, undefined, T0 + 100).kind, "new");
  assert.equal(seen.look("queued", T0 - 60_000, { seq: 3, deliveryCount: 1 }, T0 + 100).kind, "new", "mail is guarded by its Nats-Msg-Id instead");
  assert.deepEqual(seen.look("held", T0 - 60_000, { seq: 4, deliveryCount: 3 }, T0 + 100), { kind: "again", checked: false }, "a redelivery is checked, not refused");
});

test("seen ids: memory is bounded; past it, first sightings no newer than a forgotten id are refused", () => {
  const seen = new SeenIds(WINDOW, 3, T0);
  for (let i = 0; i < 5; i++) seen.remember(`id${i}`, T0 + i * 1000, i, T0 + i * 1000);
  assert.equal(seen.size, 3);
  assert.equal(seen.look("id0", T0, { seq: 99, deliveryCount: 1 }, T0 + 5000).kind, "replay", "a replay of a forgotten id is still refused");
  assert.equal(seen.look("fresh", T0 + 500, { seq: 100, deliveryCount: 1 }, T0 + 5000).kind, "replay");
  assert.equal(seen.look("fresh", T0 + 4500, { seq: 100, deliveryCount: 1 }, T0 + 5000).kind, "new");
});
