import type { Bus } from "../transport/bus.ts";

/** How often the console reads every mailbox's backlog, in milliseconds. */
export const BACKLOG_SAMPLE_MS = 5000;

/**
 * Each agent's mailbox backlog (its durable consumer's num_pending), read for all agents at once every few seconds
 * from the stream's consumer list: a page of 256 consumers per request, however busy the agents are.
 */
export class Backlogs {
  readonly #pending = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #sampling = false;

  constructor(
    readonly bus: Bus,
    /** Told the names whose backlog changed. */
    readonly onChange: (names: string[]) => void,
  ) {}

  /** The last backlog read for `agent`, or undefined before the first read (or when it has no mailbox). */
  of(agent: string): number | undefined {
    return this.#pending.get(agent);
  }

  start(everyMs = BACKLOG_SAMPLE_MS): void {
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), everyMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  /** Reads every consumer of the stream once; a server that is away leaves the last figures. */
  async sample(): Promise<void> {
    if (this.#sampling || this.bus.nc.isClosed()) return;
    this.#sampling = true;
    const changed: string[] = [];
    try {
      for await (const info of this.bus.jsm.consumers.list(this.bus.config.stream)) {
        const name = info.config.durable_name;
        if (!name || this.#pending.get(name) === info.num_pending) continue;
        this.#pending.set(name, info.num_pending);
        changed.push(name);
      }
    } catch (err) {
      this.bus.log.debug("ui.backlog_failed", { error: err });
    } finally {
      this.#sampling = false;
    }
    if (changed.length) this.onChange(changed);
  }
}
