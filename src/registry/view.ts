import { setTimeout as sleep } from "node:timers/promises";
import { ClosedConnectionError, DrainingConnectionError } from "@nats-io/transport-node";
import { KvWatchInclude, type KV, type KvEntry } from "@nats-io/kv";
import type { Logger } from "../logger.ts";
import { registryKey, type AgentRecord } from "../protocol/record.ts";
import { retryDelayMs } from "../transport/time.ts";
import { listInstances, toRecord, type RegistryHandle } from "./query.ts";

/** Options of {@link RegistryView.open}. */
export interface RegistryViewOptions {
  /** An entry whose lastHeartbeat is older than this is stale: not live, in milliseconds (the registry TTL). */
  ttlMs: number;
  /** How long an entry is kept after its lastHeartbeat, in milliseconds; default `ttlMs`. The console keeps stale entries to show them offline. */
  keepMs?: number;
  /** Follow only this agent's instances; default every agent. */
  agent?: string;
  log?: Logger;
}

type Listener = (name: string) => void;

interface Held {
  record: AgentRecord;
  /** Its lastHeartbeat, in epoch milliseconds. */
  heardAt: number;
  /** The sweep has seen it stale, so the change is told once. */
  stale: boolean;
}

/**
 * The registry kept in memory from one KV watch, so a host with many agents asks it rather than the server.
 * nats-server 2.9 expires entries by the bucket's max_age and tells no watcher, so entries also go stale here
 * once their lastHeartbeat is older than the TTL, and are dropped after `keepMs`.
 */
export class RegistryView {
  /** Entries by agent name, then by registry key. */
  readonly #byName = new Map<string, Map<string, Held>>();
  /** Listeners by the name they follow: one alone (a host's agent, the usual case: no Set made), or several. */
  readonly #listeners = new Map<string | undefined, Listener | Set<Listener>>();
  readonly #stopping = new AbortController();
  readonly #sweep: NodeJS.Timeout;
  readonly #keepMs: number;
  #loop: Promise<void> = Promise.resolve();

  private constructor(
    readonly bus: RegistryHandle & { registry: KV },
    readonly options: RegistryViewOptions,
  ) {
    this.#keepMs = options.keepMs ?? options.ttlMs;
    const everyMs = Math.max(100, Math.min(1000, Math.floor(options.ttlMs / 3)));
    this.#sweep = setInterval(() => this.#expire(), everyMs);
    this.#sweep.unref();
  }

