// natter/transport: the NATS connection, JetStream and KV handles, stream provisioning, a local nats-server.
export { openBus } from "./bus.ts";
export { provision, ensureStream, agentsStreamConfig, registryStreamConfig } from "./streams.ts";
export { startEmbeddedServer, findNatsServer, isListening } from "./embedded.ts";

export type { Bus, OpenBusOptions } from "./bus.ts";
export type { ProvisionOptions, StreamDifference, StreamReport } from "./streams.ts";
export type { EmbeddedServer, EmbeddedServerOptions } from "./embedded.ts";
