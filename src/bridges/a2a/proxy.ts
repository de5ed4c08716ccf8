import { randomUUID } from "node:crypto";
import type { Client as A2aClient } from "@a2a-js/sdk/client";
import type { Message, Part, Task } from "@a2a-js/sdk";
import { defineAgent, type AgentDefinition } from "../../agent/define.ts";
import { AbortedError, AgentUnavailableError, ERROR_CODES, NatterError, RemoteError, RequestTimeoutError } from "../../errors.ts";
import { agentNameProblem } from "../../protocol/names.ts";

/** Options of {@link defineA2AProxy}. */
export interface A2AProxyOptions {
  /** Base URL of the remote agent; its card is read from `{url}/.well-known/agent-card.json`. */
  url: string;
  /** natter name of the proxy; default the card's name with characters a name cannot hold replaced by `-`. */
  name?: string;
  /** Sent as `Authorization: Bearer {token}` with every call. */
  token?: string;
  /** Milliseconds one remote call may take; default 30 000. */
  timeoutMs?: number;
}

/** A2A task states (the numbers of the SDK's TaskState). */
const COMPLETED = 3;
const CANCELED = 5;
const INPUT_REQUIRED = 6;
const AUTH_REQUIRED = 8;
/** Where polling stops: the terminal states, and the interrupted ones (input or auth required) no natter request can answer. */
const STOPPED = new Set([COMPLETED, 4, CANCELED, INPUT_REQUIRED, 7, AUTH_REQUIRED]);
const POLL_MS = 200;

/**
 * Reads a remote A2A agent's card and defines a natter agent that forwards requests and direct messages to it,
 * with the card's skills (ids and tags) as capabilities. The A2A SDK is loaded here, on first use.
 * Use as a module's default export: `export default await defineA2AProxy({ url })`.
 */
export async function defineA2AProxy(options: A2AProxyOptions): Promise<AgentDefinition> {
  const { ClientFactory, ClientFactoryOptions, DefaultAgentCardResolver, JsonRpcTransportFactory } = await import("@a2a-js/sdk/client");
  const fetchImpl: typeof fetch | undefined = options.token ? (input, init) => fetch(input, { ...init, headers: { ...headersOf(init?.headers), authorization: `Bearer ${options.token}` } }) : undefined;
  const factory = fetchImpl
    ? new ClientFactory({ ...ClientFactoryOptions.default, transports: [new JsonRpcTransportFactory({ fetchImpl })], cardResolver: new DefaultAgentCardResolver({ fetchImpl }) })
    : new ClientFactory();
  const base = options.url.endsWith("/") ? options.url : `${options.url}/`;
  const label = options.name ?? options.url;
  let remote: A2aClient;
  try {
    remote = await factory.createFromUrl(base);
  } catch (err) {
    throw new AgentUnavailableError(label, { cause: err });
  }
  const card = await remote.getAgentCard();
  const name = options.name ?? natterName(card.name);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const forward = async (content: string, threadId: string, signal: AbortSignal): Promise<string> => {
    const limit = AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]);
    // The remote task while it runs: cancelled there when natter gives up on it, so it does not run on for nobody.
    let open: string | undefined;
    try {
      const message: Message = { messageId: randomUUID(), contextId: threadId, taskId: "", role: 1, parts: [textPart(content)], metadata: undefined, extensions: [], referenceTaskIds: [] };
      let answer: Message | Task = await remote.sendMessage({ tenant: "", message, configuration: undefined, metadata: undefined }, { signal: limit });
      while (!("messageId" in answer) && !STOPPED.has(answer.status?.state ?? 0)) {
        open = answer.id;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        answer = await remote.getTask({ tenant: "", id: answer.id, historyLength: 0 }, { signal: limit });
      }
      open = undefined;
      if ("messageId" in answer) return textOf(answer.parts);
      const text = answer.status?.message ? textOf(answer.status.message.parts) : answer.artifacts.flatMap((a) => textOf(a.parts)).join("\n");
      const state = answer.status?.state;
      if (state === INPUT_REQUIRED || state === AUTH_REQUIRED) {
        // natter has no turn to give the input in: the request fails with the remote's question, and the task is let go.
        void remote.cancelTask({ tenant: "", id: answer.id, metadata: undefined }).catch(() => undefined);
        throw new RemoteError(name, `the remote agent needs ${state === INPUT_REQUIRED ? "more input" : "authentication"}${text ? `: ${text}` : ""}`, ERROR_CODES.handler);
      }
      if (state !== COMPLETED) throw new RemoteError(name, text || `remote task ended in state ${state}`, state === CANCELED ? ERROR_CODES.cancelled : ERROR_CODES.handler);
      return text;
    } catch (err) {
      if (open !== undefined) void remote.cancelTask({ tenant: "", id: open, metadata: undefined }).catch(() => undefined);
      throw natterError(err, name, timeoutMs, signal);
    }
  };
  return defineAgent({
    name,
    description: card.description || `A2A agent at ${options.url}`,
    capabilities: [...new Set(card.skills.flatMap((s) => [s.id, ...s.tags]).filter((c) => c.length > 0))],
    version: card.version || undefined,
    onRequest: (m, ctx) => forward(m.content, m.threadId ?? m.id, ctx.signal),
    onMessage: (m, ctx) => forward(m.content, m.threadId ?? m.id, ctx.signal),
  } satisfies AgentDefinition);
}

/** A remote failure as the natter error saying who must act. */
function natterError(err: unknown, agent: string, timeoutMs: number, signal: AbortSignal): Error {
  if (err instanceof NatterError) return err;
  if (signal.aborted) return new AbortedError("the request was cancelled", { cause: err });
  const e = err as Error;
  if (e.name === "TimeoutError") return new RequestTimeoutError(agent, timeoutMs, { cause: err });
  const status = /Status: (\d{3})/.exec(e.message)?.[1];
  // fetch fails with a TypeError when nothing answers: connection refused, reset, DNS.
  if (e instanceof TypeError || status === "502" || status === "503" || status === "504") return new AgentUnavailableError(agent, { cause: err });
  return new RemoteError(agent, e.message, ERROR_CODES.handler, { cause: err });
}

function natterName(cardName: string): string {
  const name = cardName.replace(/[^A-Za-z0-9_-]/g, "-").slice(0, 64);
  if (agentNameProblem(name)) throw new NatterError(`the agent card's name ${JSON.stringify(cardName)} makes no natter name; pass name`);
  return name;
}

function textPart(text: string): Part {
  return { content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" };
}

function textOf(parts: readonly Part[]): string {
  return parts.map((p) => (p.content?.$case === "text" ? p.content.value : p.content?.$case === "data" ? JSON.stringify(p.content.value) : "")).join("\n");
}

function headersOf(h: RequestInit["headers"]): Record<string, string> {
  return Object.fromEntries(new Headers(h).entries());
}
