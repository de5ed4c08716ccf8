import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { registryKey } from "../../src/protocol/index.ts";
import { type AgentRecord } from "../../src/index.ts";
import { RegistryView } from "../../src/registry/view.ts";
import { eventually, setup, type Bench } from "../helpers/in-process.ts";

let b: Bench;
before(async () => {
  b = await setup();
});
after(async () => b.dispose());

const record = (name: string, instanceId: string, patch: Partial<AgentRecord> = {}): AgentRecord => ({
  name,
  instanceId,
  description: "",
  capabilities: [],
  tools: [],
  status: "available",
  lastHeartbeat: new Date().toISOString(),
  host: "test",
  version: "",
  load: 0,
  handled: 0,
  groups: [],
  ...patch,
});
const put = (r: AgentRecord) => b.client.bus.registry.put(registryKey(r.name, r.instanceId), JSON.stringify(r));

test("registry view: counts live instances from one watch; offline, deleted, invalid and aged-out entries do not count", async () => {
  await put(record("Viewed", "a"));
  const view = await RegistryView.open(b.client.bus, { ttlMs: 3000 });
  try {
    assert.deepEqual(view.liveInstances("Viewed").map((r) => r.instanceId), ["a"], "stored before the view opened");
    await put(record("Viewed", "b"));
    await eventually("the second instance", () => view.liveInstances("Viewed").length === 2);
    await put(record("Viewed", "b", { status: "offline" }));
    await eventually("offline not counted", () => view.liveInstances("Viewed").length === 1);
    await b.client.bus.registry.delete(registryKey("Viewed", "a"));
    await eventually("deleted not counted", () => view.liveInstances("Viewed").length === 0);
    await b.client.bus.registry.put(registryKey("Viewed", "bad"), "not json");
    // A heartbeat 2.5 s old with a 3 s TTL: gone within a second, with no KV event to say so; the view says so itself.
    let staleChanges = 0;
    const unsubscribeStale = view.onChange(() => staleChanges++, "Stale");
    await put(record("Stale", "c", { lastHeartbeat: new Date(Date.now() - 2500).toISOString() }));
    await eventually("the stale entry to arrive and age out", () => staleChanges >= 2, 20_000);
    unsubscribeStale();
    assert.equal(view.liveInstances("Stale").length, 0);
    assert.ok(!view.records().some((r) => r.name === "Stale"), "aged out of the records too");
    assert.equal(view.liveInstances("Other").length, 0);
  } finally {
    await view.stop();
  }
});

test("registry view: with keepMs a stale entry is kept but not live, told once as it goes stale, then dropped", async () => {
  const view = await RegistryView.open(b.client.bus, { ttlMs: 1000, keepMs: 2500, agent: "Kept" });
  try {
    const changes: string[] = [];
    view.onChange((name) => changes.push(name));
    await put(record("Kept", "k", { lastHeartbeat: new Date(Date.now() - 500).toISOString() }));
    await eventually("the entry to arrive", () => view.has("Kept"));
    assert.equal(view.liveInstances("Kept").length, 1);
    await eventually("the entry to go stale", () => changes.length === 2);
    assert.equal(view.liveInstances("Kept").length, 0, "stale: not live");
    assert.equal(view.records().length, 0, "stale: not among the records within the TTL");
    assert.deepEqual(view.instances("Kept").map((r) => r.instanceId), ["k"], "but kept");
    assert.ok(view.isStale(view.instances("Kept")[0]!));
    await eventually("the entry to be dropped", () => !view.has("Kept"), 10_000);
    assert.deepEqual(changes, ["Kept", "Kept", "Kept"], "written, gone stale, dropped: each told once");
  } finally {
    await view.stop();
  }
});
