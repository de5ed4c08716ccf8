// The repo's tests start servers with the launcher that natter/testing gives users.
export { startServer, startCluster } from "../../src/testing/index.ts";
export type { TestServer, TestServerOptions, TestCluster } from "../../src/testing/index.ts";
export { freePort } from "../../src/transport/embedded.ts";
