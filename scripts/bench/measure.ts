import { quantile } from "./report.ts";

/** How long each side runs unmeasured before {@link alternate} starts timing it. */
const WARM_UP_MS = 1000;

/** Latencies of a run of operations, and how long the run took. */
export interface Samples {
  latenciesMs: number[];
  elapsedMs: number;
  /** Operations run unmeasured before, to warm up (see {@link warmUp}). */
  warmUps?: number;
}

/** p50, p99 and operations per second of `samples`. */
export function summarize(samples: Samples): { p50: number; p99: number; perSecond: number } {
  return { p50: quantile(samples.latenciesMs, 0.5), p99: quantile(samples.latenciesMs, 0.99), perSecond: (samples.latenciesMs.length * 1000) / samples.elapsedMs };
}

/** Runs `op` `count` times, one after the other, timing each. */
export async function sequential(count: number, op: () => Promise<unknown>): Promise<Samples> {
  const latenciesMs: number[] = [];
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    await op();
    latenciesMs.push(performance.now() - t);
  }
  return { latenciesMs, elapsedMs: performance.now() - start };
}

/**
 * Runs each side's `op` `count` times in total, in alternating slices after a warm-up,
 * so that noise on a shared machine falls on every side alike. Samples are pooled per side.
 */
export async function alternate<K extends string>(count: number, ops: Record<K, () => Promise<unknown>>, slices = 5): Promise<Record<K, Samples>> {
  const keys = Object.keys(ops) as K[];
  const out = Object.fromEntries(keys.map((k) => [k, { latenciesMs: [], elapsedMs: 0, warmUps: 0 }])) as unknown as Record<K, Samples>;
  for (const k of keys) out[k].warmUps = await warmUp(ops[k]);
  const per = Math.max(1, Math.ceil(count / slices));
  for (let s = 0; s < slices; s++) {
    for (const k of keys) {
      const run = await sequential(per, ops[k]);
      out[k].latenciesMs.push(...run.latenciesMs);
      out[k].elapsedMs += run.elapsedMs;
    }
  }
  return out;
}

/**
 * Runs `op` for WARM_UP_MS (at least 20, at most 5000 times) before it is measured, so the JIT has compiled
 * both sides' code paths; a fixed count would leave cheap operations cold and slow ones overlong. Returns how many ran.
 */
export async function warmUp(op: () => Promise<unknown>): Promise<number> {
  const until = performance.now() + WARM_UP_MS;
  let i = 0;
  for (; i < 5000 && (i < 20 || performance.now() < until); i++) await op();
  return i;
}

/** A promise with its resolver, for "wait until the handler saw it". */
export function signal<T = void>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}
