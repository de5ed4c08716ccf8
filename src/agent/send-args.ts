import type { SendOptions } from "./context.ts";

type Metadata = Record<string, unknown>;
/** The options a broadcast takes. */
export type BroadcastOptions = Pick<SendOptions, "metadata" | "priority" | "threadId">;

/** The keys of {@link SendOptions}: typed as a record so a new option cannot be left out. */
const SEND_KEYS: Readonly<Record<keyof SendOptions, true>> = { metadata: true, priority: true, threadId: true, inReplyTo: true, notify: true, deadline: true, seal: true };
const BROADCAST_KEYS: Readonly<Record<keyof BroadcastOptions, true>> = { metadata: true, priority: true, threadId: true };
const NO_OPTIONS: SendOptions = Object.freeze({});

/**
 * The options of a send called as `(…, options)` or as the seed's `(…, metadata?, options?)`. A lone last argument is
 * the options when it holds `metadata` as an object and no key but an option's (what the options overload's type
 * requires); otherwise it is the metadata, as it always was.
 */
export function sendOptionsOf(third: Metadata | SendOptions | undefined, fourth: SendOptions | undefined, keys: Readonly<Record<string, true>> = SEND_KEYS): SendOptions {
  if (fourth !== undefined) return fourth;
  return isOptions(third, keys) ? third : NO_OPTIONS;
}

/** The options of a broadcast, called either way (see {@link sendOptionsOf}). */
export function broadcastOptionsOf(second: Metadata | BroadcastOptions | undefined, third: BroadcastOptions | undefined): BroadcastOptions {
  return sendOptionsOf(second, third, BROADCAST_KEYS);
}

/** The metadata of a send whose options {@link sendOptionsOf} found: the positional argument, else the options'. */
export function metadataOf(third: Metadata | SendOptions | undefined, options: SendOptions): Metadata {
  return third === undefined || third === options ? (options.metadata ?? {}) : (third as Metadata);
}

function isOptions(x: unknown, keys: Readonly<Record<string, true>>): x is SendOptions {
  if (typeof x !== "object" || x === null) return false;
  const { metadata } = x as { metadata?: unknown };
  if (typeof metadata !== "object" || metadata === null) return false;
  for (const k in x) if (!Object.hasOwn(keys, k)) return false;
  return true;
}