  /** Loads the registry and keeps following it until {@link stop}; rejects if the first load fails. */
  static async open(bus: RegistryHandle & { registry: KV }, options: RegistryViewOptions): Promise<RegistryView> {
    const view = new RegistryView(bus, options);
    try {
      const watch = await view.#load();
      view.#loop = view.#follow(watch);
    } catch (err) {
      clearInterval(view.#sweep);
      throw err;
    }
    return view;
  }

  /** Every entry within the TTL (offline ones too, until they go stale). */
  records(): AgentRecord[] {
    this.#expire();
    const now = Date.now();
    return [...this.#byName.values()].flatMap((m) => [...m.values()].filter((h) => !this.#isStale(h.heardAt, now)).map((h) => h.record));
  }

  /** The instances of `name` that are running: not offline, heartbeat within the TTL. */
  liveInstances(name: string): AgentRecord[] {
    const now = Date.now();
    const held = this.#byName.get(name);
    if (!held) return [];
    return [...held.values()].filter((h) => !this.#isStale(h.heardAt, now) && h.record.status !== "offline").map((h) => h.record);
  }

  /** Every kept entry of `name`, stale ones too (see `keepMs`). */
  instances(name: string): AgentRecord[] {
    return [...(this.#byName.get(name)?.values() ?? [])].map((h) => h.record);
  }

  /** Whether an entry of `name` is kept. */
  has(name: string): boolean {
    return this.#byName.has(name);
  }

  /** Names with a kept entry, sorted. */
  names(): string[] {
    return [...this.#byName.keys()].sort();
  }

  /** Whether `record`'s heartbeat is older than the TTL at `now`. */
  isStale(record: AgentRecord, now = Date.now()): boolean {
    return this.#isStale(Date.parse(record.lastHeartbeat), now);
  }

  /**
   * Calls `listener` with the agent's name after each change to its entries (an entry written, deleted or dropped,
   * or a live one gone stale), or only to `name`'s entries; returns the unsubscribe.
   */
  onChange(listener: Listener, name?: string): () => void {
    const held = this.#listeners.get(name);
    if (!held) this.#listeners.set(name, listener);
    else if (held instanceof Set) held.add(listener);
    else this.#listeners.set(name, new Set([held, listener]));
    return () => this.#removeListener(name, listener);
  }

  #removeListener(name: string | undefined, listener: Listener): void {
    const held = this.#listeners.get(name);
    if (held === listener) this.#listeners.delete(name);
    else if (held instanceof Set) {
      held.delete(listener);
      if (held.size === 0) this.#listeners.delete(name);
    }
  }

  /** Stops following the registry. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    clearInterval(this.#sweep);
    await this.#loop;
  }

  /**
   * Watch first, then list: an update racing the listing is applied after it, so the newest value wins.
   * The listing lacks what the server has expired, so a reload keeps the stale entries it holds (until `keepMs`)
   * and replaces the rest with the listing.
   */
  async #load(): Promise<AsyncIterable<KvEntry> & { stop(): void }> {
    const { agent } = this.options;
    const watch = await this.bus.registry.watch({ key: agent ? `${agent}.*` : ">", include: KvWatchInclude.UpdatesOnly });
    try {
      const listed = await listInstances(this.bus, this.options.log, agent);
      const names = new Set(this.#byName.keys());
      const now = Date.now();
      for (const [name, held] of this.#byName) {
        for (const [key, h] of held) if (!this.#isStale(h.heardAt, now)) held.delete(key);
        if (held.size === 0) this.#byName.delete(name);
      }
      for (const r of listed) this.#set(r.name, registryKey(r.name, r.instanceId), r);
      for (const name of this.#byName.keys()) names.add(name);
      for (const name of names) this.#changed(name);
      return watch;
    } catch (err) {
      watch.stop();
      throw err;
    }
  }

  /** Applies watched entries; should the watch end or fail while still wanted, starts over with a fresh load. */
  async #follow(first: AsyncIterable<KvEntry> & { stop(): void }): Promise<void> {
    const { signal } = this.#stopping;
    let watch: (AsyncIterable<KvEntry> & { stop(): void }) | undefined = first;
    let failures = 0;
    while (!signal.aborted) {
      try {
        watch ??= await this.#load();
        const stop = () => watch?.stop();
        signal.addEventListener("abort", stop, { once: true });
        try {
          for await (const entry of watch) {
            failures = 0;
            this.#apply(entry);
          }
        } finally {
          signal.removeEventListener("abort", stop);
        }
        if (!signal.aborted) this.options.log?.warn("registry.watch_ended", { reason: "the watch closed; loading the registry again" });
      } catch (err) {
        if (signal.aborted || err instanceof ClosedConnectionError || err instanceof DrainingConnectionError) break;
        failures++;
        this.options.log?.warn("registry.watch_failed", { error: err, attempt: failures });
        await sleep(retryDelayMs(failures), undefined, { signal }).catch(() => undefined);
      }
      watch = undefined;
    }
  }

  #apply(entry: KvEntry): void {
    const name = entry.key.slice(0, entry.key.indexOf("."));
    const [record] = toRecord(entry, this.options.log);
    if (record) this.#set(name, entry.key, record);
    else {
      const held = this.#byName.get(name);
      held?.delete(entry.key);
      if (held?.size === 0) this.#byName.delete(name);
    }
    this.#changed(name);
  }

  /** Files the entry under the name in its key (`{name}.{instanceId}`), where its delete will look for it. */
  #set(name: string, key: string, record: AgentRecord): void {
    let held = this.#byName.get(name);
    if (!held) this.#byName.set(name, (held = new Map()));
    held.set(key, { record, heardAt: Date.parse(record.lastHeartbeat), stale: false });
  }

  #isStale(heardAt: number, now: number): boolean {
    return heardAt + this.options.ttlMs <= now;
  }

  /** Drops entries past `keepMs` and tells of live ones gone stale: no KV event says either. */
  #expire(): void {
    const now = Date.now();
    const changed: string[] = [];
    for (const [name, held] of this.#byName) {
      let change = false;
      for (const [key, h] of held) {
        if (h.heardAt + this.#keepMs <= now) {
          held.delete(key);
          change = true;
        } else if (!h.stale && this.#isStale(h.heardAt, now)) {
          h.stale = true;
          if (h.record.status !== "offline") change = true;
        }
      }
      if (change) changed.push(name);
      if (held.size === 0) this.#byName.delete(name);
    }
    for (const name of changed) this.#changed(name);
  }

  #changed(name: string): void {
    for (const key of [name, undefined]) {
      const held = this.#listeners.get(key);
      for (const listener of held instanceof Set ? [...held] : held ? [held] : []) {
        try {
          listener(name);
        } catch (err) {
          this.options.log?.warn("registry.listener_failed", { agent: name, error: err });
        }
      }
    }
  }
}
