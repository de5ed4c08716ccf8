import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { connect, type NatsConnection, type Subscription } from "@nats-io/transport-node";
import { connectClient, loadConfig, type Client } from "../../src/index.ts";
import { startServer, type TestServer } from "./nats-server.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** An agent host running in a child process (scripts/agent.ts). */
export interface HostProcess {
  readonly proc: ChildProcess;
  /** Everything it wrote to stderr (its log). */
  readonly log: () => string;
  /** Resolves with the exit code once it has exited and everything it logged has been read. */
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): Promise<number | null>;
  /**
   * Waits until its log satisfies `check`: a line the host wrote can still sit in the pipe after the server
   * shows the work done, so tests that count log lines wait for them rather than read once.
   */
  waitForLog(check: (log: string) => boolean, timeoutMs?: number): Promise<void>;
}

/** Starts `tsx scripts/agent.ts ...modules` with `env` and waits for its "host.ready" line. */
export async function startHostProcess(modules: string[], env: Record<string, string>): Promise<HostProcess> {
  const proc = spawn(process.execPath, ["--import", "tsx", "scripts/agent.ts", ...modules], {
    cwd: ROOT,
    env: { ...process.env, NATTER_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let log = "";
  proc.stderr!.on("data", (d: Buffer) => (log += d.toString()));
  // "close", not "exit": by then its stderr has been read to the end.
  const exited = new Promise<number | null>((resolve) => proc.once("close", (code) => resolve(code)));
  const ready = await Promise.race([
    new Promise<boolean>((resolve) => {
      const check = () => (log.includes("host.ready") ? resolve(true) : undefined);
      proc.stderr!.on("data", check);
    }),
    exited.then(() => false),
    // Unref'd: a pending start timeout must not keep the test process alive for a minute after the host is up.
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 60_000).unref()),
  ]);
  if (!ready) {
    proc.kill("SIGKILL");
    throw new Error(`agent host did not start: ${log.slice(-2000)}`);
  }
  return {
    proc,
    log: () => log,
    exited,
    kill: async (signal = "SIGTERM") => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
    waitForLog: async (check, timeoutMs = 60_000) => {
      const deadline = Date.now() + timeoutMs;
      while (!check(log)) {
        if (Date.now() > deadline) throw new Error(`log never showed what was waited for; tail: ${log.slice(-1500)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
  };
}

/** One event a test worker reported (test/fixtures/worker.ts). */
export interface WorkerEvent {
  event: "start" | "done" | "response" | "broadcast";
  agent: string;
  instance: string;
  pid: number;
  id: string;
  type: string;
  from: string;
  content: string;
  deliveryCount: number;
  inReplyTo?: string;
}

/** Collects worker events from "test.events". */
export class Events {
  readonly all: WorkerEvent[] = [];
  #sub: Subscription | undefined;
  #nc: NatsConnection | undefined;
  #waiters: (() => void)[] = [];

  static async listen(url: string): Promise<Events> {
    const e = new Events();
    e.#nc = await connect({ servers: url });
    e.#sub = e.#nc.subscribe("test.events", {
      callback: (_err, msg) => {
        e.all.push(msg.json<WorkerEvent>());
        for (const w of e.#waiters.splice(0)) w();
      },
    });
    await e.#nc.flush();
    return e;
  }

  /** Waits until `predicate` holds over the events seen so far, or fails after `timeoutMs`. */
  async until(predicate: (all: WorkerEvent[]) => boolean, timeoutMs = 15_000, what = "events"): Promise<WorkerEvent[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.all)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; saw ${JSON.stringify(this.all.slice(-10))}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 200));
        this.#waiters.push(() => (clearTimeout(t), resolve()));
      });
    }
    return this.all;
  }

  async close(): Promise<void> {
    this.#sub?.unsubscribe();
    await this.#nc?.close();
  }
}

/** A private server, a worker-event listener, a client, and the host processes a test file starts. */
export interface ProcessLab {
  readonly srv: TestServer;
  readonly events: Events;
  readonly client: Client;
  readonly hosts: HostProcess[];
  /** Stops the client, kills every host, stops the listener and the server. */
  dispose(): Promise<void>;
}

/** Starts what a multi-process test file needs; `clientName` is the name the test speaks as. */
export async function startProcessLab(clientName = "tester"): Promise<ProcessLab> {
  const srv = await startServer();
  const events = await Events.listen(srv.url);
  const client = await connectClient({ name: clientName, config: loadConfig({ NATS_URL: srv.url, NATTER_LOG_LEVEL: "silent" }) });
  const hosts: HostProcess[] = [];
  return {
    srv,
    events,
    client,
    hosts,
    dispose: async () => {
      await client.close();
      await Promise.all(hosts.map((h) => h.kill("SIGKILL")));
      await events.close();
      await srv.dispose();
    },
  };
}
