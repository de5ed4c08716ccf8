import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { defineAgent, type Envelope } from "../../src/index.ts";
import { eventually, setup, type Bench } from "../helpers/in-process.ts";

let b: Bench;
const got: Envelope[] = [];
before(async () => {
  b = await setup();
  await b.host(defineAgent({ name: "Inbox", capabilities: ["inbox"], onMessage: (msg) => void got.push(msg), onBroadcast: (msg) => void got.push(msg) }));
});
after(async () => b.dispose());

/** What Inbox received of the message with this id. */
async function received(id: string): Promise<Envelope> {
  await eventually(`message ${id} at Inbox`, () => got.some((m) => m.id === id));
  return got.find((m) => m.id === id)!;
}

test("send options: metadata given in the options arrives at the receiver, with the other options", async () => {
  const direct = await b.client.sendDirectMessage("Inbox", "by options", { metadata: { lang: "en" }, priority: 2 });
  const msg = await received(direct.envelope.id);
  assert.deepEqual(msg.metadata, { lang: "en" });
  assert.equal(msg.priority, 2);

  const handoff = await b.client.handoffToAgent("Inbox", "handed", { metadata: { reason: "yours" } });
  const handed = await received(handoff.envelope.id);
  assert.deepEqual(handed.metadata, { reason: "yours" });
  assert.equal(handed.priority, 1, "a handoff stays urgent");

  const byCapability = await b.client.sendByCapability("inbox", "by capability", { metadata: { via: "capability" }, notify: false });
  const routed = await received(byCapability.envelope.id);
  assert.deepEqual(routed.metadata, { via: "capability" });
  assert.equal(routed.notify, false);

  const broadcast = await b.client.broadcastMessage("to all", { metadata: { kind: "news" }, priority: 4 });
  const heard = await received(broadcast.envelope.id);
  assert.deepEqual(heard.metadata, { kind: "news" });
  assert.equal(heard.priority, 4);
});

test("send options: the seed's positional metadata still arrives as it is", async () => {
  const plain = await b.client.sendDirectMessage("Inbox", "positional", { priority: "high" }, { priority: 2 });
  assert.deepEqual((await received(plain.envelope.id)).metadata, { priority: "high" });
  assert.equal((await received(plain.envelope.id)).priority, 2);
  // A key besides the options' makes the object metadata, even with a `metadata` key in it.
  const nested = await b.client.sendDirectMessage("Inbox", "nested", { metadata: { inner: true }, source: "import" });
  assert.deepEqual((await received(nested.envelope.id)).metadata, { metadata: { inner: true }, source: "import" });
  const broadcast = await b.client.broadcastMessage("to all, positional", { kind: "news" });
  assert.deepEqual((await received(broadcast.envelope.id)).metadata, { kind: "news" });
});
