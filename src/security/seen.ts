/** Ids remembered at most by one verifier; past it the oldest are forgotten and their age becomes a floor. */
const MAX_SEEN = 100_000;

/**
 * How much earlier than this process's start a live message may be signed and still be taken as new: covers clocks
 * a little apart and a message in flight at the start. Older ones may be replays of what the last run already handled.
 */
export const START_GRACE_MS = 5_000;

/** What the memory knows of a signed message's id. */
export type Sighting =
  /** Not seen: check it and {@link SeenIds.remember} it. */
  | { kind: "new" }
  /**
   * The same stored message again: same stream sequence (`checked`: it passed every check then, and stored bytes do
   * not change), or a redelivery whose first sighting was forgotten (not `checked`).
   */
  | { kind: "again"; checked: boolean }
  /** A second copy: a replay. */
  | { kind: "replay"; why: string };

interface Entry {
  /** Stream sequence of a stored message; undefined for a core message. */
  seq: number | undefined;
  /** Envelope timestamp, in ms: what the floor rises to when the entry is forgotten early. */
  signedMs: number;
  /** Forgotten after this. */
  untilMs: number;
}

/**
 * The ids of signed messages one process accepted, for as long as a copy could still pass the freshness check
 * (twice the replay window after the first sighting: a timestamp is accepted up to one window either side).
 * Bounded: past {@link MAX_SEEN} ids the oldest are forgotten, and a first sighting signed no later than the newest
 * forgotten one is then refused, since it can no longer be told apart from a replay.
 */
export class SeenIds {
  readonly #entries = new Map<string, Entry>();
  /** Live messages signed at or before this are refused on first sighting: the last run may have handled them. */
  readonly #startFloorMs: number;
  /** First sightings signed at or before this are refused: ids that old were forgotten for room. */
  #evictedFloorMs = Number.NEGATIVE_INFINITY;

  constructor(
    readonly windowMs: number,
    readonly max = MAX_SEEN,
    now = Date.now(),
  ) {
    this.#startFloorMs = now - START_GRACE_MS;
  }

  /** Ids remembered now. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * What is known of `key`, signed at `signedMs`. For a stored message pass its stream sequence and delivery count:
   * the same sequence again is a redelivery, to be handled; the same id under another sequence is a replay.
   */
  look(key: string, signedMs: number, stored?: { seq: number; deliveryCount: number }, now = Date.now()): Sighting {
    this.#expire(now);
    const entry = this.#entries.get(key);
    if (entry) {
      if (stored && entry.seq === stored.seq) return { kind: "again", checked: true };
      return { kind: "replay", why: stored && entry.seq !== undefined ? `already received once, as stream message ${entry.seq} (replayed)` : "already received once (replayed)" };
    }
    // A stored message delivered again whose first sighting was forgotten (memory full, or this process restarted):
    // a replay is a new stream message, so its first delivery is count 1 and was looked at here while remembered.
    if (stored && stored.deliveryCount > 1) return { kind: "again", checked: false };
    if (signedMs <= this.#evictedFloorMs) return { kind: "replay", why: "signed before the oldest id still remembered (the seen-id memory is full); it cannot be told apart from a replay" };
    if (!stored && signedMs <= this.#startFloorMs) return { kind: "replay", why: "signed before this process started; it cannot be told apart from a replay of what the last run handled" };
    return { kind: "new" };
  }

  /** Records `key` as seen; `seq` for a stored message. */
  remember(key: string, signedMs: number, seq?: number, now = Date.now()): void {
    this.#entries.delete(key);
    this.#entries.set(key, { seq, signedMs, untilMs: now + 2 * this.windowMs });
    while (this.#entries.size > this.max) {
      const [oldest, entry] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      this.#evictedFloorMs = Math.max(this.#evictedFloorMs, entry.signedMs);
    }
  }

  #expire(now: number): void {
    // Every entry lives as long and is inserted at the end, so the map is in expiry order: stop at the first live one.
    for (const [key, entry] of this.#entries) {
      if (entry.untilMs >= now) break;
      this.#entries.delete(key);
    }
  }
}
