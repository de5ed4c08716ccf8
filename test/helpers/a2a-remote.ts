import type { AddressInfo } from "node:net";
import express from "express";
import { AGENT_CARD_PATH, Role, type AgentCard } from "@a2a-js/sdk";
import { AgentEvent, DefaultRequestHandler, InMemoryTaskStore, type AgentExecutor } from "@a2a-js/sdk/server";
import { agentCardHandler, jsonRpcHandler, UserBuilder } from "@a2a-js/sdk/server/express";
import { a2aMessage } from "../../scripts/bench/a2a-server.ts";

/** A remote A2A agent served by the SDK's own DefaultRequestHandler (Express): answers `{prefix}{text}`. */
export async function startRemoteA2a(options: { name: string; skill: string; prefix: string }): Promise<{ url: string; stop: () => Promise<void> }> {
  const executor: AgentExecutor = {
    async execute(ctx, bus) {
      const part = ctx.userMessage.parts[0]?.content;
      const text = part?.$case === "text" ? part.value : "";
      bus.publish(AgentEvent.message(a2aMessage(Role.ROLE_AGENT, `${options.prefix}${text}`, { contextId: ctx.contextId })));
    },
    async cancelTask() {},
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
  return { url, stop: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}
