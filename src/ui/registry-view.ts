import type { KV } from "@nats-io/kv";
import type { Logger } from "../logger.ts";
import type { AgentRecord } from "../protocol/record.ts";
import { toRecord } from "../registry/query.ts";
import type { UiAgent, UiInstance, UiStatus } from "./events.ts";

/** Options of {@link RegistryView}. */
export interface RegistryViewOptions {
  /** An instance whose last heartbeat is older than this is shown offline, in ms (the bucket TTL: expiry sends no event on 2.9.10). */
  staleAfterMs: number;
  /** Offline agents stay listed this long after their last heartbeat, in ms; default 10 minutes. */
  keepOfflineMs?: number;
  log: Logger;
  /** Called with the names of agents that changed or went away. */
  onChange(changed: readonly string[], removed: readonly string[]): void;
}

const KEEP_OFFLINE_MS = 10 * 60_000;
const SWEEP_MS = 1000;
/** Longest wait for the initial entries before serving what has arrived. */
const LOAD_WAIT_MS = 2000;

/**
 * The registry as the console shows it: a KV watch keeps every instance record, and a sweep
 * turns instances without a recent heartbeat offline, since TTL expiry produces no watch event.
 */
export class RegistryView {
  /** Instance records by agent name, then registry key. */
  readonly #agents = new Map<string, Map<string, AgentRecord>>();
  /** Agents last reported offline by the sweep, so each staleness is reported once. */
  readonly #stale = new Set<string>();
  readonly #options: RegistryViewOptions;
  #stop: (() => void) | undefined;
  #sweep: NodeJS.Timeout | undefined;

  constructor(options: RegistryViewOptions) {
    this.#options = options;
  }

  /** Starts watching `kv`; resolves once the stored entries are loaded. */
  async start(kv: KV): Promise<void> {
    let ready!: () => void;
    const loaded = new Promise<void>((resolve) => (ready = resolve));
    const watch = await kv.watch();
    this.#stop = () => watch.stop();
    if ((await kv.status()).values === 0) ready();
    const fallback = setTimeout(ready, LOAD_WAIT_MS);
    void (async () => {
      for await (const entry of watch) {
        if (entry.delta === 0 || entry.isUpdate) ready();
        const [name] = entry.key.split(".");
        if (!name) continue;
        const [record] = toRecord(entry, this.#options.log);
        const instances = this.#agents.get(name) ?? new Map<string, AgentRecord>();
        if (record) instances.set(entry.key, record);
        else instances.delete(entry.key);
        if (instances.size > 0) this.#agents.set(name, instances);
        else this.#agents.delete(name);
        this.#stale.delete(entry.key);
        if (instances.size > 0) this.#options.onChange([name], []);
        else this.#options.onChange([], [name]);
      }
    })().catch((err: unknown) => this.#options.log.error("ui.registry_watch_failed", { error: err }));
    this.#sweep = setInterval(() => this.#sweepStale(), SWEEP_MS);
    this.#sweep.unref();
    await loaded;
    clearTimeout(fallback);
  }

  stop(): void {
    this.#stop?.();
    clearInterval(this.#sweep);
  }

  /** Every agent, sorted by name. */
  all(): UiAgent[] {
    return [...this.#agents.keys()].sort().flatMap((n) => this.get(n) ?? []);
  }

  /** One agent, or undefined when the registry has none of its instances. */
  get(name: string): UiAgent | undefined {
    const records = [...(this.#agents.get(name)?.values() ?? [])];
    if (records.length === 0) return undefined;
    const now = Date.now();
    const instances: UiInstance[] = records.map((r) => ({
      instanceId: r.instanceId,
      status: this.#effectiveStatus(r, now),
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

  /** Whether any instance of `name` is known (online or recently offline). */
  has(name: string): boolean {
    return this.#agents.has(name);
  }

  #effectiveStatus(r: AgentRecord, now: number): UiStatus {
    return now - Date.parse(r.lastHeartbeat) > this.#options.staleAfterMs ? "offline" : r.status;
  }

  #sweepStale(): void {
    const now = Date.now();
    const keep = this.#options.keepOfflineMs ?? KEEP_OFFLINE_MS;
    const changed = new Set<string>();
    const removed = new Set<string>();
    for (const [name, instances] of this.#agents) {
      for (const [key, r] of instances) this.#sweepOne(name, instances, key, r, now, keep, changed, removed);
      if (instances.size === 0) this.#agents.delete(name);
    }
    const gone = [...removed].filter((n) => !this.has(n));
    const still = [...new Set([...changed, ...removed])].filter((n) => this.has(n));
    if (still.length > 0 || gone.length > 0) this.#options.onChange(still, gone);
  }

  #sweepOne(name: string, instances: Map<string, AgentRecord>, key: string, r: AgentRecord, now: number, keep: number, changed: Set<string>, removed: Set<string>): void {
    const age = now - Date.parse(r.lastHeartbeat);
    if (age > keep) {
      instances.delete(key);
      this.#stale.delete(key);
      removed.add(name);
    } else if (age > this.#options.staleAfterMs && r.status !== "offline" && !this.#stale.has(key)) {
      this.#stale.add(key);
      changed.add(name);
    }
  }
}
