// natter/bridges: natter agents for other agent protocols. A2A: serve natter agents to A2A clients, and use remote A2A agents.
export { startA2aBridge } from "./a2a/server.ts";
export { A2aTokenSchema, DEFAULT_A2A_PORT } from "./a2a/wire.ts";
export { defineA2AProxy } from "./a2a/proxy.ts";

export type { A2aBridgeOptions, RunningA2aBridge } from "./a2a/server.ts";
export type { A2AProxyOptions } from "./a2a/proxy.ts";
