/** Longest delay a Node timer takes (2^31 − 1 ms, about 24.8 days); a longer one fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** What {@link within} gives when the time ran out first. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

/**
 * The value of `work` if it settles within `ms`, else {@link TIMED_OUT}; a rejection rejects as usual.
 * The work is not cancelled: used where a stop must not wait on a server that is away.
 */
export async function within<T>(work: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
  // Node fires a timer longer than 2^31 - 1 ms at once: a bound that long (or Infinity) is no bound.
  if (!(ms < MAX_TIMER_MS)) return work;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof TIMED_OUT>((resolve) => {
    timer = setTimeout(() => resolve(TIMED_OUT), Math.max(0, ms));
    timer.unref();
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `work` fulfils within `ms`: a stop step that failed or took too long both count as not done. */
export async function doneWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  return within(work, ms).then(
    (v) => v !== TIMED_OUT,
    () => false,
  );
}
