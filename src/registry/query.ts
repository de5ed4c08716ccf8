import { DeliverPolicy, type JetStreamClient } from "@nats-io/jetstream";
import type { KV, KvEntry } from "@nats-io/kv";
import type { Logger } from "../logger.ts";
import { decodeRecord, type AgentRecord, type AgentStatus } from "../protocol/record.ts";
import { kvSubject } from "../protocol/subjects.ts";
import { kvStreamName } from "../protocol/tokens.ts";

/** An agent as the registry sees it: all its live instances together. */
export interface AgentInfo {
  /** The agent's name (every instance shares it). */
  name: string;
  /** What it says it does (from its definition). */
  description: string;
  /** What it can do, for `findAgents` and capability routing. */
  capabilities: string[];
  /** Names of the tools it offers. */
  tools: string[];
  /** `available` if any instance is, else `busy` if any is, else `offline`. */
  status: AgentStatus;
  /** Handlers running over all instances. */
  load: number;
  /** Most handlers all instances run at once (0 when unknown). */
  capacity: number;
  /** One registry record per live instance. */
  instances: AgentRecord[];
}

/** The registry as seen through its KV bucket: where to read it from. */
export interface RegistryHandle {
  js: JetStreamClient;
  registry: KV;
  config: { registryBucket: string };
}

/**
 * Every instance record in the registry (invalid entries are logged and skipped), or those of one agent.
 * One ordered consumer reads the latest value of each key and stops once caught up. A key rewritten while
 * it reads (a heartbeat, a status change) arrives again; the newest value wins, so no key is counted twice
 * and none is crowded out.
 */
export async function listInstances(bus: RegistryHandle, log?: Logger, agent?: string): Promise<AgentRecord[]> {
  const bucket = bus.config.registryBucket;
  const consumer = await bus.js.consumers.get(kvStreamName(bucket), {
    filter_subjects: kvSubject(bucket, agent ? `${agent}.*` : ">"),
    deliver_policy: DeliverPolicy.LastPerSubject,
  });
  const expected = (await consumer.info(true)).num_pending;
  const latest = new Map<string, AgentRecord | undefined>();
  if (expected === 0) return [];
  // Bounded so constant rewriting cannot keep the read going; the fetch ends by itself after 2 s.
  const messages = await consumer.fetch({ max_messages: expected * 4 + 100, expires: 2000 });
  for await (const m of messages) {
    const op = m.headers?.get("KV-Operation");
    if (op === "DEL" || op === "PURGE" || m.data.length === 0) latest.set(m.subject, undefined);
    else {
      try {
        latest.set(m.subject, decodeRecord(m.data));
      } catch (err) {
        log?.warn("registry.invalid_entry", { subject: m.subject, reason: (err as Error).message });
      }
    }
    // nats-server 2.9 can report nothing pending while a key rewritten during the read is still to come
    // (1 of 1,000 agents went missing in the scale bench), so also wait for as many keys as there were.
    if (m.info.pending === 0 && latest.size >= expected) break;
  }
  messages.stop();
  return [...latest.values()].filter((r): r is AgentRecord => r !== undefined);
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
