import type { KV } from "@nats-io/kv";
import type { Logger } from "../logger.ts";
import { TIMED_OUT, within } from "../transport/bounded.ts";
import { registryKey, type AgentRecord, type AgentStatus } from "../protocol/record.ts";

/** Least time between two registry writes caused by status changes, in milliseconds. */
const MIN_WRITE_GAP_MS = 100;

/**
 * One instance's registry entry: written at start, refreshed every heartbeat, and updated
 * when status or load changes (coalesced, so a busy agent does not write per message).
 */
export class Presence {
  #record: AgentRecord;
  #timer: NodeJS.Timeout | undefined;
  #pending: NodeJS.Timeout | undefined;
  #writing: Promise<unknown> = Promise.resolve();
  #lastWrite = 0;
  /** Status in the last write, so a change undone before its write comes due is not written. */
  #writtenStatus: AgentStatus | undefined;
  /** A change other than status (group membership) waits to be written. */
  #membershipChanged = false;
  #closed = false;
  /** Figures that change with every message, read when the entry is written rather than set per message. */
  #stats: (() => Pick<AgentRecord, "load" | "handled" | "failed" | "busyMs">) | undefined;

  constructor(
    readonly kv: KV,
    record: Omit<AgentRecord, "lastHeartbeat" | "status">,
    readonly log: Logger,
  ) {
    this.#record = { ...record, status: "available", lastHeartbeat: new Date().toISOString() };
  }

  /** The KV key: `{name}.{instanceId}`. */
  get key(): string {
    return registryKey(this.#record.name, this.#record.instanceId);
  }

  /** The record as last set. */
  get record(): AgentRecord {
    return this.#record;
  }

  /** Writes the entry and starts heartbeats every `heartbeatMs`. */
  async start(heartbeatMs: number): Promise<void> {
    await this.#write();
    // Spread heartbeats of many agents in one host over the interval.
    const first = setTimeout(() => {
      this.#beat();
      this.#timer = setInterval(() => this.#beat(), heartbeatMs);
      this.#timer.unref();
    }, Math.floor(Math.random() * heartbeatMs));
    first.unref();
    this.#timer = first;
  }

  /** Reads load and the handled count from `stats` whenever the entry is written (heartbeats, status changes). */
  track(stats: () => Pick<AgentRecord, "load" | "handled" | "failed" | "busyMs">): void {
    this.#stats = stats;
  }

  /** Changes fields; the write is coalesced with others close in time. */
  update(patch: Partial<Pick<AgentRecord, "status" | "load" | "handled" | "publicKey" | "groups">>): void {
    const statusChanged = patch.status !== undefined && patch.status !== this.#record.status;
    if (patch.groups !== undefined) this.#membershipChanged = true;
    // In place, not a copy: status changes come with messages, and #put snapshots what it writes.
    Object.assign(this.#record, patch);
    if (statusChanged || patch.groups !== undefined) this.#schedule();
  }

  /**
   * Marks the entry offline and stops heartbeats; the entry then expires with the bucket TTL.
   * The write is tried once, for up to `timeoutMs`; true when it was stored.
   */
  async stop(status: AgentStatus = "offline", timeoutMs = Number.POSITIVE_INFINITY): Promise<boolean> {
    this.#closed = true;
    clearTimeout(this.#timer);
    clearInterval(this.#timer);
    clearTimeout(this.#pending);
    this.#record = { ...this.#record, ...this.#stats?.(), status, load: 0 };
    this.#stats = undefined;
    const stored = await within(this.#writing.then(() => this.#put()), timeoutMs);
    if (stored !== true) this.log.warn("registry.write_failed", { key: this.key, error: stored === TIMED_OUT ? `no answer within ${timeoutMs} ms` : stored });
    return stored === true;
  }

  #schedule(): void {
    if (this.#pending || this.#closed) return;
    const wait = Math.max(0, this.#lastWrite + MIN_WRITE_GAP_MS - Date.now());
    this.#pending = setTimeout(() => {
      this.#pending = undefined;
      // A handler that went busy and back to available within the gap leaves nothing new to tell.
      if (this.#record.status !== this.#writtenStatus || this.#membershipChanged) void this.#write();
    }, wait);
  }

  #beat(): void {
    if (this.#closed) return;
    void this.#write();
  }

  #write(): Promise<unknown> {
    this.#writing = this.#writing.then(() => (this.#closed ? undefined : this.#put()));
    return this.#writing;
  }

  /** True when stored; else the error (logged here unless the entry is being stopped, which reports it). */
  async #put(): Promise<true | unknown> {
    this.#lastWrite = Date.now();
    this.#record = { ...this.#record, ...this.#stats?.(), lastHeartbeat: new Date().toISOString() };
    this.#writtenStatus = this.#record.status;
    this.#membershipChanged = false;
    try {
      await this.kv.put(this.key, JSON.stringify(this.#record));
      return true;
    } catch (err) {
      // A missed beat is repaired by the next one; the TTL is three beats long.
      if (!this.#closed) this.log.warn("registry.write_failed", { key: this.key, error: err });
      return err;
    }
  }
}
