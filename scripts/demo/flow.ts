import { connectClient, startHost, type Client, type Config, type Host, type Logger } from "../../src/index.ts";
import generalAssistant from "../agents/general-assistant.ts";
import taskCoordinator from "../agents/task-coordinator.ts";
import weatherBot from "../agents/weather-bot.ts";
import { describeCrossing, Tap, type Crossing } from "./tap.ts";

/** The names the demo's agents use. */
export const DEMO_AGENTS = { weather: weatherBot.name, coordinator: taskCoordinator.name, assistant: generalAssistant.name } as const;
const { weather: W, coordinator: C, assistant: A } = DEMO_AGENTS;
/** The client that drives the demo by asking the agents. */
const DRIVER = "Demo";

/** Options of {@link runDemoFlow}. */
export interface DemoOptions {
  config: Config;
  logger: Logger;
  /** Where the demo's explanation goes (one call per line). */
  out: (line: string) => void;
  /** How long one step waits for its messages; default 60000 ms (models can be slow). */
  stepTimeoutMs?: number;
}

/** A running demo: its agents, its driver and what crossed the bus. */
export interface DemoRun {
  host: Host;
  client: Client;
  tap: Tap;
  /** Steps whose expected messages all crossed, by number. */
  passed: number[];
  failed: number[];
  /** The conversation (thread id) each step started, by step number; step 1 starts none. */
  threads: Map<number, string>;
  stop(): Promise<void>;
}

interface Step {
  title: string;
  explain: string;
  /** What the driver asks an agent to do (step 1 only starts the agents). */
  ask?: { agent: string; text: string };
  /** Or what the driver does itself, printing as it goes. */
  drive?: (client: Client, out: (line: string) => void, timeoutMs: number) => Promise<void>;
  /** Messages that must cross for the step to count as done. */
  expect: Array<{ what: string; match: (c: Crossing) => boolean }>;
}

const crossed = (type: string, from: string, to?: string, subject?: string) => (c: Crossing) =>
  c.envelope.type === type && c.envelope.from === from && (to === undefined || c.envelope.to === to) && (subject === undefined || c.subject.startsWith(subject));

/** The seed's six steps, then capability routing and streamed progress. */
export const STEPS: readonly Step[] = [
  {
    title: "All agents connect and announce themselves",
    explain: `${W}, ${C} and ${A} start, register in the KV registry and announce on agents.all.`,
    expect: [W, C, A].map((name) => ({ what: `${name} announces itself`, match: crossed("announcement", name) })),
  },
  {
    title: `${C} broadcasts a greeting`,
    explain: `${DRIVER} asks ${C} to greet everyone; its model calls the broadcast_message tool, which publishes on agents.all.`,
    ask: { agent: C, text: `Broadcast a greeting to all agents: "Hello everyone, ${C} here. Send me tasks and I will route them."` },
    expect: [{ what: `a broadcast from ${C}`, match: crossed("broadcast", C) }],
  },
  {
    title: `Direct message: ${C} → ${W}`,
    explain: `${C}'s model calls send_direct_message; the message is stored in ${W}'s mailbox, ${W} runs its loop (get_weather) and sends a completion notice back.`,
    ask: { agent: C, text: `Send ${W} a direct message asking for the weather forecast in Paris.` },
    expect: [
      { what: `a direct message ${C} → ${W}`, match: crossed("direct", C, W) },
      { what: `${W}'s completion notice to ${C}`, match: crossed("response", W, C, "agents.direct.") },
    ],
  },
  {
    title: `Request/response: ${A} → ${W}`,
    explain: `${A}'s model calls ask_agent: a core NATS request to ${W}, which answers on ${A}'s response subject.`,
    ask: { agent: A, text: `Ask ${W}: what is the weather in Tokyo?` },
    expect: [
      { what: `a request ${A} → ${W}`, match: crossed("request", A, W) },
      { what: `${W}'s answer to ${A}`, match: crossed("response", W, A, "agents.response.") },
    ],
  },
  {
    title: `Handoff: ${C} → ${A}`,
    explain: `${C}'s model calls hand_off_to_agent: an urgent message in ${A}'s mailbox plus a tracking record on agents.handoff.${C}.to.${A}.`,
    ask: { agent: C, text: `Hand off this task to ${A}: "Plan a team offsite agenda for Friday."` },
    expect: [
      { what: `a handoff ${C} → ${A}`, match: crossed("handoff", C, A, "agents.direct.") },
      { what: `${A}'s completion notice to ${C}`, match: crossed("response", A, C, "agents.direct.") },
    ],
  },
  {
    title: `Chained: ${A} asks ${W}, then reports to ${C}`,
    explain: `${A}'s model calls ask_agent (${W}), then send_direct_message (${C}) with the answer.`,
    ask: { agent: A, text: `Ask ${W} for the weather in London and report it to ${C}.` },
    expect: [
      { what: `a request ${A} → ${W}`, match: crossed("request", A, W) },
      { what: `${W}'s answer to ${A}`, match: crossed("response", W, A, "agents.response.") },
      { what: `a direct message ${A} → ${C}`, match: crossed("direct", A, C) },
      { what: `${C}'s completion notice to ${A}`, match: crossed("response", C, A, "agents.direct.") },
    ],
  },
  {
    title: "Capability routing: ask whoever has `weather`",
    explain: `${DRIVER} does not name an agent: requestByCapability reads the registry and asks the least busy live agent declaring the capability.`,
    drive: async (client, out, timeoutMs) => {
      const picked = await client.pickAgent("weather");
      out(`   ${DRIVER} → (capability weather = ${picked}): "What is the weather in Berlin?"`);
      await client.requestByCapability("weather", "What is the weather in Berlin?", { timeoutMs });
    },
    expect: [
      { what: `a request ${DRIVER} → ${W}`, match: crossed("request", DRIVER, W) },
      { what: `${W}'s answer to ${DRIVER}`, match: crossed("response", W, DRIVER, "agents.response.") },
    ],
  },
  {
    title: `Streamed progress: ${A} reports each step while it works`,
    explain: `${DRIVER} uses requestStream: ${A}'s progress (each tool it calls) is stored on agents.progress.${DRIVER}.<id> and arrives as it happens, then the answer.`,
    drive: async (client, out, timeoutMs) => {
      const req = await client.requestStream(A, `Ask ${W}: what is the weather in Rome?`, { timeoutMs });
      for await (const e of req.progress) out(`   ${e.final ? "answer" : "progress"} #${e.seq}: ${e.envelope.content.slice(0, 100)}`);
    },
    expect: [{ what: `progress from ${A}`, match: crossed("progress", A, DRIVER) }],
  },
];

