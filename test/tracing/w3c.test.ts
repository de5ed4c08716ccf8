import { test } from "node:test";
import assert from "node:assert/strict";
import { formatTraceparent, parseTraceparent } from "../../src/tracing/w3c.ts";

const TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
const SPAN = "00f067aa0ba902b7";

test("w3c: a valid traceparent is read, and written back the same", () => {
  for (const [value, flags] of [[`00-${TRACE}-${SPAN}-01`, 1], [`00-${TRACE}-${SPAN}-00`, 0], [`00-${TRACE}-${SPAN}-0a`, 10]] as const) {
    const parsed = parseTraceparent(value);
    assert.deepEqual(parsed, { traceId: TRACE, spanId: SPAN, traceFlags: flags });
    assert.equal(formatTraceparent(parsed!), value);
  }
});

test("w3c: a later version's extra fields are ignored; version 00 with extra fields is not", () => {
  assert.deepEqual(parseTraceparent(`01-${TRACE}-${SPAN}-01-future`), { traceId: TRACE, spanId: SPAN, traceFlags: 1 });
  assert.equal(parseTraceparent(`00-${TRACE}-${SPAN}-01-future`), undefined);
});

test("w3c: malformed values are ignored, never thrown", () => {
  const bad = [
    undefined,
    "",
    "garbage",
    `ff-${TRACE}-${SPAN}-01`,
    `00-${TRACE.toUpperCase()}-${SPAN}-01`,
    `00-${"0".repeat(32)}-${SPAN}-01`,
    `00-${TRACE}-${"0".repeat(16)}-01`,
    `00-${TRACE.slice(1)}-${SPAN}-01`,
    `00-${TRACE}-${SPAN}-1`,
    `00_${TRACE}_${SPAN}_01`,
    `00-${TRACE}-${SPAN}-zz`,
  ];
  for (const value of bad) assert.equal(parseTraceparent(value), undefined, String(value));
});
