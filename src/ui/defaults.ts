/** Default port of the console. */
export const DEFAULT_UI_PORT = 8080;
/** Default address the console binds to: loopback only, since it has no login. */
export const DEFAULT_UI_HOST = "127.0.0.1";
/** Default agent name the console joins as. */
export const DEFAULT_HUMAN = "human";
/** How long the console keeps listing an agent after its last heartbeat, in milliseconds (shown offline once stale). */
export const KEEP_OFFLINE_MS = 10 * 60_000;
