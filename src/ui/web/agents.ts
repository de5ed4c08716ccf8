import type { UiAgent, UiStatus } from "../events.ts";
import { age, byId, el } from "./dom.ts";

/** One table row and the cells that change. */
interface Row {
  agent: UiAgent;
  tr: HTMLTableRowElement;
  status: HTMLElement;
  instances: HTMLElement;
  caps: HTMLElement;
  /** Texts last written, so updates compare strings instead of reading the DOM. */
  shown: Map<HTMLElement, string>;
  age: HTMLElement;
  handled: HTMLElement;
  failed: HTMLElement;
  meanMs: HTMLElement;
  slots: HTMLElement;
  backlog: HTMLElement;
}

/** The agents table: one row per agent, updated in place; heartbeat ages tick every second. */
export class AgentsView {
  readonly #rows = new Map<string, Row>();
  readonly #body = byId<HTMLTableSectionElement>("agents-body");
  readonly #count = byId("agents-count");
  readonly #names = byId<HTMLDataListElement>("agent-names");
  /** Rows on screen: only these are re-aged every second. */
  readonly #visible = new Set<Row>();
  readonly #byTr = new WeakMap<Element, Row>();
  readonly #observer = new IntersectionObserver(
    (entries) => {
      for (const e of entries) {
        const row = this.#byTr.get(e.target);
        if (!row) continue;
        if (e.isIntersecting) this.#visible.add(row);
        else this.#visible.delete(row);
      }
    },
    { root: byId("agents-body").closest(".scroll") },
  );
  staleAfterMs = 90_000;

  /** Replaces everything (a new snapshot). */
  reset(agents: readonly UiAgent[]): void {
    this.#rows.clear();
    this.#visible.clear();
    this.#observer.disconnect();
    const sorted = [...agents].sort((a, b) => (a.name < b.name ? -1 : 1));
    this.#body.replaceChildren(...sorted.map((a) => this.#create(a).tr));
    this.#refreshNames();
  }

  update(agents: readonly UiAgent[], removed: readonly string[]): void {
    let namesChanged = false;
    for (const name of removed) {
      const gone = this.#rows.get(name);
      if (gone) (gone.tr.remove(), this.#observer.unobserve(gone.tr), this.#visible.delete(gone));
      namesChanged = this.#rows.delete(name) || namesChanged;
    }
    for (const agent of agents) {
      const row = this.#rows.get(agent.name);
      if (row) {
        row.agent = agent;
        this.#fill(row, Date.now());
      } else {
        this.#insert(agent.name, this.#create(agent).tr);
        namesChanged = true;
      }
    }
    if (namesChanged) this.#refreshNames();
  }

  /** Re-ages every row; an instance silent past the registry TTL shows offline even before the server says so. */
  tick(): void {
    const now = Date.now();
    for (const row of this.#visible) this.#fill(row, now);
  }

  #status(agent: UiAgent, now: number): UiStatus {
    return now - Date.parse(agent.lastHeartbeat) > this.staleAfterMs ? "offline" : agent.status;
  }

  #create(agent: UiAgent): Row {
    const status = el("span", { class: "status" });
    const instances = el("td", { class: "num" });
    const caps = el("div", { class: "caps" });
    const ageCell = el("td", { class: "age num" });
    const num = (cls: string) => el("td", { class: `num ${cls}` });
    const [handled, failed, meanMs, slots, backlog] = [num("handled"), num("failed"), num("mean"), num("slots"), num("backlog")];
    const name = el("td", { class: "name" }, el("div", { class: "agent-name" }, agent.name), caps);
    const tr = el("tr", { "data-agent": agent.name }, name, el("td", {}, status), instances, handled, failed, meanMs, slots, backlog, ageCell);
    const row: Row = { agent, tr, status, instances, caps, age: ageCell, handled, failed, meanMs, slots, backlog, shown: new Map() };
    this.#rows.set(agent.name, row);
    this.#byTr.set(tr, row);
    this.#observer.observe(tr);
    this.#fill(row, Date.now());
    return row;
  }

  /** Writes only the cells whose text changed: the table stays cheap to lay out. */
  #fill(row: Row, now: number): void {
    const a = row.agent;
    const status = this.#status(a, now);
    if (row.tr.dataset.status !== status) {
      row.tr.dataset.status = status;
      row.status.textContent = status;
      row.status.className = `status ${status}`;
    }
    const set = (cell: HTMLElement, text: string) => {
      if (row.shown.get(cell) === text) return;
      row.shown.set(cell, text);
      cell.textContent = text;
    };
    set(row.instances, `${a.instances.filter((i) => i.status !== "offline").length}/${a.instances.length}`);
    set(row.caps, a.capabilities.join(", "));
    set(row.age, age(a.lastHeartbeat, now));
    set(row.handled, String(a.handled));
    set(row.failed, String(a.failed));
    set(row.meanMs, a.handled > 0 ? String(Math.round(a.busyMs / a.handled)) : "–");
    set(row.slots, a.slots > 0 ? `${a.slotsUsed}/${a.slots}` : "–");
    set(row.backlog, a.backlog === undefined ? "–" : String(a.backlog));
    if (row.tr.title !== a.description) row.tr.title = a.description;
  }

  #insert(name: string, tr: HTMLTableRowElement): void {
    let before: HTMLTableRowElement | undefined;
    for (const [n, r] of this.#rows) if (n > name && r.tr.isConnected && (!before || n < (before.dataset.agent ?? ""))) before = r.tr;
    if (before) this.#body.insertBefore(tr, before);
    else this.#body.append(tr);
  }

  #refreshNames(): void {
    this.#count.textContent = String(this.#rows.size);
    this.#names.replaceChildren(...[...this.#rows.keys()].sort().map((n) => el("option", { value: n })));
  }
}
