import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, randomFillSync, type KeyObject } from "node:crypto";
import { hsalsa, xsalsa20poly1305 } from "@noble/ciphers/salsa.js";
import { createCurve, fromCurveSeed, fromPublic } from "@nats-io/nkeys";
import type Sodium from "libsodium-wrappers";
import { base32Decode, base32Encode } from "./ed25519.ts";

// NATS xkeys (`@nats-io/nkeys` createCurve/seal/open) without its pure-JavaScript nacl, which costs milliseconds per
// message: X25519 through node:crypto (OpenSSL) and XSalsa20-Poly1305 from libsodium (WebAssembly, 3-4 µs for a
// typical envelope), or from @noble/ciphers (pure JavaScript, 15 µs) until libsodium has loaded: both write the same
// bytes. The box key (nacl's `beforenm`: HSalsa20 of the X25519 secret) is kept per pair of keys, so a message costs
// only the symmetric part. The sealed bytes are nkeys' exactly: "xkv1", the 24-byte nonce, then nacl's box (16-byte
// tag, ciphertext).

/** The version header nkeys writes before the nonce. */
const XKV1 = Buffer.from("xkv1", "latin1");
const NONCE_BYTES = 24;
const TAG_BYTES = 16;
/** DER prefixes around a raw 32-byte X25519 key (RFC 8410): PKCS#8 for the private scalar, SPKI for the public key. */
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");
/** "expand 32-byte k" as little-endian words: the Salsa20 constant nacl's box uses in its HSalsa20 step. */
const SIGMA = new Uint32Array([0x61707865, 0x3320646e, 0x79622d32, 0x6b206574]);
/** Box keys kept per owner key; peers past it are forgotten oldest first. */
const MAX_PEERS = 10_000;

/** Whether `key` looks like a curve public NKey (`X…`, 56 characters); {@link CurveKey} checks its checksum. */
export function isCurvePublicKey(key: unknown): key is string {
  return typeof key === "string" && /^X[A-Z2-7]{55}$/.test(key);
}

/** An X25519 key pair that seals to and opens from peers' curve public keys (`X…`), nkeys-compatible. */
export class CurveKey {
  /** The public NKey (`X…`) peers seal to. */
  readonly publicKey: string;
  readonly #private: KeyObject;
  readonly #boxKeys = new Map<string, Uint8Array>();

