import type { RegistryView } from "../registry/view.ts";
import type { UiAgent, UiInstance, UiStatus } from "./events.ts";

/** Every agent the view keeps, sorted by name. */
export function uiAgents(view: RegistryView): UiAgent[] {
  return view.names().flatMap((n) => uiAgent(view, n) ?? []);
}

/** One agent as the console shows it, or undefined when the view keeps none of its instances. A stale instance shows offline. */
export function uiAgent(view: RegistryView, name: string): UiAgent | undefined {
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
  const status: UiStatus = instances.some((i) => i.status === "available") ? "available" : instances.some((i) => i.status === "busy") ? "busy" : "offline";
  return {
    name,
    description: newest.description,
    capabilities: [...new Set(records.flatMap((r) => r.capabilities))],
    status,
    handled: records.reduce((n, r) => n + r.handled, 0),
    lastHeartbeat: newest.lastHeartbeat,
    instances,
  };
}
