// The hooks the agent code calls when metrics are on. Types only: when metrics are off the hook is undefined and
// every call site is a skipped optional call, so this module loads nothing and costs nothing per message.

/** How a message's handling ended, the `outcome` label of `natter_messages_total`. */
export const OUTCOMES = ["ok", "error", "dead_lettered", "rejected", "cancelled"] as const;
/** One of {@link OUTCOMES}. */
export type Outcome = (typeof OUTCOMES)[number];

/** One agent's counters; made per agent by the host's metrics, undefined when metrics are off. */
export interface AgentMetrics {
  /** A message of `type` ended with `outcome`; `seconds` the handler ran, when one ran. */
  handled(type: string, outcome: Outcome, seconds?: number): void;
  /** A mailbox message came again (its earlier delivery failed or was not acknowledged in time). */
  redelivered(): void;
  /** A request began (+1) or was answered (-1). */
  requests(delta: 1 | -1): void;
}
