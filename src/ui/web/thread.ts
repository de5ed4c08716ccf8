import type { UiMessage, UiThread, UiThreadNode } from "../events.ts";
import { call } from "./api.ts";
import { byId, clock, el } from "./dom.ts";
import { formatDuration, layoutTimeline } from "./timeline.ts";

/** The conversation panel: a timeline of who waited on whom, then the thread as a tree, with each envelope's JSON on demand. */
export class ThreadView {
  readonly #panel = byId("thread");
  readonly #title = byId("thread-title");
  readonly #tree = byId("thread-tree");
  readonly #nodes = new Map<string, UiMessage>();

  constructor(readonly showError: (message: string) => void) {
    byId("thread-close").addEventListener("click", () => (this.#panel.hidden = true));
    this.#tree.addEventListener("click", (ev) => void this.#click(ev));
  }

  async open(thread: string): Promise<void> {
    this.#panel.hidden = false;
    this.#title.textContent = `Thread ${thread}`;
    this.#tree.replaceChildren(el("p", { class: "muted" }, "reading the stream…"));
    try {
      const t = await call<UiThread>(`/api/threads/${encodeURIComponent(thread)}`);
      this.#nodes.clear();
      this.#tree.replaceChildren(...(t.count === 0 ? [el("p", { class: "muted" }, "no stored messages in this thread")] : [timeline(t.roots), this.#list(t.roots)]));
    } catch (err) {
      this.#tree.replaceChildren(el("p", { class: "error" }, (err as Error).message));
    }
  }

  #list(nodes: readonly UiThreadNode[]): HTMLUListElement {
    return el(
      "ul",
      {},
      ...nodes.map((n) => {
        const m = n.message;
        const key = `${m.id}-${m.seq ?? "core"}`;
        this.#nodes.set(key, m);
        return el(
          "li",
          { "data-id": m.id, "data-key": key },
          el("div", { class: "entry" }, el("span", { class: "time" }, clock(m.timestamp)), " ", el("span", { class: `type ${m.type}` }, m.type), ` ${m.from} → ${m.to ?? "everyone"} `, m.seq === undefined ? el("span", { class: "muted" }, "(not stored) ") : null, el("span", { class: "content" }, m.preview), " ", el("button", { class: "json", type: "button" }, "JSON")),
          n.replies.length > 0 ? this.#list(n.replies) : null,
        );
      }),
    );
  }

  async #click(ev: Event): Promise<void> {
    const target = ev.target as HTMLElement;
    if (!target.matches("button.json")) return;
    const li = target.closest("li")!;
    const m = this.#nodes.get(li.dataset.key ?? "");
    if (!m) return;
    const existing = li.querySelector(":scope > pre");
    if (existing) return void existing.remove();
    try {
      const full = await fetchMessage(m);
      li.querySelector(":scope > .entry")!.after(el("pre", { class: "json" }, JSON.stringify(full, null, 2)));
    } catch (err) {
      this.showError((err as Error).message);
    }
  }
}

/** The thread's waits as horizontal bars on one time axis: one row per wait, labelled "waiter → worker" and its length. */
function timeline(roots: readonly UiThreadNode[]): HTMLElement {
  const messages: UiMessage[] = [];
  const walk = (nodes: readonly UiThreadNode[]) => nodes.forEach((n) => (messages.push(n.message), walk(n.replies)));
  walk(roots);
  const { spanMs, bars } = layoutTimeline(messages);
  if (bars.length === 0) return el("div", { id: "timeline", class: "timeline muted" }, "nobody waited on anyone in this thread");
  return el(
    "div",
    { id: "timeline", class: "timeline" },
    el("div", { class: "axis muted" }, el("span", {}, "0"), el("span", {}, formatDuration(spanMs))),
    ...bars.map((b) => {
      const label = `${b.waiter} → ${b.worker}`;
      const length = `${formatDuration(b.durationMs)}${b.open ? ", still waiting" : ""}`;
      return el(
        "div",
        { class: "lane", "data-id": b.id, title: `${b.waiter} waited ${length} on ${b.worker} (${b.kind})` },
        el("span", { class: "who" }, label),
        el("span", { class: "track" }, el("span", { class: `bar ${b.kind}${b.open ? " open" : ""}`, style: `left:${b.leftPct.toFixed(2)}%;width:${b.widthPct.toFixed(2)}%` })),
        el("span", { class: "len" }, length),
      );
    }),
  );
}

/** The whole stored or heard message behind a feed row. */
export function fetchMessage(m: UiMessage): Promise<unknown> {
  return call<unknown>(`/api/messages/${encodeURIComponent(m.id)}${m.seq !== undefined ? `?seq=${m.seq}` : ""}`);
}
