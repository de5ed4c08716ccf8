import type { UiAgent, UiStatus } from "../events.ts";
import { age, byId, el } from "./dom.ts";

/** The agents table: one row per agent, updated in place; heartbeat ages tick every second. */
export class AgentsView {
  readonly #rows = new Map<string, { row: HTMLTableRowElement; agent: UiAgent }>();
  readonly #body = byId<HTMLTableSectionElement>("agents-body");
  readonly #count = byId("agents-count");
  readonly #names = byId<HTMLDataListElement>("agent-names");
  staleAfterMs = 90_000;

  /** Replaces everything (a new snapshot). */
  reset(agents: readonly UiAgent[]): void {
    this.#rows.clear();
    const rows = [...agents].sort((a, b) => (a.name < b.name ? -1 : 1)).map((agent) => {
      const row = this.#render(agent);
      this.#rows.set(agent.name, { row, agent });
      return row;
    });
    this.#body.replaceChildren(...rows);
    this.#refreshNames();
  }

  update(agents: readonly UiAgent[], removed: readonly string[]): void {
    for (const name of removed) {
      this.#rows.get(name)?.row.remove();
      this.#rows.delete(name);
    }
    for (const agent of agents) {
      const known = this.#rows.get(agent.name);
      const row = this.#render(agent);
      if (known) known.row.replaceWith(row);
      else this.#insert(agent.name, row);
      this.#rows.set(agent.name, { row, agent });
    }
    if (agents.length > 0 || removed.length > 0) this.#refreshNames();
  }

  /** Re-ages every row; an instance silent past the registry TTL shows offline even before the server says so. */
  tick(): void {
    const now = Date.now();
    for (const { row, agent } of this.#rows.values()) {
      const status = this.#status(agent, now);
      const cell = row.querySelector<HTMLElement>(".status");
      if (cell && cell.textContent !== status) (cell.textContent = status), (cell.className = `status ${status}`), (row.dataset.status = status);
      const ageCell = row.querySelector<HTMLElement>(".age");
      if (ageCell) ageCell.textContent = age(agent.lastHeartbeat, now);
    }
  }

  names(): string[] {
    return [...this.#rows.keys()];
  }

  #status(agent: UiAgent, now: number): UiStatus {
    return now - Date.parse(agent.lastHeartbeat) > this.staleAfterMs ? "offline" : agent.status;
  }

  #render(a: UiAgent): HTMLTableRowElement {
    const status = this.#status(a, Date.now());
    const live = a.instances.filter((i) => i.status !== "offline").length;
    return el(
      "tr",
      { "data-agent": a.name, "data-status": status, title: a.description },
      el("td", { class: "name" }, a.name),
      el("td", {}, el("span", { class: `status ${status}` }, status)),
      el("td", { class: "num" }, `${live}/${a.instances.length}`),
      el("td", { class: "caps" }, a.capabilities.join(", ")),
      el("td", { class: "age num" }, age(a.lastHeartbeat)),
      el("td", { class: "num handled" }, String(a.handled)),
    );
  }

  #insert(name: string, row: HTMLTableRowElement): void {
    const after = [...this.#rows.keys()].filter((n) => n > name).sort()[0];
    const before = after ? this.#rows.get(after)?.row : undefined;
    if (before) this.#body.insertBefore(row, before);
    else this.#body.append(row);
  }

  #refreshNames(): void {
    this.#count.textContent = String(this.#rows.size);
    this.#names.replaceChildren(...this.names().sort().map((n) => el("option", { value: n })));
  }
}
