// natter/testing: real nats-servers for tests (random ports, temporary stores), the launcher natter's own tests use.
export { startServer, startCluster } from "./server.ts";

export type { TestServer, TestServerOptions, TestCluster } from "./server.ts";
