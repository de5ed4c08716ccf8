import type * as v from "valibot";
import type { Client } from "../../agent/client.ts";
import type { StreamedRequest } from "../../agent/context.ts";
import { AgentUnavailableError, NatterError } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import { newId } from "../../protocol/envelope.ts";
import { within } from "../../transport/bounded.ts";
import { isFinal, statusUpdate, taskJson, type BridgeTask, type TaskStore } from "./tasks.ts";
import { agentMessage, contentOf, isRpcError, parseParams, RPC_ERRORS, SendParamsSchema, TASK_STATE, TaskParamsSchema, type RpcError } from "./wire.ts";

/** How long the bridge waits, once the answer is in, for the progress stored before it to be read. */
const PROGRESS_DRAIN_MS = 2000;

/** What one JSON-RPC call becomes: a JSON answer, or a stream of results sent as server-sent events. */
export type RpcOutcome =
  | { kind: "json"; status: number; result?: unknown; error?: RpcError }
  | { kind: "stream"; run: (emit: (result: unknown) => Promise<void>) => Promise<void> };

/** What the JSON-RPC methods need: a natter client, the tasks, and whether an agent is running. */
export interface RpcDeps {
  client: Client;
  tasks: TaskStore;
  isLive(agent: string): boolean;
  log: Logger;
}

const ok = (result: unknown): RpcOutcome => ({ kind: "json", status: 200, result });
const fail = (error: RpcError, status = 200): RpcOutcome => ({ kind: "json", status, error });

/** The error an A2A client gets for an agent that is not running: at once, with HTTP 503. */
function unavailable(agent: string): RpcOutcome {
  return fail({ code: RPC_ERRORS.agentUnavailable, message: `agent "${agent}" is not available: no instance is running`, data: { agent, natterCode: "unavailable" } }, 503);
}

/** Runs one A2A method against natter agent `agent`. */
export async function callMethod(deps: RpcDeps, agent: string, method: string, params: unknown): Promise<RpcOutcome> {
  try {
    switch (method) {
      case "SendMessage":
        return await sendMessage(deps, agent, params, false);
      case "SendStreamingMessage":
        return await sendMessage(deps, agent, params, true);
      case "GetTask":
        return withTask(deps, agent, params, (task) => ok(taskJson(task)));
      case "CancelTask":
        return await withTask(deps, agent, params, (task) => cancelTask(deps, task));
      default:
        return fail({ code: RPC_ERRORS.methodNotFound, message: `method not found: ${JSON.stringify(method)}; this bridge serves SendMessage, SendStreamingMessage, GetTask and CancelTask` });
    }
  } catch (err) {
    if (err instanceof AgentUnavailableError) return unavailable(agent);
    const code = err instanceof NatterError ? err.code : "internal";
    if (!(err instanceof NatterError)) deps.log.warn("a2a.failed", { agent, method, error: err });
    return fail({ code: RPC_ERRORS.internal, message: (err as Error).message, data: { agent, natterCode: code } });
  }
}

async function sendMessage(deps: RpcDeps, agent: string, raw: unknown, streaming: boolean): Promise<RpcOutcome> {
  const params = parseParams(SendParamsSchema, raw);
  if (isRpcError(params)) return fail(params);
  const content = contentOf(params.message.parts);
  if (isRpcError(content)) return fail(content);
  if (!deps.isLive(agent)) return unavailable(agent);
  const contextId = params.message.contextId || newId();
  const options = { threadId: contextId, metadata: { a2a: { messageId: params.message.messageId } } };
  if (!streaming && params.configuration?.returnImmediately !== true) {
    const answer = await deps.client.requestFromAgent(agent, content, options);
    return ok({ message: agentMessage(answer.id, answer.content, contextId) });
  }
  const task = deps.tasks.create(newId(), agent, contextId);
  const streamed = await deps.client.requestStream(agent, content, { ...options, signal: task.abort.signal });
  const run = (emit: (result: unknown) => Promise<void>) => deps.tasks.track(follow(deps, task, streamed, emit));
  if (streaming) return { kind: "stream", run };
  void run(async () => undefined);
  return ok({ task: taskJson(task) });
}

/** Sends the task, then each progress step as a working status, then the final status. */
async function follow(deps: RpcDeps, task: BridgeTask, streamed: StreamedRequest, emit: (result: unknown) => Promise<void>): Promise<void> {
  await emit({ task: taskJson(task) });
  const reading = new AbortController();
  const steps = (async () => {
    for await (const event of deps.client.resumeProgress(streamed.id, 0, { signal: reading.signal, from: task.agent })) {
      if (event.final) return;
      if (deps.tasks.update(task, TASK_STATE.working, { messageId: event.envelope.id, text: event.envelope.content })) await emit({ statusUpdate: statusUpdate(task) });
    }
  })().catch((err: unknown) => deps.log.warn("a2a.progress_failed", { agent: task.agent, task: task.id, error: err }));
  try {
    const answer = await streamed.result;
    // The answer is stored after every progress step: reading up to it sends them all before the end.
    await within(steps, PROGRESS_DRAIN_MS);
    deps.tasks.update(task, TASK_STATE.completed, { messageId: answer.id, text: answer.content });
  } catch (err) {
    deps.tasks.update(task, TASK_STATE.failed, { messageId: newId(), text: (err as Error).message });
  } finally {
    reading.abort();
    await steps;
  }
  await emit({ statusUpdate: statusUpdate(task) });
}

function withTask(deps: RpcDeps, agent: string, raw: unknown, then: (task: BridgeTask) => RpcOutcome | Promise<RpcOutcome>): RpcOutcome | Promise<RpcOutcome> {
  const params = parseParams(TaskParamsSchema, raw);
  if (isRpcError(params)) return fail(params);
  const task = deps.tasks.get(agent, (params as v.InferOutput<typeof TaskParamsSchema>).id);
  if (!task) return fail({ code: RPC_ERRORS.taskNotFound, message: `task ${JSON.stringify(params.id)} not found for agent "${agent}"` });
  return then(task);
}

/** Cancels the natter thread (the handler's signal fires) and stops waiting for the answer. */
async function cancelTask(deps: RpcDeps, task: BridgeTask): Promise<RpcOutcome> {
  if (isFinal(task.state)) return fail({ code: RPC_ERRORS.taskNotCancelable, message: `task ${task.id} has already ended (${task.state})` });
  deps.tasks.update(task, TASK_STATE.canceled, { messageId: newId(), text: "cancelled by the A2A client" });
  await deps.client.cancel(task.contextId, "cancelled by an A2A client");
  task.abort.abort();
  return ok(taskJson(task));
}
