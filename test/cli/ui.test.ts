import { test } from "node:test";
import assert from "node:assert/strict";
import { parseUiFlags } from "../../src/cli/ui.ts";

test("cli ui: flags default to loopback port 8080 as human", () => {
  assert.deepEqual(parseUiFlags([]), { port: 8080, host: "127.0.0.1", human: "human" });
  assert.deepEqual(parseUiFlags(["--port", "0", "--host=0.0.0.0", "--human", "ops-desk"]), { port: 0, host: "0.0.0.0", human: "ops-desk" });
  assert.deepEqual(parseUiFlags(["--no-human"]), { port: 8080, host: "127.0.0.1", human: false });
});

test("cli ui: bad flags name the flag and what was expected", () => {
  const cases: [string[], RegExp][] = [
    [["--port", "http"], /--port: expected a port number from 0 to 65535/],
    [["--port", "70000"], /--port: expected a port number/],
    [["--port"], /--port needs a value/],
    [["--host", "a b"], /--host: expected an IP address or host name/],
    [["--human", "bad.name"], /--human: "bad.name" is not an agent name/],
    [["--verbose"], /unknown argument --verbose/],
  ];
  for (const [argv, expected] of cases) assert.throws(() => parseUiFlags(argv), expected, argv.join(" "));
});
