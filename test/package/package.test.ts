// natter as a user gets it: `npm pack`, installed into fresh projects, run with plain node (no tsx, no repo).
import assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, test } from "node:test";
import { promisify } from "node:util";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");
const RECORD_IMPORTS = join(ROOT, "test/fixtures/record-imports.mjs");
const run = promisify(execFile);

let work: string;
let tarball: string;
/** One user project with the tarball installed, shared by the tests that only need natter in it. */
let app: string;
let server: TestServer;
const children: ChildProcess[] = [];

/** Runs a command in `cwd` with NATS_URL set; resolves with its output whatever its exit code. */
async function sh(cwd: string, cmd: string, args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(cmd, args, { cwd, env: { ...cleanEnv(), NATS_URL: server.url, ...env }, maxBuffer: 32 << 20 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

/** The environment without this repo's tsx loader or NATS/NATTER settings, as in a user's shell. */
function cleanEnv(): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("NATS_") && !k.startsWith("NATTER_") && k !== "NODE_OPTIONS" && k !== "NODE_TEST_CONTEXT"));
  return { ...env, npm_config_audit: "false", npm_config_fund: "false", npm_config_prefer_offline: "true", npm_config_update_notifier: "false" };
}

async function npmInstall(cwd: string, ...specs: string[]): Promise<void> {
  const r = await sh(cwd, "npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...specs]);
  assert.equal(r.code, 0, `npm install ${specs.join(" ")} failed: ${r.stderr.slice(-2000)}`);
}

/** A new empty project directory with a package.json. */
function newProject(name: string): string {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, version: "1.0.0", private: true, type: "module" }));
  return dir;
}

/** Starts `npx natter run FILE` in `cwd` and resolves once the host is ready. */
async function startAgent(cwd: string, file: string): Promise<ChildProcess> {
  const child = spawn("npx", ["natter", "run", file], { cwd, env: { ...cleanEnv(), NATS_URL: server.url }, stdio: ["ignore", "ignore", "pipe"] });
  children.push(child);
  let log = "";
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`natter run ${file} did not start: ${log.slice(-1500)}`)), 60_000);
    child.stderr!.on("data", (d: Buffer) => {
      log += d.toString();
      if (log.includes("host.ready")) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`natter run ${file} exited with ${code}: ${log.slice(-1500)}`));
    });
  });
  return child;
}

async function stopAgent(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

/**
 * Lines typed \`any\` in the declaration files reachable from \`entry\`. The mixin's constructor is the one allowed:
 * TypeScript requires \`new (...args: any[])\` of a mixin base.
 */
function anyInPublicTypes(entry: string): string[] {
  const seen = new Set<string>();
  const found: string[] = [];
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    const text = readFileSync(file, "utf8");
    text.split("\n").forEach((line, i) => {
      const code = line.replace(/\/\*.*?\*\/|\/\/.*$|^\s*\*.*$/g, "");
      if (/\bany\b/.test(code) && !/new \(\.\.\.args: any\[\]\)/.test(code)) found.push(`${file.slice(file.indexOf("dist/"))}:${i + 1}: ${line.trim()}`);
    });
    for (const m of text.matchAll(/from "(\.[^"]+)\.js"/g)) visit(join(file, "..", `${m[1]}.d.ts`));
  };
  visit(entry);
  return found;
}

const AGENT_JS = (name: string, mark: string) => `import { appendFileSync } from "node:fs";
import { defineAgent } from "natter";
export default defineAgent({
  name: ${JSON.stringify(name)},
  async onRequest(msg) { return "${mark}:" + msg.content; },
  async onMessage(msg) { appendFileSync("mail.txt", msg.content + "\\n"); return "filed"; },
});
`;

