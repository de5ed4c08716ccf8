/** Which way a figure is better: `lower` for latencies and memory, `higher` for rates. */
export type Better = "lower" | "higher";

/** A limit a row's figure or ratio must respect. */
export interface Target {
  /** What is compared: natter's figure itself, or natter's figure divided by the baseline's. */
  on: "value" | "ratio";
  /** `max`: at most `limit`; `min`: at least `limit`. */
  kind: "max" | "min";
  limit: number;
}

/** One line of the bench table: a figure for natter, the same figure for the baseline, and their ratio. */
export interface Row {
  /** Case and metric, e.g. `request round trip p50`. */
  name: string;
  unit: string;
  better: Better;
  natter: number;
  /** The baseline's figure (raw NATS, or A2A for the A2A case); undefined when there is none. */
  baseline: number | undefined;
  /** What the baseline is, e.g. `nc.request`. */
  baselineName: string;
  /** natter ÷ baseline. */
  ratio: number | undefined;
  target?: Target;
  /** Whether the target is met; undefined without one. */
  met?: boolean;
}

/** Builds a row, computing the ratio and checking the target. */
export function row(name: string, unit: string, better: Better, natter: number, baseline: number | undefined, baselineName: string, target?: Target): Row {
  const ratio = baseline === undefined || baseline === 0 ? undefined : natter / baseline;
  const r: Row = { name, unit, better, natter, baseline, baselineName, ratio };
  if (target) {
    const x = target.on === "ratio" ? ratio : natter;
    r.target = target;
    r.met = x !== undefined && (target.kind === "max" ? x <= target.limit : x >= target.limit);
  }
  return r;
}

/** The value at quantile `q` (0..1) of `samples`, nearest rank. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return Number.NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Formats rows as an aligned text table (markdown-compatible). */
export function formatTable(rows: readonly Row[]): string {
  const header = ["case", "natter", "baseline", "ratio", "target", ""];
  const lines = rows.map((r) => [
    r.name,
    `${fmt(r.natter)} ${r.unit}`,
    r.baseline === undefined ? "–" : `${fmt(r.baseline)} ${r.unit} (${r.baselineName})`,
    r.ratio === undefined ? "–" : `${r.ratio.toFixed(2)}×`,
    r.target ? describeTarget(r.target, r.unit) : "",
    r.met === undefined ? "" : r.met ? "met" : "MISSED",
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const render = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(" | ")} |`;
  return [render(header), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...lines.map(render)].join("\n");
}

function describeTarget(t: Target, unit: string): string {
  const op = t.kind === "max" ? "≤" : "≥";
  return t.on === "ratio" ? `ratio ${op} ${t.limit}` : `${op} ${t.limit} ${unit}`;
}

function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString("en-US");
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(3);
}
