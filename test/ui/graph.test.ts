import { test } from "node:test";
import assert from "node:assert/strict";
import { EdgeWindow } from "../../src/ui/graph.ts";

test("ui: the graph counts messages per pair over the window and forgets older ones", () => {
  const w = new EdgeWindow({ windowMs: 10_000, bucketMs: 1000 });
  w.add("Planner", "Worker", false, 1_000);
  w.add("Planner", "Worker", true, 2_500);
  w.add("Worker", "Planner", false, 5_000);
  assert.deepEqual(w.takeChanges(6_000), [
    { from: "Planner", to: "Worker", count: 2, handoffs: 1 },
    { from: "Worker", to: "Planner", count: 1, handoffs: 0 },
  ]);
  assert.equal(w.takeChanges(6_000), undefined, "nothing changed since the last call");
  assert.deepEqual(w.takeChanges(12_500), [
    { from: "Planner", to: "Worker", count: 1, handoffs: 1 },
    { from: "Worker", to: "Planner", count: 1, handoffs: 0 },
  ]);
  assert.deepEqual(w.takeChanges(30_000), []);
});
