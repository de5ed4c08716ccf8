import { test } from "node:test";
import assert from "node:assert/strict";
import { ALL_SUBJECT, deadLetterSubject, directSubject, handoffSubject, parseSubject, progressSubject, requestSubject, responseSubject } from "../../src/protocol/index.ts";
import { ValidationError } from "../../src/index.ts";

test("subjects: built exactly as the seed names them", () => {
  assert.equal(ALL_SUBJECT, "agents.all");
  assert.equal(directSubject("Weather-Bot"), "agents.direct.Weather-Bot");
  assert.equal(requestSubject("Weather-Bot"), "agents.request.Weather-Bot");
  assert.equal(responseSubject("General-Assistant", "abc123"), "agents.response.General-Assistant.abc123");
  assert.equal(handoffSubject("Task-Coordinator", "General-Assistant"), "agents.handoff.Task-Coordinator.to.General-Assistant");
  assert.equal(deadLetterSubject("Echo"), "agents.dlq.Echo");
});

test("subjects: parse round-trips every kind", () => {
  const table: [string, unknown][] = [
    ["agents.all", { kind: "all" }],
    ["agents.direct.Echo", { kind: "direct", agent: "Echo" }],
    ["agents.request.Echo", { kind: "request", agent: "Echo" }],
    ["agents.response.cli.r1", { kind: "response", agent: "cli", requestId: "r1" }],
    ["agents.handoff.A.to.B", { kind: "handoff", from: "A", to: "B" }],
    ["agents.dlq.Echo", { kind: "deadLetter", agent: "Echo" }],
  ];
  for (const [subject, parsed] of table) assert.deepEqual(parseSubject(subject), parsed, subject);
});

test("subjects: parse returns undefined for foreign or malformed subjects", () => {
  for (const s of ["agents", "agents.direct", "agents.direct.a.b", "other.direct.A", "agents.handoff.A.B.C", "agents.handoff.A.to", "agents.response.A", "$KV.x.y"]) {
    assert.equal(parseSubject(s), undefined, s);
  }
});

test("subjects: refuse names that would change the subject's shape", () => {
  assert.throws(() => directSubject("a.b"), /invalid agent name "a.b"/);
  assert.throws(() => requestSubject(">"), /wildcard/);
  assert.throws(() => handoffSubject("A", "*"), /invalid to "\*"/);
  assert.throws(() => responseSubject("A", "x.y"), /not a subject token/);
});

test("subjects: a request id that is not one token is a ValidationError (code bad_request)", () => {
  assert.throws(() => progressSubject("A", "x y"), (err: unknown) => err instanceof ValidationError && err.code === "bad_request");
  assert.throws(() => responseSubject("A", "x.y"), ValidationError);
});
