import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** What a finished `natter` run left. */
export interface NatterRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for a child `natter` pointing at `url`, without the caller's NATS/NATTER settings. */
export function natterEnv(url: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("NATS_") && !k.startsWith("NATTER_")));
  return { ...env, NATS_URL: url, ...extra };
}

/** Starts the real CLI (`node --import tsx scripts/natter.ts ARGS`) as a child process. */
export function spawnNatter(url: string, args: readonly string[], extraEnv: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ["--import", "tsx", "scripts/natter.ts", ...args], { cwd: ROOT, env: natterEnv(url, extraEnv), stdio: ["pipe", "pipe", "pipe"] });
}

/** Runs the CLI to completion with `input` on standard input (closed at once by default). */
export async function natter(url: string, args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<NatterRun> {
  const child = spawnNatter(url, args, options.env);
  return finished(child, options.input ?? "");
}

/** Collects a child's output until it exits. */
export function finished(child: ChildProcess, input = ""): Promise<NatterRun> {
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdin!.end(input);
  return new Promise((resolve) => child.on("close", (code) => resolve({ code, stdout, stderr })));
}

/** Resolves once the child's standard error contains `text`. */
export function stderrContains(child: ChildProcess, text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = "";
    const onData = (d: Buffer) => {
      seen += d.toString();
      if (seen.includes(text)) {
        child.stderr!.off("data", onData);
        resolve();
      }
    };
    child.stderr!.on("data", onData);
    child.once("exit", () => reject(new Error(`natter exited before printing ${JSON.stringify(text)}; stderr: ${seen}`)));
  });
}

/** Parses JSON lines. */
export function jsonLines(text: string): Record<string, unknown>[] {
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
