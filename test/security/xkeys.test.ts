import { test } from "node:test";
import assert from "node:assert/strict";
import { createCurve, fromCurveSeed } from "@nats-io/nkeys";
import { CurveKey, useBoxImplementation } from "../../src/security/xkeys.ts";

const message = new TextEncoder().encode(JSON.stringify({ content: "hello, only for you ".repeat(20), metadata: { n: 1 } }));

// Boxes come from @noble/ciphers until libsodium's WebAssembly has loaded, then from libsodium: both must be nkeys'.
for (const impl of ["noble", "libsodium"] as const) {
  test(`xkeys (${impl}): with a fixed nonce the sealed bytes are @nats-io/nkeys' exactly, both ways`, async () => {
    assert.equal(await useBoxImplementation(impl), impl);
    const mine = CurveKey.generate();
    const theirs = createCurve();
    for (const nonce of [new Uint8Array(24), new Uint8Array(24).fill(0xa5), Uint8Array.from({ length: 24 }, (_, i) => i)]) {
      for (const body of [message, new Uint8Array(0), new Uint8Array(1000).fill(7)]) {
        const ours = mine.key.seal(body, theirs.getPublicKey(), nonce);
        const reference = fromCurveSeed(mine.seed).seal(body, theirs.getPublicKey(), nonce);
        assert.deepEqual(Buffer.from(ours), Buffer.from(reference));
        assert.deepEqual(Buffer.from(ours.subarray(0, 4)).toString("latin1"), "xkv1");
      }
    }
  });

  test("xkeys: public keys are nkeys' own, for seeds and for process-only keys", () => {
    for (let i = 0; i < 20; i++) {
      const { key, seed } = CurveKey.generate();
      assert.equal(key.publicKey, fromCurveSeed(seed).getPublicKey());
      const theirs = createCurve();
      const ephemeral = CurveKey.ephemeral();
      assert.match(ephemeral.publicKey, /^X[A-Z2-7]{55}$/);
      // nkeys accepts the encoding (checksum included) and both ends agree on the shared box.
      assert.deepEqual(theirs.open(ephemeral.seal(message, theirs.getPublicKey()), ephemeral.publicKey), message);
    }
  });

  test(`xkeys (${impl}): nkeys opens what CurveKey sealed, and CurveKey opens what nkeys sealed`, async () => {
    assert.equal(await useBoxImplementation(impl), impl);
    const mine = CurveKey.generate().key;
    const theirs = createCurve();
    assert.deepEqual(theirs.open(mine.seal(message, theirs.getPublicKey()), mine.publicKey), message);
    assert.deepEqual(mine.open(theirs.seal(message, mine.publicKey), theirs.getPublicKey()), message);
  });

  test(`xkeys (${impl}): a tampered box, a box for another key, a wrong sender and a bad header are refused`, async () => {
    assert.equal(await useBoxImplementation(impl), impl);
    const a = CurveKey.generate().key;
    const b = CurveKey.generate().key;
    const sealed = Buffer.from(a.seal(message, b.publicKey));
    for (const i of [4, 20, 28, 40, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[i]! ^= 0x01;
      assert.throws(() => b.open(bad, a.publicKey), /xkeys/, `byte ${i}`);
    }
    assert.throws(() => CurveKey.generate().key.open(sealed, a.publicKey), /does not open/);
    assert.throws(() => b.open(sealed, CurveKey.generate().key.publicKey), /does not open/);
    assert.throws(() => b.open(sealed.subarray(0, 30), a.publicKey), /not an xkv1/);
    assert.throws(() => a.seal(message, "XNOTAKEY"), /./);
    assert.deepEqual(b.open(sealed, a.publicKey), message);
  });
}

/** Microseconds per call of `fn`, over at least `ms`. */
function perOpUs(fn: () => void, ms: number): number {
  for (let i = 0; i < 20; i++) fn();
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    fn();
    n++;
  }
  return ((performance.now() - start) * 1000) / n;
}

test("xkeys: sealing and opening cost a fraction of nkeys' pure-JavaScript box (per message, keys cached)", async () => {
  assert.equal(await useBoxImplementation("libsodium"), "libsodium");
  const mine = CurveKey.generate();
  const reference = fromCurveSeed(mine.seed);
  const peer = createCurve();
  const peerKey = peer.getPublicKey();
  const sealed = reference.seal(message, peerKey);
  const peerFast = CurveKey.fromSeed(peer.getSeed());
  const figures = {
    nkeysSealUs: perOpUs(() => reference.seal(message, peerKey), 400),
    nkeysOpenUs: perOpUs(() => peer.open(sealed, mine.key.publicKey), 400),
    sealUs: perOpUs(() => mine.key.seal(message, peerKey), 400),
    openUs: perOpUs(() => peerFast.open(sealed, mine.key.publicKey), 400),
  };
  console.log(`# xkeys per message (${message.length} bytes): ${JSON.stringify(Object.fromEntries(Object.entries(figures).map(([k, v]) => [k, Math.round(v)])))}`);
  // Measured 20–30x and more; 5x leaves room for a loaded machine.
  assert.ok(figures.nkeysSealUs > 5 * figures.sealUs, JSON.stringify(figures));
  assert.ok(figures.nkeysOpenUs > 5 * figures.openUs, JSON.stringify(figures));
});
