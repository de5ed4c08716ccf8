import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { CONFIG_VARIABLES, loadConfig } from "../../src/config/config.ts";

/** The rows of the README's "## Configuration" table: the variables each row names, and its default cell. */
function readmeSettings(): { variables: string[]; defaultCell: string }[] {
  const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
  const section = readme.split(/^## /m).find((s) => s.startsWith("Configuration\n"));
  assert.ok(section, 'README.md has a "## Configuration" section');
  return section
    .split("\n")
    .filter((line) => /^\| `(NATS|NATTER)_/.test(line))
    .map((line) => {
      const [names = "", defaultCell = ""] = line.split("|").slice(1).map((cell) => cell.trim());
      return { variables: [...names.matchAll(/`([A-Z_]+)`/g)].map((m) => m[1]!), defaultCell };
    });
}

/** A default as the README writes it: the cell's leading literal; a cell that only describes or names a variable has none. */
function statedDefault(cell: string): string | undefined {
  const literal = /^`([^`]+)`/.exec(cell)?.[1];
  return literal === undefined || /^(NATS|NATTER)_[A-Z_]+$/.test(literal) ? undefined : literal;
}

/** A setting's value as it would be written in the environment. */
function asWritten(value: unknown): string | undefined {
  return value === undefined ? undefined : Array.isArray(value) ? value.join(",") : String(value);
}

test("readme: the settings table lists every setting of src/config/config.ts and no other", () => {
  const inReadme = readmeSettings().flatMap((row) => row.variables);
  const inModule = Object.values(CONFIG_VARIABLES);
  assert.deepEqual(inModule.filter((name) => !inReadme.includes(name)), [], "settings missing from the README table");
  assert.deepEqual(inReadme.filter((name) => !inModule.includes(name)), [], "README rows for variables the settings module does not read");
  assert.equal(new Set(inReadme).size, inReadme.length, "a variable listed twice");
});

test("readme: each setting's default in the table is the one the settings module applies", () => {
  const defaults = loadConfig({});
  const rows = readmeSettings();
  for (const [key, variable] of Object.entries(CONFIG_VARIABLES)) {
    const row = rows.find((r) => r.variables.includes(variable));
    if (!row) continue; // reported by the test above
    const applied = asWritten(defaults[key as keyof typeof defaults]);
    assert.equal(statedDefault(row.defaultCell), applied, `${variable}: README says ${JSON.stringify(row.defaultCell)}, the module applies ${applied ?? "no default"}`);
  }
});
