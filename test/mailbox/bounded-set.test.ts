import { test } from "node:test";
import assert from "node:assert/strict";
import { BoundedSet } from "../../src/mailbox/settle.ts";

test("finished messages: the newest `limit` stream sequences are remembered, the oldest forgotten first", () => {
  const set = new BoundedSet(1000);
  for (let seq = 1; seq <= 2500; seq++) set.add(seq);
  assert.equal(set.has(1500), false, "older than the newest 1000");
  assert.equal(set.has(1501), true);
  assert.equal(set.has(2500), true);
  set.add(2000);
  set.add(2501);
  assert.equal(set.has(1501), false, "one new sequence pushes out exactly the oldest");
  assert.equal(set.has(1502), true);
});