before(async () => {
  work = mkdtempSync(join(tmpdir(), "natter-package-"));
  server = await startServer();
  const packed = await run("npm", ["pack", "--json", "--pack-destination", work], { cwd: ROOT, maxBuffer: 32 << 20 });
  const [info] = JSON.parse(packed.stdout) as [{ filename: string }];
  tarball = join(work, info.filename);
  app = newProject("app");
  await npmInstall(app, tarball);
});

after(async () => {
  await Promise.all(children.map(stopAgent));
  await server?.dispose();
  if (work) rmSync(work, { recursive: true, force: true });
});

test("package: the tarball is small and holds what users run, not tests, bench or console sources", async () => {
  assert.ok(statSync(tarball).size < 1024 * 1024, `tarball is ${statSync(tarball).size} bytes`);
  const listing = (await run("tar", ["-tzf", tarball])).stdout.split("\n").filter(Boolean).map((f) => f.replace(/^package\//, ""));
  for (const needed of ["dist/index.js", "dist/index.d.ts", "dist/cli/bin.js", "dist/testing/index.js", "dist/ui/public/app.js", "streams/agents.json", "README.md", "LICENSE"]) {
    assert.ok(listing.includes(needed), `${needed} missing from the package`);
  }
  const unwanted = listing.filter((f) => /^(test|scripts|\.data|\.ci|src)\//.test(f) || f.includes("/web/") || f.endsWith(".test.js"));
  assert.deepEqual(unwanted, []);
});

test("package: plain node imports it and runs the CLI without tsx, and the main entry loads no HTTP server, OpenAI client or Prometheus client", async () => {
  assert.equal(existsSync(join(app, "node_modules/tsx")), false, "tsx must not come with natter");
  const imported = await sh(app, process.execPath, ["-e", 'import("natter").then(m => console.log(typeof m.defineAgent))']);
  assert.equal(imported.stdout.trim(), "function", imported.stderr);
  const help = await sh(app, "npx", ["natter", "--help"]);
  assert.equal(help.code, 0, help.stderr);
  assert.match(help.stdout, /usage: natter COMMAND/);
  assert.match(help.stdout, /\brun\b.*\n.*\binit\b/);
  const loaded = await sh(app, process.execPath, ["--import", RECORD_IMPORTS, "--input-type=module", "-e", 'await import("natter")']);
  const modules = loaded.stdout.split("\n").filter(Boolean);
  assert.ok(modules.some((m) => m.includes("/natter/dist/index.js")), "the hook saw natter load");
  assert.deepEqual(modules.filter((m) => /node_modules\/(hono|@hono|openai|@modelcontextprotocol|prom-client|@a2a-js)\//.test(m)), []);
  for (const sub of ["natter/protocol", "natter/transport", "natter/inspect", "natter/llm", "natter/console", "natter/security", "natter/testing", "natter/bridges"]) {
    const r = await sh(app, process.execPath, ["-e", `import(${JSON.stringify(sub)}).then(m => console.log(Object.keys(m).length))`]);
    assert.ok(Number(r.stdout) > 0, `${sub}: ${r.stderr}`);
  }
});

test("package: natter run serves a JavaScript agent that natter ask and natter send reach", async () => {
  writeFileSync(join(app, "agent.js"), AGENT_JS("PkgEchoJs", "js"));
  const agent = await startAgent(app, "./agent.js");
  const asked = await sh(app, "npx", ["natter", "ask", "PkgEchoJs", "hello"]);
  assert.equal(asked.code, 0, asked.stderr);
  assert.equal(asked.stdout.trim(), "js:hello");
  const sent = await sh(app, "npx", ["natter", "send", "PkgEchoJs", "a letter"]);
  assert.equal(sent.code, 0, sent.stderr);
  const deadline = Date.now() + 30_000;
  while (!existsSync(join(app, "mail.txt")) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  assert.equal(readFileSync(join(app, "mail.txt"), "utf8"), "a letter\n");
  await stopAgent(agent);
});

test("package: natter run loads a TypeScript agent through the project's tsx, and says in one line what to install without it", async () => {
  writeFileSync(join(app, "agent.ts"), AGENT_JS("PkgEchoTs", "ts").replace("async onRequest(msg)", "async onRequest(msg: { content: string })"));
  const without = await sh(app, "npx", ["natter", "run", "./agent.ts"]);
  assert.equal(without.code, 2);
  const lines = without.stderr.trim().split("\n");
  assert.equal(lines.length, 1, without.stderr);
  assert.match(lines[0]!, /npm install --save-dev tsx/);

  await npmInstall(app, "tsx");
  const agent = await startAgent(app, "./agent.ts");
  const asked = await sh(app, "npx", ["natter", "ask", "PkgEchoTs", "typed"]);
  assert.equal(asked.stdout.trim(), "ts:typed", asked.stderr);
  await stopAgent(agent);
});

test("package: the .d.ts types a user's code, and a wrong call fails to compile", async () => {
  writeFileSync(
    join(app, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { strict: true, module: "nodenext", moduleResolution: "nodenext", target: "es2022", noEmit: true, skipLibCheck: true, types: ["node"], typeRoots: [join(ROOT, "node_modules/@types")] },
      include: ["usage.ts"],
    }),
  );
  writeFileSync(
    join(app, "usage.ts"),
    `import { defineAgent, connectClient, RequestTimeoutError, type Envelope } from "natter";
import { startServer } from "natter/testing";
import { decodeEnvelope } from "natter/protocol";

export const echo = defineAgent({
  name: "Echo",
  capabilities: ["echo"],
  async onRequest(msg: Envelope, ctx) {
    const peers = await ctx.findAgents("echo");
    return \`\${msg.content} (\${peers.length} peers)\`;
  },
});

export async function main(): Promise<string> {
  const server = await startServer();
  const client = await connectClient({ name: "typed" });
  try {
    const answer = await client.requestFromAgent("Echo", "hi", { timeoutMs: 1000 });
    return answer.content + decodeEnvelope(new Uint8Array()).id + server.url;
  } catch (err) {
    if (err instanceof RequestTimeoutError) return String(err.timeoutMs);
    throw err;
  }
}

// @ts-expect-error: the name is required
defineAgent({ description: "no name" });
// @ts-expect-error: timeoutMs is a number of milliseconds
void connectClient().then((c) => c.requestFromAgent("Echo", "hi", { timeoutMs: "soon" }));
`,
  );
  const checked = await sh(app, process.execPath, [TSC, "-p", "."]);
  assert.deepEqual(anyInPublicTypes(join(app, "node_modules/natter/dist/index.d.ts")), []);
  assert.equal(checked.code, 0, checked.stdout + checked.stderr);
  // And the check can fail: a real type error in the same project is reported.
  writeFileSync(join(app, "usage.ts"), `import { defineAgent } from "natter";\ndefineAgent({ name: 42 });\n`);
  const broken = await sh(app, process.execPath, [TSC, "-p", "."]);
  assert.notEqual(broken.code, 0);
  assert.match(broken.stdout, /usage\.ts/);
});

test("package: natter init writes a starter whose own test passes against a real nats-server, and never overwrites", async () => {
  const init = await sh(app, "npx", ["natter", "init", "../demo-app"]);
  assert.equal(init.code, 0, init.stderr);
  const starter = join(work, "demo-app");
  for (const f of ["package.json", "agent.js", "test/agent.test.js", "README.md"]) assert.ok(existsSync(join(starter, f)), `${f} written`);
  const again = await sh(app, "npx", ["natter", "init", "../demo-app"]);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /already exist/);

  await npmInstall(starter, tarball);
  const tested = await sh(starter, "npm", ["test"]);
  assert.equal(tested.code, 0, tested.stdout.slice(-3000) + tested.stderr.slice(-2000));
  assert.match(tested.stdout, /# pass 2/);
  assert.match(tested.stdout, /# fail 0/);
});
