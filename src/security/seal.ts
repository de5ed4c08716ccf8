import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "../config/config.ts";
import { ConfigError, NatterError, ERROR_CODES, LOCAL_ERROR_CODES } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { isMetadata } from "../protocol/envelope-check.ts";
import type { Envelope } from "../protocol/envelope.ts";
import { CurveKey } from "./xkeys.ts";

/** Name of the curve seed file of `agent` beside its `{agent}.nk` (written by `natter auth`). */
export function curveSeedFile(dir: string, agent: string): string {
  return join(dir, `${agent}.xk`);
}

/** The curve seed text (`SX…`) in `path`, as bytes. */
export function readCurveSeed(path: string): Uint8Array {
  const seed = readFileSync(path, "utf8").match(/\bSX[A-Z2-7]{56}\b/)?.[0];
  if (!seed) throw new ConfigError(`${path} holds no curve seed (a line starting with SX)`);
  return new TextEncoder().encode(seed);
}

/**
 * The curve key `agent` opens sealed mail with: `{agent}.xk` from NATTER_CREDENTIALS_DIR when there is one, else a key
 * made for this process (warned about when `ephemeralWarn`: mail sealed to it is unreadable after a restart, and
 * instances of one agent would each publish a different key).
 */
export function agentCurveKey(config: Pick<Config, "credentialsDir">, agent: string, log: Logger, ephemeralWarn: boolean): CurveKey {
  const file = config.credentialsDir !== undefined ? curveSeedFile(config.credentialsDir, agent) : undefined;
  if (file && existsSync(file)) return CurveKey.fromSeed(readCurveSeed(file));
  const key = CurveKey.ephemeral();
  if (ephemeralWarn) {
    log.warn("seal.ephemeral_key", {
      agent,
      sealKey: key.publicKey,
      reason: `no ${file ?? "NATTER_CREDENTIALS_DIR"} curve seed: using a key made for this process only (development). Mail sealed to it cannot be read after a restart; run \`natter auth\` for a lasting key`,
    });
  }
  return key;
}

/** Which sender curve key each opened envelope was sealed with: replies and notices are sealed back to it. */
const sealedBy = new WeakMap<Envelope, string>();

/** The curve key `envelope` was sealed by, when it arrived sealed and was opened here. */
export function sealedSender(envelope: Envelope): string | undefined {
  return sealedBy.get(envelope);
}

/**
 * `envelope` with `content` and `metadata` sealed for `recipient` (`X…`): `content` "" and `metadata` {} in clear,
 * the rest routing fields as they were, and `sealed` `{by, box}`. Sign what this returns.
 */
export function sealEnvelope(envelope: Envelope, key: CurveKey, recipient: string): Envelope {
  const inner = Buffer.from(JSON.stringify({ content: envelope.content, metadata: envelope.metadata }), "utf8");
  const box = Buffer.from(key.seal(inner, recipient)).toString("base64");
  return { ...envelope, content: "", metadata: {}, sealed: { by: key.publicKey, box } };
}

/**
 * The envelope a sealed `envelope` carries, opened with `key`: its content and metadata in place, no `sealed`.
 * Throws NatterError {@link ERROR_CODES.sealedUnreadable} when it cannot be opened or holds no valid body.
 */
export function openEnvelope(envelope: Envelope, key: CurveKey): Envelope {
  const { sealed, ...rest } = envelope;
  if (!sealed) return envelope;
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(key.open(Buffer.from(sealed.box, "base64"), sealed.by)).toString("utf8"));
  } catch (cause) {
    throw new NatterError(`sealed message ${envelope.id} from "${envelope.from}" cannot be opened by ${key.publicKey}: ${(cause as Error).message}`, ERROR_CODES.sealedUnreadable, { cause });
  }
  const { content, metadata } = (typeof body === "object" && body !== null ? body : {}) as { content?: unknown; metadata?: unknown };
  if (typeof content !== "string" || !isMetadata(metadata ?? {})) {
    throw new NatterError(`sealed message ${envelope.id} from "${envelope.from}" opened to no valid {content, metadata}`, ERROR_CODES.sealedUnreadable);
  }
  const opened = { ...rest, content, metadata: (metadata ?? {}) as Record<string, unknown> } as Envelope;
  sealedBy.set(opened, sealed.by);
  return opened;
}

/** `envelope` opened when sealed (see {@link openEnvelope}), else itself. */
export function openIfSealed(envelope: Envelope, key: CurveKey): Envelope {
  return envelope.sealed ? openEnvelope(envelope, key) : envelope;
}

/** The error for a recipient without a usable seal key. */
export function noSealKeyError(to: string, why: string): NatterError {
  return new NatterError(`cannot seal for "${to}": ${why}; not sending in clear (NATTER_SEAL / seal option)`, LOCAL_ERROR_CODES.recipientHasNoSealKey);
}
