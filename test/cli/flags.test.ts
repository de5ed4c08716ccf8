import { test } from "node:test";
import assert from "node:assert/strict";
import * as v from "valibot";
import { COMMON_FLAGS, parseCommand, wholeNumber } from "../../src/cli/args.ts";
import { flagHelp, switchFlag, valueFlag } from "../../src/cli/flags.ts";

const FLAGS = {
  ...COMMON_FLAGS,
  watch: switchFlag("keep watching", "w"),
  limit: valueFlag(wholeNumber(1, "how many"), "stop after N", { value: "N", short: "n" }),
  as: valueFlag(v.string(), "speak as NAME", { value: "NAME", default: "cli" }),
  note: switchFlag("first line\nsecond line"),
  "a-rather-long-flag": valueFlag(v.string(), "text", { value: "VALUE" }),
};

test("cli flags: one declaration gives parseArgs its options, valibot its schema and the result its types", () => {
  const { flags, positionals } = parseCommand("demo", ["-w", "-n", "5", "word"], FLAGS);
  // Types follow the schemas (checked before assert.deepEqual narrows them): a default makes a flag always present.
  const as: string = flags.as;
  const limit: number | undefined = flags.limit;
  // @ts-expect-error a flag without a default may be absent
  const absent: number = flags.limit;
  assert.equal(as, "cli");
  assert.equal(limit, absent);
  assert.deepEqual(flags, { watch: true, limit: 5, as: "cli" });
  assert.deepEqual(positionals, ["word"]);
});

test("cli flags: a problem names the flag and what was expected", () => {
  assert.throws(() => parseCommand("demo", ["--watch=yes"], FLAGS), /^ConfigError: --watch takes no value \(see natter demo --help\)$/);
  assert.throws(() => parseCommand("demo", ["-n"], FLAGS), /--limit: expected a value/);
  assert.throws(() => parseCommand("demo", ["-n", "0"], FLAGS), /--limit: expected how many \(a whole number from 1\), got "0"/);
  assert.throws(() => parseCommand("demo", ["--nope"], FLAGS), /unknown option --nope/);
});

test("cli flags: --help lines come from the declarations, descriptions in one column", () => {
  assert.equal(
    flagHelp(FLAGS, ["watch", "limit", "as", "note", "a-rather-long-flag", "server"]),
    [
      "  -w, --watch          keep watching",
      "  -n, --limit N        stop after N",
      "      --as NAME        speak as NAME (default cli)",
      "      --note           first line",
      "                       second line",
      "      --a-rather-long-flag VALUE text",
      "  -s, --server URL     NATS server URL (default NATS_URL)",
    ].join("\n"),
  );
});
