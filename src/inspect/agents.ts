import { KvWatchInclude, type KvEntry } from "@nats-io/kv";
import { NatterError } from "../errors.ts";
import { registryKey, type AgentRecord } from "../protocol/record.ts";
import { groupAgents, listInstances, toRecord, type AgentInfo } from "../registry/query.ts";
import type { Bus } from "../transport/bus.ts";
import { isStreamNotFound } from "./read.ts";
import type { AgentsSnapshot } from "./types.ts";

/** The agents in the registry now; none when the bucket does not exist yet (no agent ever ran here). */
export async function listAgents(bus: Bus): Promise<AgentInfo[]> {
  try {
    return groupAgents(await listInstances(bus, bus.log));
  } catch (err) {
    if (isStreamNotFound(err)) return [];
    throw err;
  }
}

/** Options of {@link watchAgents}. */
export interface WatchAgentsOptions {
  /** Called with the whole registry after every change. */
  onChange(snapshot: AgentsSnapshot): void;
}

/** A running registry watch. */
export interface AgentsWatch {
  /** The registry now, without instances whose heartbeat is older than the registry TTL. */
  current(): AgentsSnapshot;
  stop(): Promise<void>;
}

/**
 * Follows the registry bucket live: the stored entries first, then every put and delete.
 * KV expiry (a crashed instance) sends no event, so instances past the registry TTL are dropped on read.
 */
export async function watchAgents(bus: Bus, options: WatchAgentsOptions): Promise<AgentsWatch> {
  const records = new Map<string, AgentRecord>();
  let complete = false;
  const ttlMs = bus.config.registryTtlMs;
  const current = (): AgentsSnapshot => {
    const cutoff = Date.now() - ttlMs;
    for (const [key, r] of records) if (Date.parse(r.lastHeartbeat) < cutoff) records.delete(key);
    return { agents: groupAgents([...records.values()]), complete };
  };
  // Watch first, then list: an update racing the listing is applied after it.
  const watch = await bus.registry.watch({ include: KvWatchInclude.UpdatesOnly }).catch((err: unknown) => {
    if (!isStreamNotFound(err)) throw err;
    throw new NatterError(`registry bucket ${bus.config.registryBucket} does not exist on this server: no natter agent has run against it yet`, "not_found", { cause: err });
  });
  const pending: KvEntry[] = [];
  const apply = (entry: KvEntry) => {
    const [record] = toRecord(entry, bus.log);
    if (record) records.set(entry.key, record);
    else records.delete(entry.key);
  };
  const loop = (async () => {
    for await (const entry of watch) {
      if (!complete) {
        pending.push(entry);
        continue;
      }
      apply(entry);
      options.onChange(current());
    }
  })();
  for (const r of await listInstances(bus, bus.log)) records.set(registryKey(r.name, r.instanceId), r);
  for (const entry of pending.splice(0)) apply(entry);
  complete = true;
  options.onChange(current());
  return {
    current,
    stop: async () => {
      watch.stop();
      await loop.catch(() => undefined);
    },
  };
}