  // The public key is derived by OpenSSL and encoded here: nkeys' getPublicKey runs a pure-JavaScript scalar
  // multiplication (milliseconds), paid by every agent at start.
  private constructor(privateKey: KeyObject) {
    loadSodium();
    this.#private = privateKey;
    const raw = createPublicKey(privateKey).export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length);
    this.publicKey = encodeCurvePublic(raw);
  }

  /** The key of a curve seed (`SX…`), as `natter auth` writes it. */
  static fromSeed(seed: Uint8Array): CurveKey {
    // The encoded private key is prefix(1) + the 32-byte scalar + crc(2).
    const raw = base32Decode(new TextDecoder().decode(fromCurveSeed(seed).getPrivateKey())).subarray(1, 33);
    return new CurveKey(createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw]), format: "der", type: "pkcs8" }));
  }

  /** A fresh key pair with its seed text (`SX…`), to keep in a file. */
  static generate(): { key: CurveKey; seed: Uint8Array } {
    const seed = createCurve().getSeed();
    return { key: CurveKey.fromSeed(seed), seed };
  }

  /** A fresh key pair for this process only (no seed to keep): made by OpenSSL, in microseconds. */
  static ephemeral(): CurveKey {
    return new CurveKey(generateKeyPairSync("x25519").privateKey);
  }

  /** `message` sealed for `recipient` (`X…`): "xkv1", nonce, box. `nonce` is random unless given (tests). */
  seal(message: Uint8Array, recipient: string, nonce: Uint8Array = randomNonce()): Uint8Array {
    if (nonce.length !== NONCE_BYTES) throw new Error(`xkeys: the nonce must be ${NONCE_BYTES} bytes`);
    const key = this.#boxKey(recipient);
    const box = sodium ? sodium.crypto_secretbox_easy(message, nonce, key) : xsalsa20poly1305(key, nonce).encrypt(message);
    const out = Buffer.allocUnsafe(XKV1.length + NONCE_BYTES + box.length);
    XKV1.copy(out, 0);
    out.set(nonce, XKV1.length);
    out.set(box, XKV1.length + NONCE_BYTES);
    return out;
  }

  /** What `sender` (`X…`) sealed for this key; throws when it is not xkv1, was tampered with, or is for another key. */
  open(sealed: Uint8Array, sender: string): Uint8Array {
    if (sealed.length < XKV1.length + NONCE_BYTES + TAG_BYTES || !XKV1.equals(sealed.subarray(0, XKV1.length))) throw new Error("xkeys: not an xkv1 sealed message");
    const nonce = sealed.subarray(XKV1.length, XKV1.length + NONCE_BYTES);
    try {
      const key = this.#boxKey(sender);
      const box = sealed.subarray(XKV1.length + NONCE_BYTES);
      return sodium ? sodium.crypto_secretbox_open_easy(box, nonce, key) : xsalsa20poly1305(key, nonce).decrypt(box);
    } catch (cause) {
      throw new Error("xkeys: the box does not open with these keys (tampered, or sealed for another key)", { cause });
    }
  }

  #boxKey(peer: string): Uint8Array {
    let key = this.#boxKeys.get(peer);
    if (key) return key;
    fromPublic(peer); // checks the prefix and checksum; throws on a malformed key
    if (!peer.startsWith("X")) throw new Error(`xkeys: ${peer.slice(0, 8)}… is not a curve public key`);
    const raw = base32Decode(peer).subarray(1, 33);
    const shared = diffieHellman({ privateKey: this.#private, publicKey: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" }) });
    key = boxKey(shared);
    if (this.#boxKeys.size >= MAX_PEERS) this.#boxKeys.delete(this.#boxKeys.keys().next().value!);
    this.#boxKeys.set(peer, key);
    return key;
  }
}

/** libsodium once loaded (its WebAssembly starts asynchronously, in a few ms); until then @noble/ciphers boxes. */
let sodium: typeof Sodium | undefined;
let loaded: typeof Sodium | undefined;
let sodiumLoading: Promise<void> | undefined;

/** Starts loading libsodium (once); resolves when boxes use it, or when it could not load (they stay on @noble/ciphers). */
export function loadSodium(): Promise<void> {
  sodiumLoading ??= import("libsodium-wrappers").then(
    async ({ default: lib }) => {
      await lib.ready;
      sodium = loaded = lib;
    },
    () => undefined,
  );
  return sodiumLoading;
}

/** Boxes with `which` from now on (tests check that both write and open the same bytes); returns the one in use. */
export async function useBoxImplementation(which: "libsodium" | "noble"): Promise<"libsodium" | "noble"> {
  await loadSodium();
  sodium = which === "libsodium" ? loaded : undefined;
  return sodium ? "libsodium" : "noble";
}

/** NKey prefix byte of curve keys: 23 << 3, which base32 writes as `X`. */
const CURVE_PREFIX = 23 << 3;
/** The public NKey (`X…`) of a raw X25519 public key: prefix, key, CRC-16/XMODEM little-endian, base32. */
function encodeCurvePublic(raw: Uint8Array): string {
  const body = Buffer.concat([Buffer.of(CURVE_PREFIX), raw]);
  const crc = crc16(body);
  return base32Encode(Buffer.concat([body, Buffer.of(crc & 0xff, crc >>> 8)]));
}

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** Random bytes drawn from the CSPRNG in blocks: one call per 1,024 nonces instead of one per message. */
const noncePool = Buffer.alloc(NONCE_BYTES * 1024);
let nonceAt = noncePool.length;

/** 24 fresh random bytes; each is used once. */
function randomNonce(): Uint8Array {
  if (nonceAt === noncePool.length) {
    randomFillSync(noncePool);
    nonceAt = 0;
  }
  const nonce = Uint8Array.prototype.slice.call(noncePool, nonceAt, nonceAt + NONCE_BYTES);
  nonceAt += NONCE_BYTES;
  return nonce;
}

/** nacl's `crypto_box_beforenm` from the X25519 secret: HSalsa20 with a zero input. */
function boxKey(shared: Uint8Array): Uint8Array {
  const out = new Uint32Array(8);
  hsalsa(SIGMA, words(shared), new Uint32Array(4), out);
  return words32ToBytes(out);
}

function words(bytes: Uint8Array): Uint32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Uint32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = view.getUint32(i * 4, true);
  return out;
}

function words32ToBytes(w: Uint32Array): Uint8Array {
  const out = new Uint8Array(w.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < w.length; i++) view.setUint32(i * 4, w[i]!, true);
  return out;
}
