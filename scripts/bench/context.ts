import type { Config } from "../../src/config/config.ts";
import type { Logger } from "../../src/logger.ts";

/** How many operations each case runs. */
export interface BenchSizes {
  /** Sequential requests per side (cases 1 and 4). */
  requests: number;
  /** Sequential A2A calls per path (case 6). */
  a2aRequests: number;
  /** Messages in the direct-message throughput run (case 2). */
  directMessages: number;
  /** Sequential messages in the direct-message latency run (case 2). */
  directLatency: number;
  /** Broadcasts per fan-out size (case 3). */
  broadcastRounds: number;
  /** Sequential handoffs (case 5). */
  handoffs: number;
}

/** Sizes of a default run (under 5 minutes on 2 cores) and of `--quick` (under 1 minute). */
export const SIZES = {
  full: { requests: 5000, a2aRequests: 1000, directMessages: 20_000, directLatency: 2000, broadcastRounds: 300, handoffs: 500 },
  quick: { requests: 500, a2aRequests: 120, directMessages: 2000, directLatency: 200, broadcastRounds: 40, handoffs: 50 },
} as const satisfies Record<string, BenchSizes>;

/** What every case gets: the server, a natter config pointing at it, the sizes and a progress line writer. */
export interface BenchContext {
  url: string;
  config: Config;
  sizes: BenchSizes;
  /** The logger of the hosts and clients the bench runs in its own process: at the configured level, lines kept, not shown. */
  logger: Logger;
  progress(line: string): void;
}
