import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { LOCAL_ERROR_CODES, NatterError } from "../errors.ts";

/** How to get nats-server, for the error when it is missing. */
const NATS_SERVER_INSTALL_HINT =
  "install nats-server: `apt-get install nats-server` (Debian/Ubuntu), `brew install nats-server` (macOS), or a release from https://github.com/nats-io/nats-server/releases; or set NATS_SERVER_BIN to its path";

/** A nats-server this process started; `stop()` ends it and deletes its temporary store. */
export interface EmbeddedServer {
  /** Client URL, e.g. nats://127.0.0.1:40123. */
  readonly url: string;
  /** Monitoring URL, e.g. http://127.0.0.1:40124. */
  readonly monitorUrl: string;
  /** Temporary directory: derived config, log and JetStream store. */
  readonly dir: string;
  stop(): Promise<void>;
}

/** Options of {@link startEmbeddedServer}. */
export interface EmbeddedServerOptions {
  /** The config to derive from (listen, http and store_dir are replaced); default `nats-server.conf` in the working directory. */
  configFile?: string;
  /** The binary; default NATS_SERVER_BIN, then `nats-server` on PATH, /usr/sbin, /usr/local/bin. */
  binary?: string;
  /** Milliseconds to wait for it to accept connections; default 15000. */
  startTimeoutMs?: number;
}

/** Path of the nats-server binary; a NatterError (code {@link LOCAL_ERROR_CODES.notInstalled}) saying how to install it when there is none. */
export function findNatsServer(env: Record<string, string | undefined> = process.env): string {
  if (env.NATS_SERVER_BIN && !existsSync(env.NATS_SERVER_BIN)) {
    throw new NatterError(`nats-server is not installed at NATS_SERVER_BIN=${env.NATS_SERVER_BIN}: ${NATS_SERVER_INSTALL_HINT}`, LOCAL_ERROR_CODES.notInstalled);
  }
  const candidates = [env.NATS_SERVER_BIN, ...(env.PATH ?? "").split(delimiter).filter(Boolean).map((d) => join(d, "nats-server")), "/usr/sbin/nats-server", "/usr/local/bin/nats-server"];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) throw new NatterError(`nats-server is not installed: ${NATS_SERVER_INSTALL_HINT}`, LOCAL_ERROR_CODES.notInstalled);
  return found;
}

/** True when something accepts TCP connections at the host and port of `url` (nats://host:port) within `timeoutMs`. */
export function isListening(url: string, timeoutMs = 1000): Promise<boolean> {
  const parsed = new URL(url.includes("://") ? url : `nats://${url}`);
  const port = Number(parsed.port || 4222);
  return new Promise((resolve) => {
    const sock = createConnection({ host: parsed.hostname, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once("connect", () => done(true));
    sock.once("error", () => done(false));
  });
}

/** Starts nats-server from `configFile` on free loopback ports with a temporary JetStream store. */
export async function startEmbeddedServer(options: EmbeddedServerOptions = {}): Promise<EmbeddedServer> {
  const binary = options.binary ?? findNatsServer();
  const source = options.configFile ?? "nats-server.conf";
  let text: string;
  try {
    text = readFileSync(source, "utf8");
  } catch (cause) {
    throw new NatterError(`cannot read nats-server config ${source}: ${(cause as Error).message}`, LOCAL_ERROR_CODES.config, { cause });
  }
  const [port, httpPort] = (await freePorts(2)) as [number, number];
  const dir = mkdtempSync(join(tmpdir(), "natter-embedded-"));
  const conf = join(dir, "nats-server.conf");
  writeFileSync(conf, deriveConfig(text, { port, httpPort, storeDir: join(dir, "jetstream") }));
  const logFile = join(dir, "server.log");
  const proc = spawn(binary, ["-c", conf, "-l", logFile], { stdio: "ignore" });
  const killOnExit = () => proc.kill("SIGKILL");
  process.once("exit", killOnExit);
  const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
  const url = `nats://127.0.0.1:${port}`;
  const cleanup = () => {
    process.off("exit", killOnExit);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  while (!(await isListening(url, 500))) {
    const alive = proc.exitCode === null && proc.signalCode === null;
    if (!alive || Date.now() > deadline) {
      const log = existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-1500) : "";
      proc.kill("SIGKILL");
      cleanup();
      throw new NatterError(`embedded nats-server ${alive ? "did not start in time" : `exited with code ${proc.exitCode}`}; its log: ${log}`, LOCAL_ERROR_CODES.unavailable);
    }
    await sleep(50);
  }
  return {
    url,
    monitorUrl: `http://127.0.0.1:${httpPort}`,
    dir,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      cleanup();
    },
  };
}

/** The config text with its client and monitoring ports and its store directory replaced. */
export function deriveConfig(text: string, at: { port: number; httpPort: number; storeDir: string }): string {
  const set = (src: string, key: string, value: string, fallback: (s: string) => string) => {
    const line = new RegExp(`^(\\s*)${key}\\s*[:=].*$`, "m");
    return line.test(src) ? src.replace(line, (_m, indent: string) => `${indent}${key}: ${value}`) : fallback(src);
  };
  let out = set(text, "listen", `"127.0.0.1:${at.port}"`, (s) => `listen: "127.0.0.1:${at.port}"\n${s}`);
  out = set(out, "http", `"127.0.0.1:${at.httpPort}"`, (s) => `http: "127.0.0.1:${at.httpPort}"\n${s}`);
  out = set(out, "store_dir", JSON.stringify(at.storeDir), (s) => `${s}\njetstream { store_dir: ${JSON.stringify(at.storeDir)} }\n`);
  return out;
}

/** A loopback TCP port nobody listens on right now. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/**
 * `n` different loopback TCP ports nobody listens on right now. Each is held until all are chosen: asked one
 * after the other, the system can hand out the same free port twice (a server was once given one port for both
 * its clients and its monitor, and failed to start).
 */
export async function freePorts(n: number): Promise<number[]> {
  const servers = Array.from({ length: n }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (srv) =>
          new Promise<number>((resolve, reject) => {
            srv.once("error", reject);
            srv.listen(0, "127.0.0.1", () => {
              const addr = srv.address();
              if (addr && typeof addr === "object") resolve(addr.port);
              else reject(new Error("no free port"));
            });
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((srv) => new Promise<void>((resolve) => (srv.listening ? srv.close(() => resolve()) : resolve()))));
  }
}
