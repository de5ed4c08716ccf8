import { tailTraffic, type Tail } from "../inspect/tail.ts";
import type { InspectedMessage } from "../inspect/types.ts";
import { newId } from "../protocol/envelope.ts";
import type { Bus } from "../transport/bus.ts";
import type { UiMessage } from "./events.ts";
import { toUiMessage } from "./message.ts";

/** A message heard live: the full record (for "show JSON" and thread merging) and its feed row. */
export interface Heard {
  message: InspectedMessage;
  summary: UiMessage;
}

/** Options of {@link TrafficTap}. */
export interface TrafficTapOptions {
  /** Messages kept for new pages, thread views and "full JSON", newest last; default 2000. */
  keep?: number;
  /** Called for every message heard. */
  onMessage(heard: Heard): void;
}

/**
 * All live traffic (stored messages from now on, plus core requests and responses, which are never stored),
 * with the most recent kept in memory: core messages can only be shown from here.
 */
export class TrafficTap {
  readonly #recent = new Map<string, Heard>();
  readonly #keep: number;
  readonly #options: TrafficTapOptions;
  #tail: Tail | undefined;

  constructor(options: TrafficTapOptions) {
    this.#options = options;
    this.#keep = options.keep ?? 2000;
  }

  async start(bus: Bus): Promise<void> {
    this.#tail = await tailTraffic(bus, { onMessage: (m) => this.#heard(m) });
    this.#tail.done.catch((err: unknown) => bus.log.error("ui.traffic_failed", { error: err }));
  }

  async stop(): Promise<void> {
    await this.#tail?.stop();
  }

  /** Recent messages, oldest first. */
  recent(): Heard[] {
    return [...this.#recent.values()];
  }

  /** A recently heard message by its feed id. */
  get(id: string): Heard | undefined {
    return this.#recent.get(id);
  }

  #heard(message: InspectedMessage): void {
    // A handoff's tracking record repeats the mailbox copy: one row per message.
    if (message.channel === "handoff") return;
    const e = message.envelope;
    const key = e && message.channel !== "deadLetter" ? e.id : `${message.channel}-${message.seq ?? newId()}`;
    const heard = { message, summary: toUiMessage(message, key) };
    heard.summary.id = key;
    this.#recent.delete(key);
    this.#recent.set(key, heard);
    if (this.#recent.size > this.#keep) this.#recent.delete(this.#recent.keys().next().value!);
    this.#options.onMessage(heard);
  }
}
