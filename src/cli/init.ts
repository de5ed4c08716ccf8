import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { basename, join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { ConfigError } from "../errors.ts";
import { EXIT } from "./args.ts";
import type { Io } from "./io.ts";
import { natterVersion } from "./version.ts";

/** Help text of `natter init`. */
export const INIT_USAGE = `usage: natter init [DIR]

Writes a small natter project into DIR (default: the current directory): package.json depending on natter,
agent.js (one agent), test/agent.test.js (starts a private nats-server and talks to the agent) and a
README. Refuses to overwrite files that exist. Then: cd DIR && npm install && npm test.`;

/** `natter init`: writes the starter project; returns the exit code. */
export async function runInitCommand(argv: readonly string[], io: Io): Promise<number> {
  const { positionals } = parseArgs({ args: [...argv], allowPositionals: true, options: {} });
  if (positionals.length > 1) throw new ConfigError(`init takes one directory, got ${positionals.length}: ${positionals.join(" ")}`);
  const dir = resolve(positionals[0] ?? ".");
  const files = starterFiles(packageName(basename(dir)), natterVersion());
  const existing = Object.keys(files).filter((f) => existsSync(join(dir, f)));
  if (existing.length > 0) {
    io.err(`natter init: ${existing.join(", ")} already exist in ${dir}; nothing was written`);
    return EXIT.failure;
  }
  for (const [file, text] of Object.entries(files)) {
    await mkdir(join(dir, file, ".."), { recursive: true });
    await writeFile(join(dir, file), text, { flag: "wx" });
  }
  await io.out(`wrote ${Object.keys(files).join(", ")} in ${dir}\nnext: cd ${positionals[0] ?? "."} && npm install && npm test`);
  return EXIT.ok;
}

/** A valid npm package name made from a directory name. */
function packageName(dir: string): string {
  const name = dir.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[._-]+/, "");
  return name || "natter-agents";
}

function starterFiles(name: string, version: string): Record<string, string> {
  const pkg = {
    name,
    version: "0.1.0",
    private: true,
    type: "module",
    engines: { node: ">=20" },
    scripts: { start: "natter run ./agent.js", test: "node --test --test-force-exit" },
    dependencies: { natter: `^${version}` },
  };
  return {
    "package.json": JSON.stringify(pkg, null, 2) + "\n",
    "agent.js": AGENT,
    "test/agent.test.js": TEST,
    "README.md": readme(name),
    ".gitignore": "node_modules/\n",
  };
}

const AGENT = `import { defineAgent } from "natter";

// One agent: it answers requests and reads its mailbox. Run it with \`npm start\` (needs a nats-server with
// JetStream at NATS_URL, default nats://127.0.0.1:4222), then talk to it: npx natter ask Greeter "Ada".
export default defineAgent({
  name: "Greeter",
  description: "Greets whoever asks",
  capabilities: ["greeting"],
  async onRequest(msg) {
    return \`Hello, \${msg.content}!\`;
  },
  // Direct messages and handoffs wait in the mailbox until the agent reads them. The string returned goes
  // back to the sender's mailbox as the completion notice.
  async onMessage(msg) {
    return \`Hello, \${msg.content}! (read from my mailbox)\`;
  },
});
`;

const TEST = `import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connectClient, defineAgent, loadConfig, startHost } from "natter";
import { startServer } from "natter/testing";
import greeter from "../agent.js";

// The test starts its own nats-server (random port, temporary store): nothing else needs to run.
let server, host, visitor;
const notices = [];
let noticed;
const noticeArrived = new Promise((resolve) => (noticed = resolve));

// A second agent whose mailbox receives the Greeter's completion notices.
const Visitor = defineAgent({
  name: "Visitor",
  onResponse(msg) {
    notices.push(msg.content);
    noticed();
  },
});

before(async () => {
  server = await startServer();
  const config = loadConfig({ NATS_URL: server.url, NATTER_LOG_LEVEL: "warn" });
  host = await startHost({ agents: [greeter, Visitor], config });
  visitor = await connectClient({ name: "Visitor", config });
});

after(async () => {
  await visitor?.close();
  await host?.stop();
  await server?.dispose();
});

test("Greeter answers a request", async () => {
  const answer = await visitor.requestFromAgent("Greeter", "Ada", { timeoutMs: 5000 });
  assert.equal(answer.content, "Hello, Ada!");
});

test("Greeter reads its mailbox and the sender gets the completion notice", async () => {
  await visitor.sendDirectMessage("Greeter", "Grace");
  await noticeArrived;
  assert.deepEqual(notices, ["Hello, Grace! (read from my mailbox)"]);
});
`;

function readme(name: string): string {
  return `# ${name}

Agents that talk over NATS with [natter](https://www.npmjs.com/package/natter).

\`\`\`sh
npm install && npm start      # run the agent (needs nats-server -js at NATS_URL, default nats://127.0.0.1:4222)
npm install && npm test       # run the tests (they start their own nats-server)
\`\`\`

Talk to the running agent: \`npx natter ask Greeter "Ada"\`, \`npx natter send Greeter "hi"\`, \`npx natter agents\`.
Add agents as modules that default-export \`defineAgent({...})\` and run them with \`npx natter run ./a.js ./b.js\`.
Tests need \`nats-server\` on the PATH (apt-get install nats-server, brew install nats-server).
`;
}
