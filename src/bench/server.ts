import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** A private nats-server for one bench run: random loopback port, JetStream on a temporary file store. */
export interface BenchServer {
  /** Client URL, e.g. nats://127.0.0.1:41234. */
  readonly url: string;
  /** The server's version as it reports it (`nats-server --version`). */
  readonly version: string;
  /** Stops the server and deletes its store. */
  dispose(): Promise<void>;
}

/** Path of the nats-server binary: NATS_SERVER_BIN, then PATH, then the usual places. */
function natsServerBinary(): string {
  const candidates = [process.env.NATS_SERVER_BIN, ...(process.env.PATH ?? "").split(":").map((d) => join(d, "nats-server")), "/usr/sbin/nats-server", "/usr/local/bin/nats-server"];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) throw new Error("nats-server is not installed: on Debian/Ubuntu run `apt-get install -y nats-server`, on macOS `brew install nats-server`, or set NATS_SERVER_BIN");
  return found;
}

/** Starts nats-server as production runs it (JetStream, file storage), on a port the OS picks. */
export async function startBenchServer(): Promise<BenchServer> {
  const bin = natsServerBinary();
  const dir = mkdtempSync(join(tmpdir(), "natter-bench-"));
  const conf = join(dir, "server.conf");
  writeFileSync(conf, [`listen: "127.0.0.1:-1"`, `ports_file_dir: "${dir}"`, `server_name: "bench"`, `jetstream { store_dir: "${join(dir, "js")}" }`].join("\n"));
  const proc = spawn(bin, ["-c", conf, "-l", join(dir, "server.log")], { stdio: "ignore" });
  const kill = () => proc.kill("SIGKILL");
  process.once("exit", kill);
  const log = () => (existsSync(join(dir, "server.log")) ? readFileSync(join(dir, "server.log"), "utf8").slice(-2000) : "");
  const deadline = Date.now() + 15_000;
  let port = 0;
  while (port === 0 || !(await canConnect(port))) {
    if (proc.exitCode !== null) throw new Error(`nats-server exited at start (code ${proc.exitCode}); log: ${log()}`);
    if (Date.now() > deadline) throw new Error(`nats-server did not start within 15 s; log: ${log()}`);
    port = readPort(dir);
    await sleep(25);
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    version: await serverVersion(bin),
    dispose: async () => {
      process.off("exit", kill);
      if (proc.exitCode === null) {
        const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
        proc.kill("SIGTERM");
        const timer = setTimeout(kill, 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function serverVersion(bin: string): Promise<string> {
  const proc = spawn(bin, ["--version"], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => proc.once("close", resolve));
  return out.trim().replace(/^nats-server:\s*/, "");
}

/** The client port from the server's ports file, or 0 while it is not (completely) written. */
function readPort(dir: string): number {
  const file = readdirSync(dir).find((f) => f.endsWith(".ports"));
  if (!file) return 0;
  try {
    const { nats } = JSON.parse(readFileSync(join(dir, file), "utf8")) as { nats: string[] };
    return Number(new URL(nats[0]!.replace("nats://", "http://")).port);
  } catch {
    return 0;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = createConnection({ port, host: "127.0.0.1" });
    sock.once("connect", () => {
      sock.destroy();
      resolve(true);
    });
    sock.once("error", () => resolve(false));
  });
}
