import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { runAuthCommand } from "../../src/cli/auth.ts";
import { secretsDir, type SecretsDir } from "../helpers/secrets.ts";

let secrets: SecretsDir;
let out: string;
const written: string[] = [];
const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);

before(() => {
  secrets = secretsDir();
  out = join(secrets.dir, "auth");
  // Keep the command's output for assertions instead of the test report.
  process.stdout.write = ((chunk: string) => (written.push(chunk), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string) => (written.push(chunk), true)) as typeof process.stderr.write;
});
after(() => {
  process.stdout.write = realOut;
  process.stderr.write = realErr;
  secrets.dispose();
});

const keys = () => JSON.parse(readFileSync(join(out, "trusted-keys.json"), "utf8")) as Record<string, string>;

test("auth command: writes private seeds, the server include and the trusted keys", async () => {
  assert.equal(await runAuthCommand(["--out", out, "Planner", "Writer"]), 0);
  for (const name of ["admin", "Planner", "Writer"]) assert.equal(statSync(join(out, `${name}.nk`)).mode & 0o777, 0o600, `${name}.nk is private`);
  const conf = readFileSync(join(out, "auth.conf"), "utf8");
  assert.match(conf, /agents\.handoff\.Planner\.to\.\*/);
  assert.match(conf, /\$KV\.natter-registry\.Writer\.>/);
  assert.doesNotMatch(conf, /_INBOX\.>/, "no agent may read the shared inbox");
  assert.deepEqual(Object.keys(keys()), ["Planner", "Writer"]);
});

test("auth command: re-running keeps keys; --rotate replaces one and keeps the old seed", async () => {
  const before = keys();
  assert.equal(await runAuthCommand(["--out", out, "Planner", "Writer", "Critic"]), 0);
  const again = keys();
  assert.equal(again.Planner, before.Planner);
  assert.ok(again.Critic);
  assert.equal(await runAuthCommand(["--out", out, "--rotate", "Writer", "Planner", "Writer", "Critic"]), 0);
  assert.notEqual(keys().Writer, before.Writer);
  assert.equal(keys().Planner, before.Planner);
  assert.ok(existsSync(join(out, "Writer.nk.old")));
});

test("auth command: bad input exits 2 with a message naming the problem", async () => {
  written.length = 0;
  assert.equal(await runAuthCommand(["Planner"]), 2);
  assert.match(written.join(""), /--out DIR is required/);
  written.length = 0;
  assert.equal(await runAuthCommand(["--out", out, "bad.name"]), 2);
  assert.match(written.join(""), /agent.*dots separate subject tokens/);
  written.length = 0;
  assert.equal(await runAuthCommand(["--out", out, "--rotate", "Ghost", "Planner"]), 2);
  assert.match(written.join(""), /--rotate Ghost: not in the list/);
});
