import { test } from "node:test";
import assert from "node:assert/strict";
import { createEnvelope, inspectMessage, parseTimeSpec, planFilter, subjectMatches, type MessageFilter } from "../../src/index.ts";

const encode = (o: unknown) => new TextEncoder().encode(JSON.stringify(o));
const at = new Date("2026-01-31T12:00:00Z");
const direct = createEnvelope({ type: "direct", from: "Planner", to: "Worker", content: "do it", threadId: "T1" });
const broadcast = createEnvelope({ type: "broadcast", from: "Ops", content: "hi all" });
const stored = {
  direct: inspectMessage({ subject: "agents.direct.Worker", data: encode(direct), seq: 5, time: at }),
  record: inspectMessage({ subject: "agents.handoff.Planner.to.Worker", data: encode(direct), seq: 6, time: at }),
  broadcast: inspectMessage({ subject: "agents.all", data: encode(broadcast), seq: 7, time: at }),
  garbage: inspectMessage({ subject: "agents.direct.Worker", data: encode({ nope: 1 }), seq: 8, time: at }),
};

test("inspect: planFilter picks one server subject and the predicate applies every field", () => {
  const cases: [MessageFilter, string | undefined, (keyof typeof stored)[]][] = [
    [{}, undefined, ["direct", "record", "broadcast", "garbage"]],
    // An invalid payload in the mailbox still shows: it was delivered to Worker.
    [{ to: "Worker" }, "agents.direct.Worker", ["direct", "garbage"]],
    [{ to: "Worker", deadLetters: true }, "agents.dlq.Worker", []],
    [{ type: "broadcast" }, "agents.all", ["broadcast"]],
    [{ type: "direct" }, undefined, ["direct", "record"]],
    [{ agent: "Worker" }, undefined, ["direct", "record", "garbage"]],
    [{ from: "Planner", thread: "T1" }, undefined, ["direct", "record"]],
    [{ thread: broadcast.id }, undefined, ["broadcast"]],
    [{ subject: "agents.handoff.>" }, "agents.handoff.>", ["record"]],
    [{ fromSeq: 7 }, undefined, ["broadcast", "garbage"]],
    [{ since: new Date("2026-02-01T00:00:00Z") }, undefined, []],
  ];
  for (const [filter, subject, expected] of cases) {
    const plan = planFilter(filter);
    assert.equal(plan.filterSubject, subject, JSON.stringify(filter));
    const got = (Object.keys(stored) as (keyof typeof stored)[]).filter((k) => plan.matches(stored[k]));
    assert.deepEqual(got, expected, JSON.stringify(filter));
  }
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
