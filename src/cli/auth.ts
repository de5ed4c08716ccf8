import { parseArgs } from "node:util";
import { generateAuth } from "../security/generate.ts";
import { NatterError } from "../errors.ts";

/** Help text of `natter auth`. */
export const AUTH_USAGE = `usage: natter auth --out DIR [--admin NAME] [--stream NAME] [--bucket NAME] [--rotate NAME]... AGENT [AGENT...]

Writes one NKey user per AGENT into DIR: the seed {AGENT}.nk (mode 0600), auth.conf (the nats-server
"authorization" block: each agent may only consume its own mailbox, serve its own requests, hear its own
responses and inbox, publish as itself and write its own registry keys) and trusted-keys.json (for
NATTER_TRUSTED_KEYS). Existing seeds are kept; --rotate NAME replaces NAME's key (the old one is kept as
NAME.nk.old). Include auth.conf from the server config (see nats-server.secure.conf), then run agents
with NATTER_CREDENTIALS_DIR=DIR.`;

/** `natter auth`: generates per-agent users and permissions; returns the exit code. */
export async function runAuthCommand(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        out: { type: "string", short: "o" },
        admin: { type: "string" },
        stream: { type: "string" },
        bucket: { type: "string" },
        rotate: { type: "string", multiple: true },
        help: { type: "boolean", short: "h" },
      },
    });
  } catch (err) {
    process.stderr.write(`natter auth: ${(err as Error).message}\n${AUTH_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(AUTH_USAGE + "\n");
    return 0;
  }
  if (!values.out || positionals.length === 0) {
    process.stderr.write(`natter auth: ${!values.out ? "--out DIR is required" : "name at least one agent"}\n${AUTH_USAGE}\n`);
    return 2;
  }
  try {
    const out = generateAuth({
      agents: positionals,
      dir: values.out,
      ...(values.admin ? { admin: values.admin } : {}),
      ...(values.stream ? { stream: values.stream } : {}),
      ...(values.bucket ? { registryBucket: values.bucket } : {}),
      ...(values.rotate ? { rotate: values.rotate } : {}),
    });
    for (const [name, key] of Object.entries(out.publicKeys)) {
      process.stdout.write(`${out.created.includes(name) ? "new " : "kept"} ${name.padEnd(20)} ${key}  ${out.seedFiles[name]}\n`);
      const sealKey = out.sealKeys[name];
      if (sealKey) process.stdout.write(`     ${"".padEnd(20)} ${sealKey}  seal key (${name}.xk)\n`);
    }
    process.stdout.write(`wrote ${out.confFile} and ${out.trustedKeysFile}\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`natter auth: ${err instanceof NatterError ? err.message : String(err)}\n`);
    return err instanceof NatterError ? 2 : 1;
  }
}
