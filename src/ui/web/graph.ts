import type { UiEdge } from "../events.ts";
import { byId, svg } from "./dom.ts";

/** Heaviest edges drawn; the rest are summed in the caption. */
const MAX_EDGES = 60;
const SIZE = 420;

/** Who talks to whom: agents on a circle, an arrow per pair weighted by messages in the window, handoffs highlighted. */
export class GraphView {
  readonly #svg = byId("graph") as unknown as SVGSVGElement;
  readonly #caption = byId("graph-caption");
  windowMs = 60_000;

  render(edges: readonly UiEdge[]): void {
    const shown = edges.slice(0, MAX_EDGES);
    const names = [...new Set(shown.flatMap((e) => [e.from, e.to]))].sort();
    const r = SIZE / 2 - 60;
    const pos = new Map(names.map((n, i) => [n, { x: SIZE / 2 + r * Math.cos((2 * Math.PI * i) / names.length - Math.PI / 2), y: SIZE / 2 + r * Math.sin((2 * Math.PI * i) / names.length - Math.PI / 2) }]));
    const defs = svg("defs");
    for (const [id, colour] of [["arrow", "#7a8699"], ["arrow-handoff", "#e8833a"]] as const) {
      const marker = svg("marker", { id, viewBox: "0 0 10 10", refX: 10, refY: 5, markerWidth: 9, markerHeight: 9, markerUnits: "userSpaceOnUse", orient: "auto" });
      marker.append(svg("path", { d: "M 0 0 L 10 5 L 0 10 z", fill: colour }));
      defs.append(marker);
    }
    const max = Math.max(1, ...shown.map((e) => e.count));
    const lines = shown.map((e) => {
      const a = pos.get(e.from)!;
      const b = pos.get(e.to)!;
      const handoff = e.handoffs > 0;
      const g = svg("g", { class: handoff ? "edge handoff" : "edge" });
      // Bend each edge to its right, so A→B and B→A stay apart; stop short of the target's circle.
      const dx = b.x - a.x;
      const dy = b.y - a.y;
      const len = Math.hypot(dx, dy) || 1;
      const c = { x: (a.x + b.x) / 2 - (dy / len) * 24, y: (a.y + b.y) / 2 + (dx / len) * 24 };
      const ex = b.x - c.x;
      const ey = b.y - c.y;
      const elen = Math.hypot(ex, ey) || 1;
      const end = { x: b.x - (ex / elen) * 10, y: b.y - (ey / elen) * 10 };
      const line = svg("path", { d: `M ${a.x} ${a.y} Q ${c.x} ${c.y} ${end.x} ${end.y}`, fill: "none", "stroke-width": 1 + 4 * Math.sqrt(e.count / max), "marker-end": `url(#${handoff ? "arrow-handoff" : "arrow"})` });
      const title = svg("title");
      title.textContent = `${e.from} → ${e.to}: ${e.count} messages${handoff ? `, ${e.handoffs} handoffs` : ""}`;
      const label = svg("text", { x: (a.x + 2 * c.x + b.x) / 4, y: (a.y + 2 * c.y + b.y) / 4 - 3, class: "count" });
      label.textContent = String(e.count);
      g.append(title, line, label);
      return g;
    });
    const nodes = names.map((n) => {
      const p = pos.get(n)!;
      const g = svg("g", { class: "node", "data-agent": n });
      const label = svg("text", { x: p.x, y: p.y + (p.y > SIZE / 2 ? 20 : -12) });
      label.textContent = n;
      g.append(svg("circle", { cx: p.x, cy: p.y, r: 7 }), label);
      return g;
    });
    this.#svg.replaceChildren(defs, ...lines, ...nodes);
    const total = edges.reduce((n, e) => n + e.count, 0);
    const hidden = edges.length - shown.length;
    this.#caption.textContent = edges.length === 0 ? `no addressed messages in the last ${Math.round(this.windowMs / 1000)} s` : `${total} messages in the last ${Math.round(this.windowMs / 1000)} s${hidden > 0 ? `; ${hidden} lighter pairs not drawn` : ""}`;
  }
}
