import type { UiMessage } from "../events.ts";
import { byId, clock, el } from "./dom.ts";

/** Most rows the feed keeps; older ones fall off so a busy network stays cheap to show. */
export const FEED_LIMIT = 250;
/** Most rows drawn per update (about 6 a second each): past that nobody can read them, and drawing is what costs. */
export const ROWS_PER_UPDATE = 25;

/** Types a stored message can be redelivered as (what inspect's redelivery accepts, or a dead letter of one). */
const REPLAYABLE = new Set(["direct", "handoff", "response"]);

/** A message's envelope time in ms; one without a readable time sorts as heard now. */
function timeOf(m: UiMessage): number {
  const t = Date.parse(m.timestamp);
  return Number.isFinite(t) ? t : Date.now();
}

/** What a feed row's buttons do. */
export interface FeedActions {
  openThread(thread: string): void;
  showJson(message: UiMessage): void;
  replay(message: UiMessage): void;
}

/** The live traffic feed, newest envelope timestamp first, bounded to {@link FEED_LIMIT} rows. */
export class FeedView {
  readonly #body = byId<HTMLTableSectionElement>("feed-body");
  readonly #skipped = byId("feed-skipped");
  readonly #messages = new Map<string, UiMessage>();
  #skippedTotal = 0;

  constructor(readonly actions: FeedActions) {
    this.#body.addEventListener("click", (ev) => this.#click(ev));
  }

  reset(messages: readonly UiMessage[]): void {
    this.#messages.clear();
    this.#body.replaceChildren();
    this.#skippedTotal = 0;
    this.#skipped.textContent = "";
    this.add(messages, 0, FEED_LIMIT);
  }

  /**
   * Adds messages, each in its place by envelope timestamp (newest at the top), drawing at most `limit` of them.
   * Messages arrive out of order (a notice stored before the response heard live): most land near the top, so
   * one walk down from the top places a whole batch sorted newest first.
   */
  add(messages: readonly UiMessage[], skipped: number, limit = ROWS_PER_UPDATE): void {
    const fresh = messages.slice(-limit);
    skipped += messages.length - fresh.length;
    const newestFirst = fresh.map((m) => ({ m, t: timeOf(m) })).sort((a, b) => b.t - a.t);
    let cursor = this.#body.firstElementChild as HTMLTableRowElement | null;
    for (const { m, t } of newestFirst) {
      while (cursor && Number(cursor.dataset.t) > t) cursor = cursor.nextElementSibling as HTMLTableRowElement | null;
      this.#messages.set(m.id, m);
      const row = this.#row(m);
      row.dataset.t = String(t);
      this.#body.insertBefore(row, cursor);
    }
    const rows = this.#body.rows;
    if (rows.length > FEED_LIMIT) {
      for (let i = FEED_LIMIT; i < rows.length; i++) this.#messages.delete(rows[i]!.dataset.id ?? "");
      const range = document.createRange();
      range.setStartBefore(rows[FEED_LIMIT]!);
      range.setEndAfter(rows[rows.length - 1]!);
      range.deleteContents();
    }
    if (skipped > 0) {
      this.#skippedTotal += skipped;
      this.#skipped.textContent = `${this.#skippedTotal} messages not drawn (more than the page shows per update; narrow the filters to see all)`;
    }
  }

  #row(m: UiMessage): HTMLTableRowElement {
    const replayable = m.seq !== undefined && (REPLAYABLE.has(m.type) || m.channel === "deadLetter");
    return el(
      "tr",
      { "data-id": m.id, "data-type": m.type, class: m.error ? "failed" : undefined },
      el("td", { class: "time" }, clock(m.timestamp)),
      el("td", {}, el("span", { class: `type ${m.type}` }, m.channel === "deadLetter" ? "dead letter" : m.type)),
      el("td", { class: "route" }, m.from, " → ", m.to ?? "everyone"),
      el("td", {}, el("a", { href: "#", class: "thread", "data-thread": m.thread }, m.thread.slice(-8))),
      el("td", { class: "preview" }, m.error ? el("span", { class: "err" }, m.error, " ") : null, m.preview),
      el(
        "td",
        { class: "actions" },
        el("button", { class: "json", type: "button" }, "JSON"),
        replayable ? el("button", { class: "replay", type: "button" }, "Replay") : null,
      ),
    );
  }

  #click(ev: Event): void {
    const target = ev.target as HTMLElement;
    const row = target.closest("tr");
    const m = row ? this.#messages.get(row.dataset.id ?? "") : undefined;
    if (!m) return;
    if (target.matches("a.thread")) {
      ev.preventDefault();
      this.actions.openThread(m.thread);
    } else if (target.matches("button.json")) this.actions.showJson(m);
    else if (target.matches("button.replay")) this.actions.replay(m);
  }
}
