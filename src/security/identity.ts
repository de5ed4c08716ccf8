import { existsSync } from "node:fs";
import { join } from "node:path";
import { createUser, fromSeed, type KeyPair } from "@nats-io/nkeys";
import { headers as natsHeaders, type MsgHdrs } from "@nats-io/transport-node";
import type { Config } from "../config/config.ts";
import { ConfigError } from "../errors.ts";
import { assertAgentName } from "../protocol/names.ts";
import { ed25519Signer } from "./ed25519.ts";
import { readSeedText } from "./generate.ts";
import { agentInboxPrefix } from "./permissions.ts";

/** Headers of a signed message. */
export const SIGNATURE_HEADERS = {
  /** Base64url Ed25519 signature over the exact payload bytes. */
  signature: "Natter-Signature",
  /** The signer's public NKey (`U…`); it must be registered for the envelope's `from`. */
  signer: "Natter-Signer",
} as const;

/** Connection settings of one agent when each agent has its own credentials. */
export interface AgentConnection {
  /** The config with this agent's credentials in place of the process's. */
  config: Config;
  inboxPrefix: string;
}

/**
 * The connection of `agent` when NATTER_CREDENTIALS_DIR is set: its `{agent}.creds` or `{agent}.nk`
 * from that directory and an inbox prefix of its own. Undefined when per-agent credentials are off.
 */
export function agentConnection(config: Config, agent: string): AgentConnection | undefined {
  const dir = config.credentialsDir;
  if (dir === undefined) return undefined;
  assertAgentName(agent);
  const { user: _u, password: _p, token: _t, credsFile: _c, nkeyFile: _n, ...rest } = config;
  const creds = join(dir, `${agent}.creds`);
  const nkey = join(dir, `${agent}.nk`);
  let own: Config;
  if (existsSync(creds)) own = { ...rest, credsFile: creds };
  else if (existsSync(nkey)) own = { ...rest, nkeyFile: nkey };
  else throw new ConfigError(`NATTER_CREDENTIALS_DIR: no ${agent}.creds or ${agent}.nk in ${dir} (run \`natter auth\` for this agent)`);
  return { config: own, inboxPrefix: agentInboxPrefix(agent) };
}

/** Signs payloads as one agent; the returned headers go with the message. */
export interface Signer {
  readonly publicKey: string;
  sign(data: Uint8Array, into?: MsgHdrs): MsgHdrs;
  /** The raw Ed25519 signature of `data` (64 bytes). */
  signBytes(data: Uint8Array): Uint8Array;
}

/**
 * The signer of `agent`, or undefined when signing is off (NATTER_VERIFY=off and no per-agent credentials).
 * Uses the agent's NKey seed from NATTER_CREDENTIALS_DIR when there is one, else a key made for this instance.
 */
export function agentSigner(config: Config, agent: string): Signer | undefined {
  if (config.verify === "off" && config.credentialsDir === undefined) return undefined;
  const seedFile = config.credentialsDir !== undefined ? join(config.credentialsDir, `${agent}.nk`) : undefined;
  return createSigner(seedFile && existsSync(seedFile) ? fromSeed(readSeedText(seedFile)) : createUser());
}

/** A signer over `key` (a seed-holding NKey pair); the key is imported into node:crypto once, here. */
export function createSigner(key: KeyPair): Signer {
  const publicKey = key.getPublicKey();
  const signBytes = ed25519Signer(key);
  return {
    publicKey,
    signBytes,
    sign(data, into = natsHeaders()) {
      into.set(SIGNATURE_HEADERS.signature, Buffer.from(signBytes(data)).toString("base64url"));
      into.set(SIGNATURE_HEADERS.signer, publicKey);
      return into;
    },
  };
}