/** Starts the three agents and a driver, and runs the steps, printing what crossed the bus. */
export async function runDemoFlow(options: DemoOptions): Promise<DemoRun> {
  const { config, logger, out } = options;
  const stepTimeoutMs = options.stepTimeoutMs ?? 60_000;
  const client = await connectClient({ name: DRIVER, config, logger });
  let printing = true;
  const tap = new Tap(client.bus.nc, (c) => printing && out(describeCrossing(c)), out);
  const passed: number[] = [];
  const failed: number[] = [];
  const threads = new Map<number, string>();
  let host: Host | undefined;
  const stop = async () => {
    tap.close();
    await host?.stop();
    await client.close();
  };
  try {
    for (const [i, step] of STEPS.entries()) {
      const n = i + 1;
      out("");
      out(`━━ Step ${n}/${STEPS.length} · ${step.title}`);
      out(`   ${step.explain}`);
      const mark = tap.seen.length;
      if (n === 1) host = await startHost({ agents: [weatherBot, taskCoordinator, generalAssistant], config, logger });
      if (step.ask) {
        out(`   ${DRIVER} → ${step.ask.agent}: "${step.ask.text}"`);
        const reply = await client.requestFromAgent(step.ask.agent, step.ask.text, { timeoutMs: stepTimeoutMs }).catch((err: unknown) => err as Error);
        if (reply instanceof Error) out(`   ✗ ${step.ask.agent} failed: ${reply.message}`);
      }
      if (step.drive) await step.drive(client, out, stepTimeoutMs).catch((err: unknown) => out(`   ✗ ${(err as Error).message}`));
      const asked = tap.seen.slice(mark).find((c) => c.envelope.type === "request" && c.envelope.from === DRIVER);
      if (asked) threads.set(n, asked.envelope.threadId ?? asked.envelope.id);
      const missing: string[] = [];
      for (const e of step.expect) if (!(await tap.waitFor(e.match, mark, stepTimeoutMs))) missing.push(e.what);
      if (n === 1 && host) {
        out("   Registry (KV bucket natter-registry):");
        for (const a of await client.listAgents()) out(`     • ${a.name} [${a.status}] capabilities: ${a.capabilities.join(", ")} — ${a.description}`);
      }
      if (missing.length === 0) {
        passed.push(n);
        out(`   ✓ step ${n} done`);
      } else {
        failed.push(n);
        out(`   ✗ step ${n}: not seen within ${stepTimeoutMs} ms: ${missing.join("; ")}`);
      }
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    host: host!,
    client,
    tap,
    passed,
    failed,
    threads,
    stop: async () => {
      printing = false;
      await stop();
    },
  };
}
