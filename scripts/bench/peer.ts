import { fork, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

/** What a peer process runs; see peer-main.ts. */
export type PeerRole = "raw-echo" | "natter-echo" | "a2a-server" | "scale-raw" | "scale-natter";

/** What a peer reports once it is ready: free-form figures (ports, timings, memory). */
export type PeerReady = Record<string, number | string>;

/** A second process running one side of a case, so the measuring process does not share its CPU time slice. */
export interface Peer {
  readonly ready: PeerReady;
  /** Asks the peer to stop cleanly and waits for it to exit (killed after 30 s). */
  stop(): Promise<void>;
}

const MAIN = fileURLToPath(new URL("./peer-main.ts", import.meta.url));

/** Forks peer-main.ts with `role` against the server at `url`, and waits for its ready report. */
export async function spawnPeer(role: PeerRole, url: string, args: Record<string, string | number> = {}): Promise<Peer> {
  const child = fork(MAIN, [role, JSON.stringify(args)], {
    execArgv: ["--import", import.meta.resolve("tsx"), "--expose-gc"],
    env: { ...process.env, NATS_URL: url, NATTER_LOG_LEVEL: process.env.NATTER_LOG_LEVEL ?? "warn" },
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const ready = await new Promise<PeerReady>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench peer ${role} was not ready within 120 s`)), 120_000);
    child.once("message", (m) => {
      clearTimeout(timer);
      const msg = m as { type: string; error?: string; data?: PeerReady };
      if (msg.type === "ready" && msg.data) resolve(msg.data);
      else reject(new Error(`bench peer ${role} failed: ${msg.error ?? JSON.stringify(m)}`));
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`bench peer ${role} exited before it was ready (code ${code})`));
    });
  });
  return {
    ready,
    stop: () => stopChild(child).finally(() => process.off("exit", kill)),
  };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.send({ type: "stop" });
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  await exited;
  clearTimeout(timer);
}
