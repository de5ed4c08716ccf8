import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { defineAgent, type Envelope } from "../../src/index.ts";
import { eventually, setup, type Bench } from "../helpers/in-process.ts";

let b: Bench;
const heard: { agent: string; msg: Envelope }[] = [];
const member = (name: string, groups: string[]) =>
  defineAgent({
    name,
    groups,
    async onGroupMessage(msg) {
      heard.push({ agent: name, msg });
    },
    async onRequest(msg, ctx) {
      if (msg.content === "leave") await ctx.leaveGroup("ops");
      if (msg.content === "post") await ctx.postToGroup("ops", `${name} says hi`);
      return "ok";
    },
  });

before(async () => {
  b = await setup();
  await b.host(member("Ann", ["ops"]), member("Bob", ["ops"]), member("Cid", []));
});
after(async () => b.dispose());

test("groups: members hear posts to their group, the poster and non-members do not", async () => {
  await b.client.requestFromAgent("Ann", "post");
  await eventually("Bob hears Ann", () => heard.some((h) => h.agent === "Bob" && h.msg.content === "Ann says hi"));
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(heard.map((h) => h.agent), ["Bob"]);
  assert.equal(heard[0]!.msg.metadata.group, "ops");
  const ann = (await b.client.getAgent("Ann"))!;
  assert.deepEqual(ann.instances[0]!.groups, ["ops"], "membership is visible in the registry");
});

test("groups: an agent that leaves no longer hears the group; history keeps every post in order", async () => {
  await b.client.requestFromAgent("Bob", "leave");
  await b.client.postToGroup("ops", "after Bob left");
  await eventually("Ann hears it", () => heard.some((h) => h.agent === "Ann" && h.msg.content === "after Bob left"));
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(!heard.some((h) => h.agent === "Bob" && h.msg.content === "after Bob left"));
  const history = await b.client.groupHistory("ops");
  assert.deepEqual(history.map((m) => m.content), ["Ann says hi", "after Bob left"]);
  assert.deepEqual((await b.client.groupHistory("ops", 1)).map((m) => m.content), ["after Bob left"]);
});
