import type { Logger } from "../logger.ts";
import type { Mailbox } from "../mailbox/mailbox.ts";
import type { RegistryView } from "../registry/view.ts";

/** Options of {@link fitWindowToSwarm}. */
export interface SwarmWindowOptions {
  agent: string;
  instanceId: string;
  /** The window beside other instances: what this one runs at once. */
  concurrency: number;
  /** The window alone. */
  prefetch: number;
  log: Logger;
}

/**
 * One instance reads ahead (priorities reorder within the window); in a swarm each holds only what it runs, so none
 * idles while another hoards. Fits the window to the agent's live instances in `view`; call it again whenever the
 * view sees them change.
 */
export function fitWindowToSwarm(view: RegistryView, mailbox: Mailbox, options: SwarmWindowOptions): void {
  const { agent, instanceId, concurrency, prefetch, log } = options;
  const others = view.liveInstances(agent).filter((r) => r.instanceId !== instanceId).length;
  const window = others > 0 ? concurrency : prefetch;
  if (window !== mailbox.options.prefetch) log.debug("mailbox.window", { window, others });
  mailbox.setWindow(window);
}
