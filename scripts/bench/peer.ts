import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** What a peer process runs; see peer-main.ts. */
export type PeerRole = "raw-echo" | "raw-json-echo" | "natter-echo" | "natter-sink" | "a2a-server" | "a2a-bridge" | "scale-raw" | "scale-natter";

/** What a peer reports once it is ready: free-form figures (ports, timings, memory). */
export type PeerReady = Record<string, number | string>;

/** A second process running one side of a case, so the measuring process does not share its CPU time slice. */
export interface Peer {
  readonly ready: PeerReady;
  /** CPU time the peer process has used so far (user + system), in microseconds. */
  cpuMicros(): Promise<number>;
  /** Asks the peer to stop cleanly and waits for it to exit (killed after 30 s). */
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL("./peer-main.ts", import.meta.url));

/** Forks peer-main.ts with `role` against the server at `url`, and waits for its ready report. */
export async function spawnPeer(role: PeerRole, url: string, args: Record<string, string | number> = {}): Promise<Peer> {
  const child = fork(MAIN, [role, JSON.stringify(args)], {
    execArgv: ["--import", import.meta.resolve("tsx"), "--expose-gc"],
    // The level users get (NATTER_LOG_LEVEL unset means info) unless the caller of the bench set one.
    env: { ...process.env, NATS_URL: url },
    // Its log lines are kept, not shown (a 1000-agent host logs 1000 starts), and printed if it fails.
    stdio: ["ignore", "inherit", "pipe", "ipc"],
  });
  const log = tail(child);
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const ready = await new Promise<PeerReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench peer ${role} was not ready within 120 s`)), 120_000);
    child.once("message", (m) => {
      clearTimeout(timer);
      const msg = m as { type: string; error?: string; data?: PeerReady };
      if (msg.type === "ready" && msg.data) resolve(msg.data);
      else reject(new Error(`bench peer ${role} failed: ${msg.error ?? JSON.stringify(m)}\n${log()}`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`bench peer ${role} exited before it was ready (code ${code})\n${log()}`));
    });
  });
  child.on("exit", (code) => code && process.stderr.write(`bench peer ${role} exited with code ${code}; its last log lines:\n${log()}\n`));
  return {
    ready,
    cpuMicros: () => ask<number>(child, "cpu"),
    stop: () => stopChild(child).finally(() => process.off("exit", kill)),
  };
}

/** Keeps the last 64 KB a child wrote to stderr; returns a reader. */
function tail(child: ChildProcess): () => string {
  let kept = "";
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    kept = (kept + chunk).slice(-65_536);
  });
  return () => kept;
}

/** Sends `{type}` to a peer and waits for its `{type, value}` answer. */
function ask<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (m: unknown) => {
      const msg = m as { type?: string; value?: T };
      if (msg.type !== type) return;
      child.off("message", onMessage);
      resolve(msg.value as T);
    };
    child.on("message", onMessage);
    if (!child.send({ type })) reject(new Error(`bench peer could not be asked for ${type}`));
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.send({ type: "stop" });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(timer);
}
