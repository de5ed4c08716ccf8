import { hostname } from "node:os";
import type { Logger } from "../logger.ts";
import { Presence } from "../registry/presence.ts";
import type { Signer } from "../security/identity.ts";
import type { Bus } from "../transport/bus.ts";
import type { AgentDefinition } from "./define.ts";
import type { SealRecordFields } from "./sealing.ts";

/** Package version announced in the registry. */
const NATTER_VERSION = "0.1.0";

/** Options of {@link instancePresence}. */
export interface InstancePresenceOptions {
  instanceId: string;
  /** Handlers the instance runs at once. */
  concurrency: number;
  signer: Signer | undefined;
  /** The signed curve key senders seal to. */
  seal: SealRecordFields;
  log: Logger;
}

/** The registry entry of one running instance of `definition`: who it is, where it runs, what it can do. */
export function instancePresence(bus: Bus, definition: AgentDefinition, options: InstancePresenceOptions): Presence {
  const { instanceId, concurrency, signer, seal, log } = options;
  return new Presence(
    bus.registry,
    {
      name: definition.name,
      instanceId,
      description: definition.description ?? "",
      capabilities: definition.capabilities ?? [],
      tools: definition.tools ?? [],
      host: hostname(),
      pid: process.pid,
      version: definition.version ?? NATTER_VERSION,
      startedAt: new Date().toISOString(),
      load: 0,
      handled: 0,
      concurrency,
      groups: [],
      ...(signer ? { publicKey: signer.publicKey } : {}),
      ...seal,
    },
    log,
  );
}
