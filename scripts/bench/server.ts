import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { findNatsServer, startEmbeddedServer } from "../../src/transport/embedded.ts";

/** A private nats-server for one bench run: random loopback port, JetStream on a temporary file store. */
export interface BenchServer {
  /** Client URL, e.g. nats://127.0.0.1:41234. */
  readonly url: string;
  /** The server's version as it reports it (`nats-server --version`). */
  readonly version: string;
  /** Stops the server and deletes its store. */
  dispose(): Promise<void>;
}

/** Starts nats-server as production runs it: the repository's nats-server.conf (JetStream, file storage) on free ports. */
export async function startBenchServer(): Promise<BenchServer> {
  const server = await startEmbeddedServer({ configFile: fileURLToPath(new URL("../../nats-server.conf", import.meta.url)) });
  return { url: server.url, version: await serverVersion(findNatsServer()), dispose: () => server.stop() };
}

async function serverVersion(bin: string): Promise<string> {
  const proc = spawn(bin, ["--version"], { stdio: ["ignore", "pipe", "ignore"] });
  let out = "";
  proc.stdout.on("data", (d: Buffer) => (out += d.toString()));
  await new Promise((resolve) => proc.once("close", resolve));
  return out.trim().replace(/^nats-server:\s*/, "");
}
