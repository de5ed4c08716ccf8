import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { connect } from "@nats-io/transport-node";
import { findNatsServer, freePorts, isListening } from "../transport/embedded.ts";

/** A private nats-server started for one test file (or one test), on a random port with a temporary store. */
export interface TestServer {
  /** Client URL, e.g. nats://127.0.0.1:41234. */
  readonly url: string;
  readonly port: number;
  /** The server's directory: config, logs and JetStream store. */
  readonly dir: string;
  /** Stops the server (SIGTERM, or SIGKILL with `hard`) and waits until it is gone. */
  stop(opts?: { hard?: boolean }): Promise<void>;
  /** Starts it again on the same port and store. */
  start(): Promise<void>;
  /** stop + start. */
  restart(opts?: { hard?: boolean }): Promise<void>;
  /** Whether the process is running. */
  readonly running: boolean;
  /** Stops it and deletes its directory. */
  dispose(): Promise<void>;
}

/** Options of {@link startServer}. */
export interface TestServerOptions {
  /** Extra nats-server config text appended to the generated file. */
  extraConfig?: string;
  /** Enable JetStream (default true). */
  jetstream?: boolean;
  /** A fixed port instead of a random one. */
  port?: number;
}

const live = new Set<ChildProcess>();
process.on("exit", () => {
  for (const p of live) p.kill("SIGKILL");
});

/** Starts a private nats-server with JetStream on a random port and a temporary store. */
export async function startServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), "natter-nats-"));
  const node = new ServerNode(dir, options);
  await node.start();
  return node;
}

class ServerNode implements TestServer {
  #proc: ChildProcess | undefined;
  #port: number;
  readonly dir: string;
  readonly #options: TestServerOptions & { cluster?: string; name?: string };

  constructor(dir: string, options: TestServerOptions & { cluster?: string; name?: string }) {
    this.dir = dir;
    this.#options = options;
    this.#port = options.port ?? -1;
  }

  get port(): number {
    return this.#port;
  }
  get url(): string {
    return `nats://127.0.0.1:${this.#port}`;
  }
  get running(): boolean {
    return this.#proc !== undefined && this.#proc.exitCode === null && this.#proc.signalCode === null;
  }

  async start(): Promise<void> {
    if (this.running) return;
    const conf = join(this.dir, "server.conf");
    const lines = [
      `listen: "127.0.0.1:${this.#port}"`,
      `ports_file_dir: "${this.dir}"`,
      `server_name: "${this.#options.name ?? "test"}"`,
      this.#options.jetstream === false ? "" : `jetstream { store_dir: "${join(this.dir, "js")}" }`,
      this.#options.cluster ?? "",
      this.#options.extraConfig ?? "",
    ];
    writeFileSync(conf, lines.join("\n"));
    for (const f of readdirSync(this.dir)) if (f.endsWith(".ports")) rmSync(join(this.dir, f));
    const proc = spawn(findNatsServer(), ["-c", conf, "-l", join(this.dir, "server.log")], { stdio: "ignore" });
    this.#proc = proc;
    live.add(proc);
    proc.on("exit", () => live.delete(proc));
    try {
      await this.#waitReady(proc);
    } catch (err) {
      // A server that did not come up must not outlive the test: its handle would keep the test file running.
      proc.kill("SIGKILL");
      throw err;
    }
  }

  async #waitReady(proc: ChildProcess): Promise<void> {
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`nats-server exited at start (code ${proc.exitCode}); log: ${this.log().slice(-2000)}`);
      if (this.#port === -1) {
        const portsFile = readdirSync(this.dir).find((f) => f.endsWith(".ports"));
        // The server may have created the file and not yet written it: read it again on the next round.
        const port = portsFile ? portFromFile(join(this.dir, portsFile)) : undefined;
        if (port !== undefined) this.#port = port;
      }
      if (this.#port !== -1 && (await canConnect(this.#port))) return;
      await sleep(25);
    }
    throw new Error(`nats-server did not start within 15 s; log: ${this.log().slice(-2000)}`);
  }

  async stop(opts: { hard?: boolean } = {}): Promise<void> {
    const proc = this.#proc;
    if (!proc || !this.running) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill(opts.hard ? "SIGKILL" : "SIGTERM");
    const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }

  async restart(opts: { hard?: boolean } = {}): Promise<void> {
    await this.stop(opts);
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  log(): string {
    try {
      return readFileSync(join(this.dir, "server.log"), "utf8");
    } catch {
      return "";
    }
  }
}

/** A three-node (by default) JetStream cluster on loopback. */
export interface TestCluster {
  readonly nodes: TestServer[];
  /** Client URLs of every node. */
  readonly urls: string[];
  dispose(): Promise<void>;
}

/**
 * Starts an n-node JetStream cluster on loopback ports, each node with its own store. With `waitForJetStream: false`
 * it returns as soon as every node takes connections, before the cluster has elected a JetStream leader.
 */
export async function startCluster(n = 3, options: { waitForJetStream?: boolean } = {}): Promise<TestCluster> {
  const all = await freePorts(2 * n);
  const ports = all.slice(0, n);
  const routePorts = all.slice(n);
  const routes = routePorts.map((p) => `nats-route://127.0.0.1:${p}`).join(", ");
  const nodes: ServerNode[] = [];
  for (let i = 0; i < n; i++) {
    const dir = mkdtempSync(join(tmpdir(), `natter-cluster-${i}-`));
    const cluster = `cluster { name: natter_test, listen: "127.0.0.1:${routePorts[i]}", routes: [${routes}] }`;
    nodes.push(new ServerNode(dir, { port: ports[i]!, cluster, name: `n${i}` }));
  }
  await Promise.all(nodes.map((s) => s.start()));
  if (options.waitForJetStream !== false) await jetStreamReady(nodes.map((s) => s.url));
  return {
    nodes,
    urls: nodes.map((s) => s.url),
    dispose: async () => {
      await Promise.all(nodes.map((s) => s.dispose()));
    },
  };
}

/** Waits until every node answers JetStream API requests: a new cluster drops them until it elects a metadata leader. */
async function jetStreamReady(urls: string[]): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (const url of urls) {
    const nc = await connect({ servers: url });
    try {
      for (;;) {
        const ok = await nc.request("$JS.API.INFO", undefined, { timeout: 1000 }).then(
          (m) => !(m.json<{ error?: unknown }>().error),
          () => false,
        );
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`JetStream on ${url} did not become ready within 30 s`);
        await sleep(250);
      }
    } finally {
      await nc.close();
    }
  }
}

function canConnect(port: number): Promise<boolean> {
  return isListening(`nats://127.0.0.1:${port}`, 1000);
}

/** The client port in a ports file, or undefined while the file is still being written. */
function portFromFile(path: string): number | undefined {
  try {
    const ports = JSON.parse(readFileSync(path, "utf8")) as { nats?: string[] };
    const url = ports.nats?.[0];
    return url ? Number(new URL(url.replace("nats://", "http://")).port) : undefined;
  } catch {
    return undefined;
  }
}
