import { test } from "node:test";
import assert from "node:assert/strict";
import { createEnvelope } from "../../src/protocol/index.ts";
import { inspectMessage, parseTimeSpec, planFilter, subjectMatches, type InspectedMessage, type MessageFilter } from "../../src/inspect/index.ts";

const encode = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const at = new Date("2026-01-31T12:00:00Z");
const direct = createEnvelope({ type: "direct", from: "Planner", to: "Worker", content: "do it", threadId: "T1" });
const broadcast = createEnvelope({ type: "broadcast", from: "Ops", content: "hi all" });
const raw = {
  direct: { subject: "agents.direct.Worker", data: encode(direct), seq: 5, time: at },
  record: { subject: "agents.handoff.Planner.to.Worker", data: encode(direct), seq: 6, time: at },
  broadcast: { subject: "agents.all", data: encode(broadcast), seq: 7, time: at },
  garbage: { subject: "agents.direct.Worker", data: encode({ nope: 1 }), seq: 8, time: at },
  badEnvelope: { subject: "agents.direct.Worker", data: encode({ ...direct, priority: 9 }), seq: 9, time: at },
};
const stored = Object.fromEntries(Object.entries(raw).map(([k, r]) => [k, inspectMessage(r)])) as Record<keyof typeof raw, InspectedMessage>;

test("inspect: planFilter picks one server subject and the predicate applies every field", () => {
  const cases: [MessageFilter, string | undefined, (keyof typeof stored)[]][] = [
    [{}, undefined, ["direct", "record", "broadcast", "garbage", "badEnvelope"]],
    // An invalid payload in the mailbox still shows: it was delivered to Worker.
    [{ to: "Worker" }, "agents.direct.Worker", ["direct", "garbage", "badEnvelope"]],
    [{ to: "Worker", deadLetters: true }, "agents.dlq.Worker", []],
    [{ type: "broadcast" }, "agents.all", ["broadcast"]],
    [{ type: "direct" }, undefined, ["direct", "record"]],
    [{ agent: "Worker" }, undefined, ["direct", "record", "garbage", "badEnvelope"]],
    [{ from: "Planner", thread: "T1" }, undefined, ["direct", "record"]],
    [{ from: "Nobody" }, undefined, []],
    [{ thread: broadcast.id }, undefined, ["broadcast"]],
    [{ subject: "agents.handoff.>" }, "agents.handoff.>", ["record"]],
    [{ fromSeq: 7 }, undefined, ["broadcast", "garbage", "badEnvelope"]],
    [{ since: new Date("2026-02-01T00:00:00Z") }, undefined, []],
  ];
  for (const [filter, subject, expected] of cases) {
    const plan = planFilter(filter);
    assert.equal(plan.filterSubject, subject, JSON.stringify(filter));
    const keys = Object.keys(raw) as (keyof typeof raw)[];
    assert.deepEqual(keys.filter((k) => plan.matches(stored[k])), expected, JSON.stringify(filter));
    // The cheap pre-check on raw JSON never drops a message the full check keeps.
    for (const k of expected) assert.ok(plan.mayMatch(raw[k]), `mayMatch dropped ${k} for ${JSON.stringify(filter)}`);
  }
});

test("inspect: the raw pre-check drops what cannot match without validating it", () => {
  assert.equal(planFilter({ from: "Nobody" }).mayMatch(raw.direct), false);
  assert.equal(planFilter({ thread: "other" }).mayMatch(raw.broadcast), false);
  assert.equal(planFilter({ to: "Worker" }).mayMatch(raw.broadcast), true, "subject-only filters leave it to the full check");
});

test("inspect: an invalid payload is reported, not thrown", () => {
  assert.equal(stored.garbage.envelope, undefined);
  assert.match(stored.garbage.invalid ?? "", /invalid envelope/);
  assert.equal(stored.record.channel, "handoff");
  assert.equal(stored.record.recipient, "Worker");
});

test("inspect: subjectMatches follows NATS wildcards", () => {
  const cases: [string, string, boolean][] = [
    ["agents.direct.*", "agents.direct.Echo", true],
    ["agents.direct.*", "agents.direct", false],
    ["agents.>", "agents.handoff.A.to.B", true],
    ["agents.>", "agents", false],
    ["agents.*.Echo", "agents.dlq.Echo", true],
    ["agents.all", "agents.all.x", false],
  ];
  for (const [pattern, subject, expected] of cases) assert.equal(subjectMatches(pattern, subject), expected, `${pattern} ~ ${subject}`);
});

test("inspect: parseTimeSpec reads durations back from now and ISO times", () => {
  const now = new Date("2026-01-31T12:00:00Z");
  assert.equal(parseTimeSpec("10m", now).toISOString(), "2026-01-31T11:50:00.000Z");
  assert.equal(parseTimeSpec("2h", now).toISOString(), "2026-01-31T10:00:00.000Z");
  assert.equal(parseTimeSpec("3d", now).toISOString(), "2026-01-28T12:00:00.000Z");
  assert.equal(parseTimeSpec("2026-01-30T08:00:00Z", now).toISOString(), "2026-01-30T08:00:00.000Z");
  for (const bad of ["yesterday", "10 minutes", "-5m", "2026-13-45"]) assert.throws(() => parseTimeSpec(bad, now), /expected a duration like 10m/, bad);
});
