import type { RegistryView } from "../registry/view.ts";
import type { UiAgent, UiInstance, UiStatus } from "./events.ts";

/** Reads an agent's mailbox backlog, when the console samples one. */
export type BacklogOf = (agent: string) => number | undefined;

/** Every agent the view keeps, sorted by name. */
export function uiAgents(view: RegistryView, backlog?: BacklogOf): UiAgent[] {
  return view.names().flatMap((n) => uiAgent(view, n, backlog) ?? []);
}

/** One agent as the console shows it, or undefined when the view keeps none of its instances. A stale instance shows offline. */
export function uiAgent(view: RegistryView, name: string, backlog?: BacklogOf): UiAgent | undefined {
  const records = view.instances(name);
  if (records.length === 0) return undefined;
  const now = Date.now();
  const instances: UiInstance[] = records.map((r) => ({
    instanceId: r.instanceId,
    status: view.isStale(r, now) ? "offline" : r.status,
    lastHeartbeat: r.lastHeartbeat,
    load: r.load,
    handled: r.handled,
    host: r.host,
  }));
  const newest = records.reduce((a, b) => (a.lastHeartbeat >= b.lastHeartbeat ? a : b));
  const live = records.filter((r, i) => instances[i]!.status !== "offline");
  const sum = (f: (r: (typeof records)[number]) => number | undefined) => records.reduce((n, r) => n + (f(r) ?? 0), 0);
  const pending = backlog?.(name);
  const status: UiStatus = instances.some((i) => i.status === "available") ? "available" : instances.some((i) => i.status === "busy") ? "busy" : "offline";
  return {
    name,
    description: newest.description,
    capabilities: [...new Set(records.flatMap((r) => r.capabilities))],
    status,
    handled: sum((r) => r.handled),
    failed: sum((r) => r.failed),
    busyMs: sum((r) => r.busyMs),
    slotsUsed: live.reduce((n, r) => n + r.load, 0),
    slots: live.reduce((n, r) => n + (r.concurrency ?? 0), 0),
    ...(pending !== undefined ? { backlog: pending } : {}),
    lastHeartbeat: newest.lastHeartbeat,
    instances,
  };
}
