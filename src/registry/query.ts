import type { KV, KvEntry } from "@nats-io/kv";
import type { Logger } from "../logger.ts";
import { decodeRecord, type AgentRecord, type AgentStatus } from "../protocol/record.ts";

/** An agent as the registry sees it: all its live instances together. */
export interface AgentInfo {
  name: string;
  description: string;
  capabilities: string[];
  tools: string[];
  /** `available` if any instance is, else `busy` if any is, else `offline`. */
  status: AgentStatus;
  /** Handlers running over all instances. */
  load: number;
  /** Most handlers all instances run at once (0 when unknown). */
  capacity: number;
  instances: AgentRecord[];
}

/** Every instance record in the registry bucket (invalid entries are logged and skipped). */
export async function listInstances(kv: KV, log?: Logger): Promise<AgentRecord[]> {
  const keys: string[] = [];
  for await (const k of await kv.keys()) keys.push(k);
  const entries = await Promise.all(keys.map((k) => kv.get(k)));
  return entries.flatMap((e) => (e ? toRecord(e, log) : []));
}

/** Decodes a KV entry into a record, or nothing for deletes and bad values. */
export function toRecord(entry: KvEntry, log?: Logger): AgentRecord[] {
  if (entry.operation !== "PUT" || entry.length === 0) return [];
  try {
    return [decodeRecord(entry.value)];
  } catch (err) {
    log?.warn("registry.invalid_entry", { key: entry.key, reason: (err as Error).message });
    return [];
  }
}

const RANK: Record<AgentStatus, number> = { available: 0, busy: 1, offline: 2 };

/** Groups instance records by agent name, sorted by name. */
export function groupAgents(records: readonly AgentRecord[]): AgentInfo[] {
  const byName = new Map<string, AgentRecord[]>();
  for (const r of records) byName.set(r.name, [...(byName.get(r.name) ?? []), r]);
  return [...byName.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, instances]) => {
      const live = instances.filter((i) => i.status !== "offline");
      const newest = [...instances].sort((a, b) => b.lastHeartbeat.localeCompare(a.lastHeartbeat))[0]!;
      const status = instances.map((i) => i.status).sort((a, b) => RANK[a] - RANK[b])[0]!;
      return {
        name,
        description: newest.description,
        capabilities: [...new Set(instances.flatMap((i) => i.capabilities))],
        tools: [...new Set(instances.flatMap((i) => i.tools))],
        status,
        load: live.reduce((n, i) => n + i.load, 0),
        capacity: live.reduce((n, i) => n + (i.concurrency ?? 0), 0),
        instances,
      };
    });
}
