import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { defineAgent, type ProgressEvent } from "../../src/index.ts";
import { setup, type Bench } from "../helpers/in-process.ts";

let b: Bench;
before(async () => {
  b = await setup();
  await b.host(
    defineAgent({
      name: "Writer",
      async onRequest(msg, ctx) {
        for (const step of ["outline", "draft", "edit"]) {
          await ctx.progress(step, { step });
          await new Promise((r) => setTimeout(r, 30));
        }
        return `essay about ${msg.content}`;
      },
    }),
  );
});
after(async () => b.dispose());

test("progress: a streamed request yields each progress event in order, then the answer", async () => {
  const req = await b.client.requestStream("Writer", "cats");
  const events: ProgressEvent[] = [];
  for await (const e of req.progress) events.push(e);
  assert.deepEqual(
    events.map((e) => [e.envelope.type, e.envelope.content, e.final]),
    [
      ["progress", "outline", false],
      ["progress", "draft", false],
      ["progress", "edit", false],
      ["response", "essay about cats", true],
    ],
  );
  assert.ok(events.every((e) => e.envelope.inReplyTo === req.id));
  assert.equal((await req.result).content, "essay about cats");
});

test("progress: a client that lost its place resumes after the last sequence it saw, without gaps", async () => {
  const req = await b.client.requestStream("Writer", "dogs");
  const firstTwo: ProgressEvent[] = [];
  for await (const e of req.progress) {
    firstTwo.push(e);
    if (firstTwo.length === 2) break; // the client "disconnects" here
  }
  await req.result;
  const rest: ProgressEvent[] = [];
  for await (const e of b.client.resumeProgress(req.id, firstTwo[1]!.seq)) rest.push(e);
  assert.deepEqual(
    [...firstTwo, ...rest].map((e) => e.envelope.content),
    ["outline", "draft", "edit", "essay about dogs"],
  );
});

test("progress: a plain request to the same handler is answered normally", async () => {
  assert.equal((await b.client.requestFromAgent("Writer", "birds")).content, "essay about birds");
});
