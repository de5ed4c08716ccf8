import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { createUser, fromPublic, fromSeed } from "@nats-io/nkeys";
import { ed25519Signer, ed25519Verify } from "../../src/security/ed25519.ts";

describe("security: Ed25519 through node:crypto", () => {
  const messages = [new Uint8Array(0), new TextEncoder().encode('{"id":"x","content":"hello"}'), new Uint8Array(70_000).fill(7)];

  test("ed25519: signatures made by nkeys verify, and node:crypto's verify with nkeys, byte for byte the same", () => {
    for (let i = 0; i < 5; i++) {
      const key = fromSeed(createUser().getSeed());
      const pub = key.getPublicKey();
      const sign = ed25519Signer(key);
      for (const data of messages) {
        const old = key.sign(data);
        const now = sign(data);
        assert.ok(ed25519Verify(pub, data, old), "an nkeys signature verifies with node:crypto");
        assert.ok(fromPublic(pub).verify(data, now), "a node:crypto signature verifies with nkeys (foreign Go/nats.js verifiers)");
        assert.deepEqual(Buffer.from(now), Buffer.from(old));
      }
    }
  });

  test("ed25519: a wrong key, tampered bytes or a malformed signature or key do not verify", () => {
    const key = createUser();
    const data = messages[1]!;
    const sig = ed25519Signer(key)(data);
    assert.ok(ed25519Verify(key.getPublicKey(), data, sig));
    assert.ok(!ed25519Verify(createUser().getPublicKey(), data, sig));
    assert.ok(!ed25519Verify(key.getPublicKey(), new TextEncoder().encode('{"id":"x","content":"hellO"}'), sig));
    assert.ok(!ed25519Verify(key.getPublicKey(), data, sig.subarray(0, 63)));
    assert.ok(!ed25519Verify("UNOTAKEY", data, sig));
    const pub = key.getPublicKey();
    assert.ok(!ed25519Verify(pub.slice(0, -1) + (pub.endsWith("A") ? "B" : "A"), data, sig), "a key with a bad checksum");
  });
});
