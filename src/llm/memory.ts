import type { ChatMessage } from "./model.ts";

/** Bounded per-thread memory of the core requests an agent answered, which the stream does not store. */
export class ThreadMemory {
  readonly #threads = new Map<string, ChatMessage[]>();

  /** `maxThreads` threads kept (least recently used dropped), `maxTurns` turns each. */
  constructor(
    readonly maxThreads = 200,
    readonly maxTurns = 20,
  ) {}

  /** The turns of `thread`, oldest first. */
  history(thread: string): ChatMessage[] {
    return [...(this.#threads.get(thread) ?? [])];
  }

  /** Adds turns to `thread`, keeping the newest `maxTurns`. */
  remember(thread: string, ...turns: ChatMessage[]): void {
    const kept = [...(this.#threads.get(thread) ?? []), ...turns].slice(-this.maxTurns);
    this.#threads.delete(thread);
    this.#threads.set(thread, kept);
    if (this.#threads.size > this.maxThreads) this.#threads.delete(this.#threads.keys().next().value!);
  }
}
