import type { KV } from "@nats-io/kv";
import { createUser } from "@nats-io/nkeys";
import type { Config } from "../config/config.ts";
import type { Logger } from "../logger.ts";
import type { Envelope } from "../protocol/envelope.ts";
import { sealKeyStatement, type AgentRecord } from "../protocol/record.ts";
import { createSigner, type Signer } from "../security/identity.ts";
import { agentCurveKey, openIfSealed, sealedSender, sealEnvelope } from "../security/seal.ts";
import { SealKeys } from "../security/seal-keys.ts";
import type { Verifier } from "../security/verify.ts";
import type { CurveKey } from "../security/xkeys.ts";

/** The registry fields that publish an agent's curve key, signed by its identity key. */
export type SealRecordFields = Required<Pick<AgentRecord, "sealKey" | "sealKeySigner" | "sealKeySig">>;

/**
 * One agent's or client's end-to-end sealing (NATTER_SEAL, the `seal` send option): its curve key, the recipients'
 * keys it seals to, and the rules of what is sealed: mail and requests when asked, and every answer or notice to a
 * message that came sealed.
 */
export class Sealing {
  constructor(
    readonly key: CurveKey,
    readonly keys: SealKeys,
    readonly mode: Config["seal"],
  ) {}

  /** Whether a send with option `seal` is sealed: the option, else NATTER_SEAL. */
  wanted(seal: boolean | undefined): boolean {
    return seal ?? this.mode === "direct";
  }

  /** `envelope` sealed for `to`'s verified curve key; throws `recipient_has_no_seal_key` or `seal_key_changed`. */
  async sealFor(envelope: Envelope, to: string): Promise<Envelope> {
    return sealEnvelope(envelope, this.key, await this.keys.keyFor(to));
  }

  /** `envelope` opened when it came sealed; throws `sealed_unreadable` when it cannot be. */
  open(envelope: Envelope): Envelope {
    return openIfSealed(envelope, this.key);
  }

  /** `reply` sealed back to the sender of `original` when `original` came sealed (opened here), else as it is. */
  replyTo(original: Envelope, reply: Envelope): Envelope {
    const by = sealedSender(original) ?? original.sealed?.by;
    return by ? sealEnvelope(reply, this.key, by) : reply;
  }

  /** The registry fields publishing this key, signed by `signer` (or by a key made for the process when signing is off). */
  recordFields(name: string, signer: Signer | undefined): SealRecordFields {
    const by = signer ?? processSigner();
    return { sealKey: this.key.publicKey, sealKeySigner: by.publicKey, sealKeySig: Buffer.from(by.signBytes(sealKeyStatement(name, this.key.publicKey))).toString("base64url") };
  }
}

/** One key per process for agents without a signer: making an NKey user costs milliseconds (pure-JavaScript nacl). */
let throwaway: Signer | undefined;

/**
 * The signer vouching for seal keys when signing is off. Nothing can check it against a known identity then; senders
 * still pin the first seal key they see (docs/security.md).
 */
function processSigner(): Signer {
  return (throwaway ??= createSigner(createUser()));
}

/** Options of {@link createSealing}. */
export interface SealingOptions {
  registry: KV;
  verifier: Verifier | undefined;
  log: Logger;
  /** Warn when the curve key is made for this process: true for agents, whose mail is sealed to it. */
  warnEphemeral: boolean;
}

/** The sealing of `name`: its key from NATTER_CREDENTIALS_DIR (`{name}.xk`), else one made for this process. */
export function createSealing(config: Config, name: string, options: SealingOptions): Sealing {
  const key = agentCurveKey(config, name, options.log, options.warnEphemeral);
  return new Sealing(key, new SealKeys(options.registry, options.verifier, { allowKeyChange: config.sealKeyChange === "accept" }), config.seal);
}
