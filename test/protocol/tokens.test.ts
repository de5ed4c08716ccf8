import { test } from "node:test";
import assert from "node:assert/strict";
import { assertSubjectToken, isSubjectToken, kvStreamName, kvSubject } from "../../src/protocol/index.ts";
import { isSubjectFilter } from "../../src/protocol/subjects.ts";

test("tokens: a subject token has no whitespace, dot or wildcard", () => {
  for (const ok of ["a", "Weather-Bot", "6Kx2abc", "done-x", "ü"]) assert.equal(isSubjectToken(ok), true, ok);
  for (const bad of ["", "a.b", "*", "a>", "a b", "a\tb", "a\nb"]) assert.equal(isSubjectToken(bad), false, JSON.stringify(bad));
});

test("tokens: the check names the field", () => {
  assert.equal(assertSubjectToken("r1", "request id"), "r1");
  assert.throws(() => assertSubjectToken("x.y", "request id"), /^ValidationError: request id "x\.y" is not a subject token/);
  assert.throws(() => assertSubjectToken(7, "thread"), /thread must be a string, got number/);
});

test("tokens: subject filters stay under agents, with wildcards", () => {
  for (const ok of ["agents", "agents.>", "agents.direct.*", "agents.*.Echo", "agents.handoff.A.to.*"]) assert.equal(isSubjectFilter(ok), true, ok);
  for (const bad of ["other.>", ">", "agents..x", "agents.>.x", "agents.a b", "agents.*x"]) assert.equal(isSubjectFilter(bad), false, bad);
});

test("tokens: a KV bucket lives in stream KV_{bucket} under $KV.{bucket}", () => {
  assert.equal(kvStreamName("natter-registry"), "KV_natter-registry");
  assert.equal(kvSubject("natter-registry", "Echo.>"), "$KV.natter-registry.Echo.>");
});
