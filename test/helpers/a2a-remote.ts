import type { AddressInfo } from "node:net";
import express from "express";
import { ClientFactory } from "@a2a-js/sdk/client";
import { AGENT_CARD_PATH, Role, TaskState, type AgentCard } from "@a2a-js/sdk";
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, type AgentExecutor } from "@a2a-js/sdk/server";
import { agentCardHandler, jsonRpcHandler, UserBuilder } from "@a2a-js/sdk/server/express";
import { a2aMessage } from "../../scripts/bench/a2a-server.ts";

/** A remote A2A agent served by the SDK's own DefaultRequestHandler (Express): answers `{prefix}{text}`. */
export async function startRemoteA2a(options: { name: string; skill: string; prefix: string }): Promise<{ url: string; taskState: (text: string) => Promise<TaskState | undefined>; stop: () => Promise<void> }> {
  const taskOf = new Map<string, string>();
  const executor: AgentExecutor = {
    async execute(ctx, bus) {
      const part = ctx.userMessage.parts[0]?.content;
      const text = part?.$case === "text" ? part.value : "";
      // `ask:` texts get a task that stops for more input; `hold:` ones a task that works until cancelled.
      const state = text.startsWith("ask:") ? TaskState.TASK_STATE_INPUT_REQUIRED : text.startsWith("hold:") ? TaskState.TASK_STATE_WORKING : undefined;
      if (state !== undefined) {
        taskOf.set(text, ctx.taskId);
        const status = { state, timestamp: new Date().toISOString(), message: a2aMessage(Role.ROLE_AGENT, "which language?", { taskId: ctx.taskId, contextId: ctx.contextId }) };
        bus.publish(AgentEvent.task({ id: ctx.taskId, contextId: ctx.contextId, status, artifacts: [], history: [ctx.userMessage], metadata: undefined }));
        bus.finished();
        return;
      }
      bus.publish(AgentEvent.message(a2aMessage(Role.ROLE_AGENT, `${options.prefix}${text}`, { contextId: ctx.contextId })));
    },
    // What a cancellable executor does: say so, and end the execution.
    async cancelTask(taskId, bus) {
      bus.publish(AgentEvent.statusUpdate({ taskId, contextId: "", status: { state: TaskState.TASK_STATE_CANCELED, timestamp: new Date().toISOString(), message: undefined }, metadata: undefined }));
      bus.finished();
    },
  };
  const app = express();
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => (server.once("listening", resolve), server.once("error", reject)));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const card: AgentCard = {
    name: options.name,
    description: "a remote A2A agent for the natter tests",
    supportedInterfaces: [{ url: `${url}/rpc`, protocolBinding: "JSONRPC", tenant: "", protocolVersion: "1.0" }],
    provider: undefined,
    version: "1.0.0",
    capabilities: { streaming: false, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ["text"],
    defaultOutputModes: ["text"],
    skills: [{ id: options.skill, name: options.skill, description: options.skill, tags: [], examples: [], inputModes: [], outputModes: [], securityRequirements: [] }],
    signatures: [],
  };
  const handler = new DefaultRequestHandler(card, new InMemoryTaskStore(), executor);
  app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: handler }));
  app.use("/rpc", jsonRpcHandler({ requestHandler: handler, userBuilder: UserBuilder.noAuthentication }));
  // Read as a client reads it: the SDK's store keeps tasks by owner.
  const taskState = async (text: string) => {
    const id = taskOf.get(text);
    if (id === undefined) return undefined;
    return (await (await new ClientFactory().createFromUrl(`${url}/`)).getTask({ tenant: "", id, historyLength: 0 })).status?.state;
  };
  return { url, taskState, stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}
