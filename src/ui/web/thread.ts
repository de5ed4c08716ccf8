import type { UiMessage, UiThread, UiThreadNode } from "../events.ts";
import { call } from "./api.ts";
import { byId, clock, el } from "./dom.ts";

/** The conversation panel: a thread as a tree, with each envelope's JSON on demand. */
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
      this.#tree.replaceChildren(t.count === 0 ? el("p", { class: "muted" }, "no stored messages in this thread") : this.#list(t.roots));
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

/** The whole stored or heard message behind a feed row. */
export function fetchMessage(m: UiMessage): Promise<unknown> {
  return call<unknown>(`/api/messages/${encodeURIComponent(m.id)}${m.seq !== undefined ? `?seq=${m.seq}` : ""}`);
}
