import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { AnswerMemory } from "../../src/rpc/answered.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const answer = (s: string) => ({ data: bytes(s) });

test("answers: the same bytes on the same reply subject get the remembered answer", async () => {
  const memory = new AnswerMemory(60_000);
  memory.begin("r1", bytes("request"), "agents.response.Bob.r1")(answer("yes"));
  assert.deepEqual(await memory.recall("r1", bytes("request"), "agents.response.Bob.r1"), answer("yes"));
  assert.equal(memory.recall("r1", bytes("request"), "agents.response.Eve.r1"), undefined, "another reply subject");
  assert.equal(memory.recall("r1", bytes("forged"), "agents.response.Bob.r1"), undefined, "other bytes under the same id");
  assert.equal(memory.recall("r2", bytes("request"), "agents.response.Bob.r1"), undefined, "another id");
});

test("answers: a request asked again while the first is being answered waits for that answer", async () => {
  const memory = new AnswerMemory(60_000);
  const settle = memory.begin("r1", bytes("request"), "reply");
  const waiting = memory.recall("r1", bytes("request"), "reply");
  assert.ok(waiting);
  settle(answer("later"));
  assert.deepEqual(await waiting, answer("later"));
});

test("answers: only the first comer is remembered under an id", async () => {
  const memory = new AnswerMemory(60_000);
  memory.begin("r1", bytes("genuine"), "reply")(answer("genuine answer"));
  memory.begin("r1", bytes("replayed by another"), "elsewhere")(answer("refused"));
  assert.deepEqual(await memory.recall("r1", bytes("genuine"), "reply"), answer("genuine answer"));
  assert.equal(memory.recall("r1", bytes("replayed by another"), "elsewhere"), undefined);
});

test("answers: forgotten after keepMs", async () => {
  const memory = new AnswerMemory(1);
  memory.begin("r1", bytes("request"), "reply")(answer("yes"));
  await sleep(20);
  assert.equal(memory.recall("r1", bytes("request"), "reply"), undefined);
});

test("answers: bounded in count and in bytes, oldest forgotten first", async () => {
  const byCount = new AnswerMemory(60_000, { answers: 3, bytes: 1_000_000 });
  for (const id of ["a", "b", "c", "d"]) byCount.begin(id, bytes(id), "reply")(answer(id));
  assert.equal(byCount.recall("a", bytes("a"), "reply"), undefined);
  assert.deepEqual(await byCount.recall("d", bytes("d"), "reply"), answer("d"));

  const bySize = new AnswerMemory(60_000, { answers: 100, bytes: 10 });
  bySize.begin("a", bytes("a"), "reply")(answer("123456"));
  bySize.begin("b", bytes("b"), "reply")(answer("123456"));
  assert.equal(bySize.recall("a", bytes("a"), "reply"), undefined);
  assert.deepEqual(await bySize.recall("b", bytes("b"), "reply"), answer("123456"));
});
