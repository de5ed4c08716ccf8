import type { AddressInfo } from "node:net";
import { randomUUID } from "node:crypto";
import express from "express";
import { AGENT_CARD_PATH, Role, TaskState, type AgentCard, type Message, type Part } from "@a2a-js/sdk";
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, type AgentExecutor } from "@a2a-js/sdk/server";
import { agentCardHandler, jsonRpcHandler, UserBuilder } from "@a2a-js/sdk/server/express";
import type { PeerReady } from "./peer.ts";

/** Text that asks the A2A echo executor to answer through a task (submitted, then completed) instead of a message. */
export const A2A_TASK_PREFIX = "task:";

/** A text part as the v1.0 SDK spells it. */
function textPart(text: string): Part {
  return { content: { $case: "text", value: text }, metadata: undefined, filename: "", mediaType: "text/plain" };
}

/** A message as the v1.0 SDK spells it. */
export function a2aMessage(role: Role, text: string, ids: { taskId?: string; contextId?: string } = {}): Message {
  return { messageId: randomUUID(), contextId: ids.contextId ?? "", taskId: ids.taskId ?? "", role, parts: [textPart(text)], metadata: undefined, extensions: [], referenceTaskIds: [] };
}

function textOf(message: Message): string {
  const part = message.parts.find((p) => p.content?.$case === "text");
  return part?.content?.$case === "text" ? part.content.value : "";
}

/** Echoes the text: as a direct message, or (for `task:` texts) as a task that completes with the answer. */
const echoExecutor: AgentExecutor = {
  async execute(ctx, bus) {
    const text = textOf(ctx.userMessage);
    const ids = { taskId: ctx.taskId, contextId: ctx.contextId };
    if (!text.startsWith(A2A_TASK_PREFIX)) {
      bus.publish(AgentEvent.message(a2aMessage(Role.ROLE_AGENT, text, { contextId: ctx.contextId })));
      return;
    }
    const now = () => new Date().toISOString();
    bus.publish(AgentEvent.task({ id: ctx.taskId, contextId: ctx.contextId, status: { state: TaskState.TASK_STATE_SUBMITTED, timestamp: now(), message: undefined }, artifacts: [], history: [ctx.userMessage], metadata: undefined }));
    bus.publish(
      AgentEvent.statusUpdate({ taskId: ctx.taskId, contextId: ctx.contextId, status: { state: TaskState.TASK_STATE_COMPLETED, timestamp: now(), message: a2aMessage(Role.ROLE_AGENT, text, ids) }, metadata: undefined }),
    );
  },
  async cancelTask() {},
};

/** Starts the A2A JSON-RPC server (Express, as the SDK's samples do) on a loopback port the OS picks. */
export async function startA2aServer(): Promise<{ data: PeerReady; stop: () => Promise<void> }> {
  const app = express();
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => (server.once("listening", resolve), server.once("error", reject)));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const card: AgentCard = {
    name: "BenchEcho",
    description: "Echoes text, for the natter bench",
    supportedInterfaces: [{ url: `${base}/a2a/jsonrpc`, protocolBinding: "JSONRPC", tenant: "", protocolVersion: "1.0" }],
    provider: undefined,
    version: "1.0.0",
    capabilities: { streaming: true, pushNotifications: false, extensions: [], extendedAgentCard: false },
    securitySchemes: {},
    securityRequirements: [],
    defaultInputModes: ["text"],
    defaultOutputModes: ["text"],
    skills: [],
    signatures: [],
  };
  const requestHandler = new DefaultRequestHandler(card, new InMemoryTaskStore(), echoExecutor);
  app.use(`/${AGENT_CARD_PATH}`, agentCardHandler({ agentCardProvider: requestHandler }));
  app.use("/a2a/jsonrpc", jsonRpcHandler({ requestHandler, userBuilder: UserBuilder.noAuthentication }));
  return {
    data: { url: base },
    stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))),
  };
}
