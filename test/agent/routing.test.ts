import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { defineAgent, NoAgentWithCapabilityError, AgentUnavailableError } from "../../src/index.ts";
import { eventually, gate, setup, type Bench } from "../helpers/in-process.ts";

let b: Bench;
const held = gate();
const handledBy: string[] = [];
before(async () => {
  b = await setup({ NATTER_HEARTBEAT_MS: "500" });
  const forecaster = (name: string, concurrency: number) =>
    defineAgent({
      name,
      capabilities: ["weather"],
      concurrency,
      async onRequest(msg) {
        handledBy.push(name);
        if (msg.content === "hold") await held.promise;
        return `${name}: sunny`;
      },
      async onMessage(msg) {
        handledBy.push(`${name}:${msg.content}`);
      },
    });
  await b.host(forecaster("Sky", 1), forecaster("Cloud", 1), defineAgent({ name: "Chef", capabilities: ["cooking"], onRequest: () => "soup" }));
});
after(async () => {
  held.open();
  await b.dispose();
});

test("routing: a request by capability goes to the least busy agent that has it", async () => {
  const busy = b.client.requestFromAgent("Sky", "hold");
  await eventually("Sky to be busy", async () => (await b.client.getAgent("Sky"))?.status === "busy");
  for (let i = 0; i < 5; i++) assert.equal((await b.client.requestByCapability("weather", "forecast?")).content, "Cloud: sunny");
  held.open();
  await busy;
});

test("routing: with equal load both agents get picked", async () => {
  await eventually("both idle", async () => (await b.client.findAgents("weather")).every((a) => a.load === 0));
  const picks = new Set<string>();
  for (let i = 0; i < 40 && picks.size < 2; i++) picks.add(await b.client.pickAgent("weather"));
  assert.deepEqual([...picks].sort(), ["Cloud", "Sky"]);
});

test("routing: send by capability lands in the picked agent's mailbox", async () => {
  const sent = await b.client.sendByCapability("cooking", "make soup");
  assert.equal(sent.envelope.to, "Chef");
});

test("routing: no agent with the capability fails fast with a typed error", async () => {
  const started = performance.now();
  await assert.rejects(b.client.requestByCapability("juggling", "hi", { timeoutMs: 30_000 }), (err: unknown) => {
    assert.ok(err instanceof NoAgentWithCapabilityError);
    assert.ok(err instanceof AgentUnavailableError, "callers catching unavailability catch it too");
    assert.equal(err.capability, "juggling");
    assert.match(err.message, /no live agent has the capability "juggling"/);
    return true;
  });
  assert.ok(performance.now() - started < 10_000, "fails from the registry, well before the 30 s timeout");
});
