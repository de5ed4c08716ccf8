import { connectClient, loadConfig, startHost, type AgentDefinition, type Client, type Config, type Host } from "../../src/index.ts";
import { startServer, type TestServer } from "./nats-server.ts";

/** A private server plus helpers to run agents in this process. */
export interface Bench {
  srv: TestServer;
  config: Config;
  client: Client;
  /** Starts a host with these agents; stopped by `dispose`. */
  host(...agents: AgentDefinition[]): Promise<Host>;
  dispose(): Promise<void>;
}

/** Starts a server and a client named `tester`; `env` adds NATTER_ settings. */
export async function setup(env: Record<string, string> = {}): Promise<Bench> {
  const srv = await startServer();
  const config = loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "warn", ...env });
  const client = await connectClient({ name: "tester", config });
  const hosts: Host[] = [];
  return {
    srv,
    config,
    client,
    host: async (...agents) => {
      const h = await startHost({ agents, config });
      hosts.push(h);
      return h;
    },
    dispose: async () => {
      await Promise.all(hosts.map((h) => h.stop()));
      await client.close();
      await srv.dispose();
    },
  };
}

/** A promise with its resolve function, to hold a handler until the test lets it go. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => (open = r));
  return { promise, open };
}

/** Polls `check` until it is true or `timeoutMs` passes. */
export async function eventually(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
