import { test } from "node:test";
import assert from "node:assert/strict";
import type { UiMessage } from "../../src/ui/events.ts";
import { formatDuration, layoutTimeline } from "../../src/ui/web/timeline.ts";

const T0 = Date.parse("2026-12-01T10:00:00.000Z");
function msg(id: string, type: string, from: string, to: string | undefined, atMs: number, inReplyTo?: string): UiMessage {
  return { id, subject: "s", channel: "direct", type, from, ...(to ? { to } : {}), thread: "t", ...(inReplyTo ? { inReplyTo } : {}), timestamp: new Date(T0 + atMs).toISOString(), preview: "" };
}

test("timeline: a handoff, the request it makes and their answers give one bar per wait, placed on the thread's span", () => {
  // Given out of order: the layout goes by timestamps, not by the order messages were heard.
  const t = layoutTimeline([
    msg("n1", "response", "Writer", "Planner", 4000, "h1"),
    msg("r1", "request", "Writer", "Reviewer", 1000),
    msg("h1", "handoff", "Planner", "Writer", 0),
    msg("a1", "response", "Reviewer", "Writer", 3000, "r1"),
    msg("b1", "broadcast", "Planner", undefined, 2000),
  ]);
  assert.equal(t.spanMs, 4000);
  assert.deepEqual(
    t.bars.map((b) => [b.kind, b.waiter, b.worker, b.startMs, b.durationMs, b.open, b.leftPct, b.widthPct]),
    [
      ["handoff", "Planner", "Writer", 0, 4000, false, 0, 100],
      ["request", "Writer", "Reviewer", 1000, 2000, false, 25, 50],
    ],
  );
});

test("timeline: a wait without an answer stays open to the thread's last message; an instant answer still gets a visible bar", () => {
  const t = layoutTimeline([msg("d1", "direct", "A", "B", 0), msg("d2", "direct", "A", "C", 500), msg("n2", "response", "C", "A", 500, "d2"), msg("x", "direct", "C", "D", 10_000)]);
  const byId = Object.fromEntries(t.bars.map((b) => [b.id, b]));
  assert.equal(byId.d1!.open, true);
  assert.equal(byId.d1!.durationMs, 10_000);
  assert.equal(byId.d2!.open, false);
  assert.equal(byId.d2!.durationMs, 0);
  assert.ok(byId.d2!.widthPct > 0 && byId.d2!.widthPct < 1);
  assert.ok(byId.x!.leftPct + byId.x!.widthPct <= 100, "the last bar stays inside the axis");
});

test("timeline: no messages or no waits give an empty timeline; durations read as people write them", () => {
  assert.deepEqual(layoutTimeline([]), { spanMs: 0, bars: [] });
  assert.deepEqual(layoutTimeline([msg("b", "broadcast", "A", undefined, 0)]).bars, []);
  assert.equal(formatDuration(850), "850 ms");
  assert.equal(formatDuration(1234), "1.2 s");
  assert.equal(formatDuration(42_000), "42 s");
  assert.equal(formatDuration(185_000), "3 min 5 s");
});
