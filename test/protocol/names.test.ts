import { test } from "node:test";
import assert from "node:assert/strict";
import { agentNameProblem, assertAgentName } from "../../src/protocol/index.ts";
import { ValidationError } from "../../src/index.ts";

test("names: accepts letters, digits, dash and underscore, case-sensitively", () => {
  for (const name of ["Weather-Bot", "weather-bot", "a", "A_1", "x".repeat(64), "General-Assistant", "007"]) {
    assert.equal(agentNameProblem(name), undefined, name);
    assert.equal(assertAgentName(name), name);
  }
});

test("names: rejects each bad name with a reason", () => {
  const cases: [string, RegExp][] = [
    ["", /empty/],
    ["x".repeat(65), /65 characters long, over the limit of 64/],
    ["weather.bot", /"\." \(dots separate subject tokens\)/],
    ["*", /"\*" \(it is a NATS wildcard\)/],
    ["bots>", /">" \(it is a NATS wildcard\)/],
    ["two words", /control or space character U\+0020/],
    ["tab\tname", /U\+0009/],
    ["nul\u0000", /U\+0000/],
    ["émile", /"é"/],
  ];
  for (const [name, why] of cases) {
    assert.match(agentNameProblem(name) ?? "", why, JSON.stringify(name));
    assert.throws(() => assertAgentName(name), (err: unknown) => err instanceof ValidationError && why.test(err.message));
  }
});

test("names: a non-string is rejected naming the field", () => {
  assert.throws(() => assertAgentName(42, "recipient"), /recipient must be a string, got number/);
});
