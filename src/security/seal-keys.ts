import type { KV } from "@nats-io/kv";
import { LOCAL_ERROR_CODES, NatterError } from "../errors.ts";
import { isCurveKeyText } from "../protocol/envelope-check.ts";
import { decodeRecord, sealKeyStatement, type AgentRecord } from "../protocol/record.ts";
import { ed25519Verify } from "./ed25519.ts";
import { noSealKeyError } from "./seal.ts";
import type { Verifier } from "./verify.ts";

/** How long a recipient's key is used before the registry is read again (in the background), in milliseconds. */
const REFRESH_MS = 1000;

/** Options of {@link SealKeys}. */
export interface SealKeysOptions {
  /** Accept a recipient's new curve key instead of refusing it (after a deliberate re-key); default false. */
  allowKeyChange?: boolean;
}

/**
 * Recipients' curve keys from the registry, each vouched for by a signature of the agent's identity key, and pinned
 * on first sight per process (like SSH known_hosts): a later different key is refused with
 * {@link LOCAL_ERROR_CODES.sealKeyChanged} unless `allowKeyChange`.
 */
export class SealKeys {
  readonly #pins = new Map<string, string>();
  readonly #fresh = new Map<string, number>();
  readonly #reading = new Map<string, Promise<string>>();
  /** What the last background read of a pinned agent found wrong (a changed key): every send to it fails until fixed. */
  readonly #broken = new Map<string, NatterError>();

  constructor(
    readonly registry: KV,
    /** When signing is checked, a signer must be one of the agent's known identity keys (pinned or registered). */
    readonly verifier: Verifier | undefined,
    readonly options: SealKeysOptions = {},
  ) {}

  /** The curve key to seal mail for `name` to; throws `recipient_has_no_seal_key` or `seal_key_changed`. */
  keyFor(name: string): Promise<string> {
    const pinned = this.#pins.get(name);
    if (pinned === undefined) return this.#refresh(name);
    // Sealing to the pinned key is always safe: the registry is re-read in the background only to notice a change,
    // which then fails every later send to the agent, instead of every send waiting on the registry.
    if (Date.now() - (this.#fresh.get(name) ?? 0) >= REFRESH_MS && !this.#reading.has(name)) this.#refresh(name).catch(() => undefined);
    const broken = this.#broken.get(name);
    return broken ? Promise.reject(broken) : Promise.resolve(pinned);
  }

  #refresh(name: string): Promise<string> {
    let reading = this.#reading.get(name);
    if (!reading) {
      reading = this.#read(name).then(
        (key) => (this.#broken.delete(name), key),
        (err: unknown) => {
          // A pinned agent gone from the registry (stopped) keeps its key; a different key is a swap.
          if (this.#pins.has(name) && err instanceof NatterError && err.code === LOCAL_ERROR_CODES.sealKeyChanged) this.#broken.set(name, err);
          this.#fresh.set(name, Date.now());
          throw err;
        },
      ).finally(() => this.#reading.delete(name));
      this.#reading.set(name, reading);
    }
    return reading;
  }

  async #read(name: string): Promise<string> {
    const keys = new Set<string>();
    const refused: string[] = [];
    for await (const k of await this.registry.keys(`${name}.*`)) {
      const e = await this.registry.get(k);
      if (e?.operation !== "PUT") continue;
      let record: AgentRecord;
      try {
        record = decodeRecord(e.value);
      } catch {
        continue;
      }
      if (record.name !== name || record.sealKey === undefined) continue;
      const problem = await this.#problem(record);
      if (problem) refused.push(`${k}: ${problem}`);
      else keys.add(record.sealKey);
    }
    if (keys.size === 0) throw noSealKeyError(name, refused.length ? `its registry seal keys are refused (${refused.join("; ")})` : "it publishes no curve key in the registry (not running, or an older natter)");
    if (keys.size > 1) throw new NatterError(`"${name}" publishes ${keys.size} different seal keys (${[...keys].join(", ")}): a registry key swap, or instances without a shared \`natter auth\` key; not sending`, LOCAL_ERROR_CODES.sealKeyChanged);
    const [key] = keys as Set<string> & { size: 1 };
    const pinned = this.#pins.get(name);
    if (pinned !== undefined && pinned !== key && !this.options.allowKeyChange) {
      throw new NatterError(`the seal key of "${name}" changed from ${pinned} to ${key} since first seen (a registry key swap?); refusing (NATTER_SEAL_KEY_CHANGE=accept takes it)`, LOCAL_ERROR_CODES.sealKeyChanged);
    }
    this.#pins.set(name, key!);
    this.#fresh.set(name, Date.now());
    return key!;
  }

  /** Why `record`'s seal key is not vouched for by one of its agent's identity keys, or undefined. */
  async #problem(record: AgentRecord): Promise<string | undefined> {
    const { name, sealKey, sealKeySigner, sealKeySig } = record;
    if (!isCurveKeyText(sealKey)) return "not a curve public key";
    if (!sealKeySigner || !sealKeySig) return "unsigned";
    if (!ed25519Verify(sealKeySigner, sealKeyStatement(name, sealKey), Buffer.from(sealKeySig, "base64url"))) return "its signature does not match";
    if (this.verifier && this.verifier.mode !== "off") {
      if (!(await this.verifier.knows(name, sealKeySigner))) return `signed by ${sealKeySigner}, not a known key of "${name}"`;
    } else if (record.publicKey !== undefined && record.publicKey !== sealKeySigner) return "signed by another key than the record's";
    return undefined;
  }
}
