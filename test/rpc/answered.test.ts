import { test } from "node:test";
import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { AnswerMemory } from "../../src/rpc/answered.ts";

// The memory in a responder; test/rpc/resend.test.ts checks it end to end (one run, the same bytes to every re-send).
const bytes = (s: string) => new TextEncoder().encode(s);
const answer = (s: string) => ({ data: bytes(s) });
const MINUTE = 60_000;

test("answers: the same bytes on the same reply subject get the remembered answer", async () => {
  const memory = new AnswerMemory();
  memory.begin("r1", bytes("request"), "agents.response.Bob.r1", MINUTE)!(answer("yes"));
  assert.deepEqual(await memory.recall("r1", bytes("request"), "agents.response.Bob.r1"), answer("yes"));
  assert.equal(memory.recall("r1", bytes("request"), "agents.response.Eve.r1"), undefined, "another reply subject");
  assert.equal(memory.recall("r1", bytes("forged"), "agents.response.Bob.r1"), undefined, "other bytes under the same id");
  assert.equal(memory.recall("r1", bytes("requesT"), "agents.response.Bob.r1"), undefined, "other bytes of the same length");
  assert.equal(memory.recall("r1", bytes("request "), "agents.response.Bob.r1"), undefined, "one byte more");
  assert.equal(memory.recall("r2", bytes("request"), "agents.response.Bob.r1"), undefined, "another id");
});

test("answers: a request asked again while the first is being answered waits for that answer", async () => {
  const memory = new AnswerMemory();
  const settle = memory.begin("r1", bytes("request"), "reply", MINUTE)!;
  const waiting = [memory.recall("r1", bytes("request"), "reply"), memory.recall("r1", bytes("request"), "reply")];
  assert.ok(waiting.every((w) => w instanceof Promise), "both wait");
  assert.equal(memory.recall("r1", bytes("tampered"), "reply"), undefined, "a tampered copy does not wait");
  settle(answer("later"));
  assert.deepEqual(await Promise.all(waiting), [answer("later"), answer("later")]);
});

test("answers: an answer still being worked on is not forgotten for its age, and is kept for its time once sent", async () => {
  const memory = new AnswerMemory();
  const settle = memory.begin("slow", bytes("request"), "reply", 5)!;
  await sleep(20);
  memory.begin("other", bytes("other"), "reply", 5); // trims
  assert.ok(memory.recall("slow", bytes("request"), "reply") instanceof Promise, "still waited for");
  settle(answer("done"));
  assert.deepEqual(memory.recall("slow", bytes("request"), "reply"), answer("done"));
  await sleep(20);
  memory.begin("another", bytes("another"), "reply", 5);
  assert.equal(memory.recall("slow", bytes("request"), "reply"), undefined, "forgotten after its time");
});

test("answers: a handler that ran past the time asked still has its answer kept once sent (its requester may still wait)", async () => {
  const memory = new AnswerMemory();
  const settle = memory.begin("long", bytes("request"), "reply", 20)!;
  await sleep(40); // nothing else arrives meanwhile: no trim pushes it back
  settle(answer("late"));
  assert.deepEqual(memory.recall("long", bytes("request"), "reply"), answer("late"), "not forgotten the moment it is sent");
  await sleep(40);
  memory.begin("next", bytes("next"), "reply", 20);
  assert.equal(memory.recall("long", bytes("request"), "reply"), undefined, "forgotten its time after it was sent");
});

test("answers: only the first comer is remembered under an id", async () => {
  const memory = new AnswerMemory();
  memory.begin("r1", bytes("genuine"), "reply", MINUTE)!(answer("genuine answer"));
  assert.equal(memory.begin("r1", bytes("replayed by another"), "elsewhere", MINUTE), undefined);
  assert.deepEqual(await memory.recall("r1", bytes("genuine"), "reply"), answer("genuine answer"));
  assert.equal(memory.recall("r1", bytes("replayed by another"), "elsewhere"), undefined);
});

test("answers: forgotten after their time, each by its own", async () => {
  const memory = new AnswerMemory();
  memory.begin("short", bytes("request"), "reply", 1)!(answer("yes"));
  memory.begin("long", bytes("request"), "reply", MINUTE)!(answer("yes"));
  await sleep(20);
  assert.equal(memory.recall("short", bytes("request"), "reply"), undefined);
  assert.deepEqual(memory.recall("long", bytes("request"), "reply"), answer("yes"));
  assert.equal(memory.begin("none", bytes("request"), "reply", 0), undefined, "a time of 0: not remembered");
  assert.equal(memory.recall("none", bytes("request"), "reply"), undefined);
});

test("answers: after their time, the answers held are let go and the id may be used again", (t) => {
  // A mocked clock: on a loaded machine filling the memory can take longer than the answers' time.
  t.mock.timers.enable({ apis: ["Date"] });
  const memory = new AnswerMemory();
  for (let i = 0; i < 3_000; i++) memory.begin(`r${i}`, bytes(`request ${i}`), "reply", 300)!(answer(`answer ${i}`));
  assert.equal(memory.size, 3_000);
  t.mock.timers.tick(350);
  memory.begin("r0", bytes("a new request"), "reply", MINUTE)!(answer("new"));
  assert.equal(memory.size, 1, "only the new one is held");
  assert.deepEqual(memory.recall("r0", bytes("a new request"), "reply"), answer("new"));
});

test("answers: bounded in count and in bytes, oldest forgotten first", async () => {
  const byCount = new AnswerMemory({ answers: 3, bytes: 1_000_000 });
  for (const id of ["a", "b", "c", "d"]) byCount.begin(id, bytes(id), "reply", MINUTE)!(answer(id));
  assert.equal(byCount.recall("a", bytes("a"), "reply"), undefined);
  assert.deepEqual(await byCount.recall("b", bytes("b"), "reply"), answer("b"));
  assert.deepEqual(await byCount.recall("d", bytes("d"), "reply"), answer("d"));
  assert.equal(byCount.size, 3);

  const bySize = new AnswerMemory({ answers: 100, bytes: 10 });
  bySize.begin("a", bytes("a"), "reply", MINUTE)!(answer("123456"));
  bySize.begin("b", bytes("b"), "reply", MINUTE)!(answer("123456"));
  assert.equal(bySize.recall("a", bytes("a"), "reply"), undefined);
  assert.deepEqual(await bySize.recall("b", bytes("b"), "reply"), answer("123456"));
});

test("answers: a waiter still gets the first answer when the memory forgot it for room meanwhile", async () => {
  const memory = new AnswerMemory({ answers: 2, bytes: 1_000_000 });
  const settle = memory.begin("first", bytes("first"), "reply", MINUTE)!;
  const waiting = memory.recall("first", bytes("first"), "reply");
  for (const id of ["b", "c"]) memory.begin(id, bytes(id), "reply", MINUTE)!(answer(id));
  settle(answer("first answer"));
  assert.deepEqual(await waiting, answer("first answer"));
  assert.equal(memory.recall("first", bytes("first"), "reply"), undefined, "but it is not kept");
});
