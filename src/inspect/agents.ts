import { LOCAL_ERROR_CODES, NatterError } from "../errors.ts";
import { groupAgents, listInstances, type AgentInfo } from "../registry/query.ts";
import { RegistryView } from "../registry/view.ts";
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
 * KV expiry (a crashed instance) sends no event, so instances past the registry TTL are dropped as they age.
 */
export async function watchAgents(bus: Bus, options: WatchAgentsOptions): Promise<AgentsWatch> {
  const view = await RegistryView.open(bus, { ttlMs: bus.config.registryTtlMs, log: bus.log }).catch((err: unknown) => {
    if (!isStreamNotFound(err)) throw err;
    throw new NatterError(`registry bucket ${bus.config.registryBucket} does not exist on this server: no natter agent has run against it yet`, LOCAL_ERROR_CODES.missing, { cause: err });
  });
  const current = (): AgentsSnapshot => ({ agents: groupAgents(view.records()), complete: true });
  const unsubscribe = view.onChange(() => options.onChange(current()));
  options.onChange(current());
  return {
    current,
    stop: async () => {
      unsubscribe();
      await view.stop();
    },
  };
}
