import * as v from "valibot";
import type { Client } from "../../agent/client.ts";
import { toError } from "../../errors.ts";
import { watchAgents, type AgentsWatch } from "../../inspect/agents.ts";
import { tool, type Tool } from "../../llm/tools.ts";
import type { AgentInfo } from "../../registry/query.ts";
import type { ToolCatalog } from "./server.ts";
import { networkTools, type NetworkToolsOptions } from "./tools.ts";

/** Options of {@link networkCatalog}. */
export interface NetworkCatalogOptions extends NetworkToolsOptions {
  /** Offer one `ask_<Agent>` tool per live agent, kept current by a registry watch. */
  perAgent: boolean;
  /** How often expired instances are looked for, and a missing registry bucket retried (ms). Default 2000. */
  refreshMs?: number;
}

/** A catalog that can be stopped (its registry watch). */
export interface NetworkCatalog extends ToolCatalog {
  stop(): Promise<void>;
}

const MAX_TOOL_NAME = 64;

/** The network tools, plus (with `perAgent`) `ask_<Agent>` for every live agent as agents come and go. */
export function networkCatalog(client: Client, options: NetworkCatalogOptions): NetworkCatalog {
  const fixed = networkTools(client, options);
  const listeners = new Set<() => void>();
  let perAgent: Tool[] = [];
  let key = "";
  let watch: AgentsWatch | undefined;
  let opening: Promise<void> | undefined;
  let stopped = false;

  const update = (agents: readonly AgentInfo[]) => {
    const taken = new Set(fixed.map((t) => t.spec.name));
    const live = agents
      .filter((a) => a.status !== "offline" && a.name !== client.name && `ask_${a.name}`.length <= MAX_TOOL_NAME && !taken.has(`ask_${a.name}`))
      .sort((a, b) => a.name.localeCompare(b.name));
    const next = live.map((a) => a.name).join(",");
    if (next === key) return;
    key = next;
    perAgent = live.map((a) => askTool(client, a, options.askTimeoutMs));
    for (const listener of listeners) listener();
  };
  // The registry bucket exists only once an agent has run: until then, keep trying.
  const open = () => {
    if (watch || opening || stopped) return;
    opening = watchAgents(client.bus, { onChange: (s) => update(s.agents) })
      .then(async (w) => {
        if (stopped) await w.stop();
        else watch = w;
      })
      .catch((err: unknown) => client.log.debug("mcp.registry_watch_failed", { error: toError(err).message }))
      .finally(() => (opening = undefined));
  };
  let timer: NodeJS.Timeout | undefined;
  if (options.perAgent) {
    open();
    // Expired instances drop out without a KV event.
    timer = setInterval(() => (watch ? update(watch.current().agents) : open()), options.refreshMs ?? 2000);
    timer.unref();
  }
  return {
    tools: () => [...fixed, ...perAgent],
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await opening;
      await watch?.stop();
    },
  };
}

function askTool(client: Client, info: AgentInfo, askTimeoutMs: number): Tool {
  const agent = info.name;
  const about = [info.description, info.capabilities.length ? `capabilities: ${info.capabilities.join(", ")}` : ""].filter(Boolean).join("; ");
  return tool({
    name: `ask_${agent}`,
    description: `Ask the agent ${agent} and wait for its answer${about ? ` (${about})` : ""}.`,
    parameters: v.object({ question: v.pipe(v.string("must be a string"), v.minLength(1, "must not be empty"), v.description("what to ask")) }),
    run: async ({ question }, { signal }) => (await client.requestFromAgent(agent, question, { timeoutMs: askTimeoutMs, signal })).content,
  });
}
