// Starts a real Prometheus (Debian's /usr/bin/prometheus) scraping given targets every second, for metrics tests.
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./nats-server.ts";

const BINARY = process.env.PROMETHEUS_BIN ?? "/usr/bin/prometheus";

/** A running Prometheus and its HTTP query API. */
export interface TestPrometheus {
  readonly url: string;
  /** The value of an instant PromQL query: one number per series, keyed by its labels as JSON; {} when none. */
  query(promql: string): Promise<Record<string, number>>;
  /** Everything it logged (stderr), for failure messages. */
  log(): string;
  dispose(): Promise<void>;
}

/** Starts Prometheus on a free port with a 1 s scrape of each `targets` entry (host:port) at `/metrics`. */
export async function startPrometheus(targets: readonly string[]): Promise<TestPrometheus> {
  if (!existsSync(BINARY)) throw new Error(`${BINARY} not found: install it (apt-get install prometheus) or set PROMETHEUS_BIN`);
  const dir = mkdtempSync(join(tmpdir(), "natter-prom-"));
  const config = join(dir, "prometheus.yml");
  writeFileSync(
    config,
    ["global:", "  scrape_interval: 1s", "  evaluation_interval: 1s", "scrape_configs:", "  - job_name: natter", "    scrape_interval: 1s", "    static_configs:", `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`, ""].join("\n"),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const proc: ChildProcess = spawn(BINARY, [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, "data")}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  proc.stderr!.on("data", (d: Buffer) => (log = (log + d.toString()).slice(-20_000)));
  const exited = new Promise<void>((resolve) => proc.once("close", () => resolve()));
  const dispose = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ready = await fetch(`${url}/-/ready`).then((r) => r.ok, () => false);
    if (ready) break;
    if (proc.exitCode !== null || Date.now() > deadline) {
      await dispose();
      throw new Error(`prometheus did not become ready: ${log.slice(-2000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    log: () => log,
    dispose,
    async query(promql) {
      const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(promql)}`);
      const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: { metric: Record<string, string>; value: [number, string] }[] } };
      if (body.status !== "success" || !body.data) throw new Error(`query ${promql} failed: ${body.error ?? res.status}`);
      return Object.fromEntries(body.data.result.map((r) => [JSON.stringify(r.metric), Number(r.value[1])]));
    },
  };
}
