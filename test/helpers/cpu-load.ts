import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

/** Keeps every core busy with a spinning worker thread, as on a machine shared with other jobs; `stop` ends them. */
export function spinCores(count = availableParallelism()): { stop(): Promise<void> } {
  const workers = Array.from({ length: count }, () => new Worker("for (;;) {}", { eval: true }));
  for (const w of workers) w.unref();
  return { stop: async () => void (await Promise.all(workers.map((w) => w.terminate()))) };
}
