import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { DiscardPolicy, jetstream, jetstreamManager, type JetStreamClient } from "@nats-io/jetstream";
import { NatterError } from "../../src/errors.ts";
import { publishBytes } from "../../src/mailbox/send.ts";
import { publishStored } from "../../src/mailbox/publish.ts";
import { startServer, type TestServer } from "../helpers/nats-server.ts";

const STREAM = "PUBTEST";
const FULL = "PUBFULL";
const data = new TextEncoder().encode("hello");

describe("stored publish", () => {
  let server: TestServer;
  let nc: NatsConnection;
  let js: JetStreamClient;

  before(async () => {
    server = await startServer();
    nc = await connect({ servers: server.url, noAsyncTraces: true, maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    js = jetstream(nc);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: STREAM, subjects: ["pubtest.>"] });
    await jsm.streams.add({ name: FULL, subjects: ["pubfull.>"], max_msgs: 1, discard: DiscardPolicy.New });
  });

  after(async () => {
    await nc?.close();
    await server?.dispose();
  });

  test("stored publish: stored and acknowledged with the stream sequence, as js.publish", async () => {
    const ack = await publishStored(js, "pubtest.a", data, { msgID: "m-1", timeoutMs: 2000, retries: 5 });
    assert.deepEqual(ack, { stream: STREAM, seq: 1, duplicate: false });
    const theirs = await js.publish("pubtest.a", data, { msgID: "m-2", timeout: 2000 });
    const ours = await publishStored(js, "pubtest.a", data, { msgID: "m-3", timeoutMs: 2000, retries: 5 });
    assert.deepEqual(ours, { ...theirs, seq: theirs.seq + 1 });
    const stored = await (await jetstreamManager(nc)).streams.getMessage(STREAM, { seq: 1 });
    assert.equal(stored?.header.get("Nats-Msg-Id"), "m-1");
  });

  test("stored publish: the same message id twice is stored once, the second acknowledged as a duplicate", async () => {
    const first = await publishStored(js, "pubtest.dup", data, { msgID: "dup-1", timeoutMs: 2000, retries: 5 });
    const second = await publishStored(js, "pubtest.dup", data, { msgID: "dup-1", timeoutMs: 2000, retries: 5 });
    assert.equal(second.seq, first.seq);
    assert.equal(second.duplicate, true);
  });

  test("stored publish: many in flight each get their own acknowledgement", async () => {
    const acks = await Promise.all(Array.from({ length: 200 }, (_, i) => publishStored(js, "pubtest.many", data, { msgID: `many-${i}`, timeoutMs: 5000, retries: 5 })));
    assert.equal(new Set(acks.map((a) => a.seq)).size, 200);
  });

  test("stored publish: a subject no stream captures is the no-stream error, after the retries", async () => {
    const theirs = await js.publish("nostream.x", data, { msgID: "ns-0", timeout: 1000, retries: 2 }).catch((err: unknown) => err as Error);
    const ours = await publishStored(js, "nostream.x", data, { msgID: "ns-0", timeoutMs: 1000, retries: 2 }).catch((err: unknown) => err as Error);
    assert.ok(ours instanceof Error && theirs instanceof Error);
    assert.deepEqual([ours.name, ours.message, (ours.cause as Error).message], [theirs.name, theirs.message, (theirs.cause as Error).message]);
    await assert.rejects(publishBytes(js, "nostream.x", data, "ns-1", { maxMessageBytes: 1 << 20, timeoutMs: 1000, attempts: 2 }), (err: unknown) => {
      assert.ok(err instanceof NatterError);
      assert.equal(err.code, "no_stream");
      return true;
    });
  });

  test("stored publish: a full stream that discards new messages is the stream-full error", async () => {
    await publishBytes(js, "pubfull.a", data, "full-1", { maxMessageBytes: 1 << 20, timeoutMs: 2000 });
    await assert.rejects(publishBytes(js, "pubfull.a", data, "full-2", { maxMessageBytes: 1 << 20, timeoutMs: 2000 }), (err: unknown) => {
      assert.ok(err instanceof NatterError);
      assert.equal(err.code, "stream_full");
      assert.match(err.message, /maximum messages exceeded/);
      return true;
    });
  });

  test("stored publish: a server away past the retries is a timeout, as js.publish", async () => {
    const back = reconnected(nc);
    await server.stop();
    try {
      const theirs = await js.publish("pubtest.away", data, { msgID: "away-1", timeout: 200, retries: 2 }).catch((err: unknown) => err as Error);
      const ours = await publishStored(js, "pubtest.away", data, { msgID: "away-1", timeoutMs: 200, retries: 2 }).catch((err: unknown) => err as Error);
      assert.ok(ours instanceof Error && theirs instanceof Error);
      assert.deepEqual([ours.name, ours.message], [theirs.name, theirs.message]);
      assert.equal(ours.name, "TimeoutError");
    } finally {
      await server.start();
      // Back on the server before the next test stops it: a server that goes away in the middle of the client's
      // reconnect handshake leaves nats.js waiting out its whole connect timeout (20 s here) before it dials again.
      await back;
    }
  });

  test("stored publish: a server restarted within the retries still stores the message", async () => {
    await server.stop();
    const pending = publishStored(js, "pubtest.restart", data, { msgID: "restart-1", timeoutMs: 500, retries: 8 });
    await new Promise((r) => setTimeout(r, 300));
    await server.start();
    const ack = await pending;
    assert.equal(ack.stream, STREAM);
    assert.equal(ack.duplicate, false);
  });

  test("stored publish: a closed connection fails what waits, and what comes after", async () => {
    const other = await connect({ servers: server.url, noAsyncTraces: true });
    const otherJs = jetstream(other);
    await publishStored(otherJs, "pubtest.closing", data, { msgID: "c-0", timeoutMs: 2000, retries: 1 });
    const pending = publishStored(otherJs, "pubtest.closing", data, { msgID: "c-1", timeoutMs: 10_000, retries: 1 });
    const closing = other.close();
    await assert.rejects(pending);
    await closing;
    await assert.rejects(publishStored(otherJs, "pubtest.closing", data, { msgID: "c-2", timeoutMs: 2000, retries: 1 }), { name: "ClosedConnectionError" });
  });
});

/** Resolves when `nc` has reconnected (its next "reconnect" status). */
async function reconnected(nc: NatsConnection): Promise<void> {
  for await (const s of nc.status()) if (s.type === "reconnect") return;
}
