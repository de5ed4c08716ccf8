import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import { fromPublic, type KeyPair } from "@nats-io/nkeys";

// Ed25519 through node:crypto (OpenSSL) rather than the pure-JavaScript nacl inside @nats-io/nkeys, which re-derives
// the key pair on every call and blocks the event loop for milliseconds per signature. The signatures are the same
// bytes (Ed25519 is deterministic), so the wire format does not change. nkeys stays for the key encoding.

/** DER prefixes that wrap a raw 32-byte Ed25519 key (RFC 8410): PKCS#8 for the private seed, SPKI for the public key. */
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** Public keys imported so far, by NKey; each key is imported once. */
const publicKeys = new Map<string, KeyObject>();
/** Imported public keys kept at most; only keys trusted for some sender get here. */
const MAX_PUBLIC_KEYS = 10_000;

/** A signing function over the private half of `key` (a seed-holding NKey pair), imported once. */
export function ed25519Signer(key: KeyPair): (data: Uint8Array) => Uint8Array {
  // The encoded private key is prefix(1) + secret key (seed 32 + public 32) + crc(2), base32 without padding.
  const raw = base32Decode(new TextDecoder().decode(key.getPrivateKey()));
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, raw.subarray(1, 33)]), format: "der", type: "pkcs8" });
  return (data) => sign(null, data, privateKey);
}

/** Whether `signature` is `publicKey`'s Ed25519 signature of `data`; false for a malformed key or signature. */
export function ed25519Verify(publicKey: string, data: Uint8Array, signature: Uint8Array): boolean {
  try {
    return signature.length === 64 && verify(null, data, importPublic(publicKey), signature);
  } catch {
    return false;
  }
}

function importPublic(nkey: string): KeyObject {
  let key = publicKeys.get(nkey);
  if (key) return key;
  fromPublic(nkey); // checks the prefix and checksum; throws on a malformed key
  const raw = base32Decode(nkey).subarray(1, 33);
  key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
  if (publicKeys.size >= MAX_PUBLIC_KEYS) publicKeys.delete(publicKeys.keys().next().value!);
  publicKeys.set(nkey, key);
  return key;
}

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 without padding, as NKeys are written. */
export function base32Decode(text: string): Buffer {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of text) {
    const index = ALPHABET.indexOf(ch);
    if (index < 0) throw new Error(`not base32: ${JSON.stringify(ch)}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** RFC 4648 base32 without padding, as NKeys are written: the inverse of {@link base32Decode}. */
export function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(value >>> bits) & 31];
    }
  }
  if (bits > 0) out += ALPHABET[(value << (5 - bits)) & 31];
  return out;
}
