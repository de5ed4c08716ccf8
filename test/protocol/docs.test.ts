import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { EnvelopeSchema } from "../../src/protocol/envelope.ts";
import { AgentRecordSchema } from "../../src/protocol/record.ts";
import { DEAD_LETTER_HEADERS, DEFAULT_REGISTRY_BUCKET, DEFAULT_STREAM, ERROR_CODES, HEADERS, kvStreamName, MESSAGE_TYPES, SUBJECT_PATTERNS, TRACE_HEADERS } from "../../src/protocol/index.ts";
import { SIGNATURE_HEADERS } from "../../src/security/index.ts";

// docs/protocol.md is the contract foreign agents are written from: each table must name exactly what the code has.

const page = readFileSync(new URL("../../docs/protocol.md", import.meta.url), "utf8");
const stream = JSON.parse(readFileSync(new URL("../../streams/agents.json", import.meta.url), "utf8")) as { name: string; subjects: string[] };
const registry = JSON.parse(readFileSync(new URL("../../streams/registry.json", import.meta.url), "utf8")) as { name: string };

/** The rows of the first table under `heading`, as their cells. */
function rows(heading: string): string[][] {
  const lines = page.split("\n");
  const start = lines.findIndex((l) => /^#+ /.test(l) && l.replace(/^#+ /, "") === heading);
  assert.ok(start >= 0, `docs/protocol.md has no section "${heading}"`);
  const table: string[][] = [];
  for (const line of lines.slice(start + 1)) {
    if (/^#+ /.test(line)) break;
    if (line.startsWith("|")) table.push(line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim()));
    else if (table.length > 0) break;
  }
  assert.ok(table.length > 2, `section "${heading}" has no table`);
  return table.slice(2);
}

/** The `code` spans of a cell. */
const names = (cell: string | undefined) => [...(cell ?? "").matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
/** Every `code` span of the first column of the table under `heading`. */
const firstColumn = (heading: string) => rows(heading).flatMap((r) => names(r[0]));
/** Compares as sets, so a name missing on either side is named in the failure. */
const sameSet = (actual: Iterable<string>, expected: Iterable<string>, what: string) => assert.deepEqual([...new Set(actual)].sort(), [...new Set(expected)].sort(), what);

test("docs: every message type, and none the envelope does not have", () => {
  sameSet(firstColumn("Message types"), MESSAGE_TYPES, "the Message types table");
});

test("docs: every envelope field, and none the schema does not have", () => {
  sameSet(firstColumn("The envelope"), Object.keys(EnvelopeSchema.pipe[0].entries), "the envelope table");
});

test("docs: every subject pattern, marking exactly the stored ones", () => {
  const table = rows("Subjects");
  const pattern = (r: string[]) => names(r[0])[0]!.replace(/\{[^}]+\}/g, "*");
  sameSet(table.map(pattern), Object.values(SUBJECT_PATTERNS), "the Subjects table against SUBJECT_PATTERNS");
  sameSet(table.filter((r) => r[1]!.includes("(stored)")).map(pattern), stream.subjects, "subjects marked stored against streams/agents.json");
});

test("docs: the stream and bucket names are the code's", () => {
  assert.equal(stream.name, DEFAULT_STREAM);
  assert.equal(registry.name, kvStreamName(DEFAULT_REGISTRY_BUCKET));
  const section = page.slice(page.indexOf("## Streams and buckets"), page.indexOf("## Message types"));
  for (const name of [DEFAULT_STREAM, DEFAULT_REGISTRY_BUCKET, kvStreamName(DEFAULT_REGISTRY_BUCKET)]) assert.ok(section.includes(`\`${name}\``), `Streams and buckets names ${name}`);
});

test("docs: every header, and none the code does not set", () => {
  sameSet(firstColumn("Headers"), [...Object.values(HEADERS), ...Object.values(DEAD_LETTER_HEADERS), ...Object.values(SIGNATURE_HEADERS), ...Object.values(TRACE_HEADERS)], "the Headers table");
});

test("docs: every error code, and none the code does not have", () => {
  sameSet(firstColumn("Error codes"), Object.values(ERROR_CODES), "the Error codes table");
});

test("docs: every registry field, and none the record does not have", () => {
  sameSet(firstColumn("The registry"), Object.keys(AgentRecordSchema.entries), "the registry table");
});
