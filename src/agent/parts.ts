import type { Logger } from "../logger.ts";
import type { AgentMetrics } from "../metrics/hooks.ts";
import type { Signer } from "../security/identity.ts";
import type { Bus } from "../transport/bus.ts";
import type { Context } from "./context.ts";
import type { AgentDefinition } from "./define.ts";
import type { Screens } from "./screening.ts";
import type { Sealing } from "./sealing.ts";
import type { HandlerSlots } from "./slots.ts";
import type { ThreadCancellation } from "./threads.ts";

/** What a runtime shares with the code that feeds its handlers from the mailbox and from requests. */
export interface RuntimeParts {
  readonly bus: Bus;
  readonly definition: AgentDefinition;
  /** The agent's own context (bound to no message): its `signal` fires when the agent begins to stop. */
  readonly context: Context;
  readonly log: Logger;
  readonly signer: Signer | undefined;
  readonly threads: ThreadCancellation;
  readonly slots: HandlerSlots;
  /** Opens sealed mail and requests, and seals answers and notices back to their senders. */
  readonly sealing: Sealing;
  /** Signature and sender-rate checks; undefined when neither is on. */
  readonly screens: Screens | undefined;
  /** The agent's metrics; undefined when NATTER_METRICS_PORT is unset. */
  readonly metrics: AgentMetrics | undefined;
}
