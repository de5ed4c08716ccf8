import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { NatsAgentMixin, type Envelope } from "../../src/index.ts";
import { eventually, setup, type Bench } from "../helpers/in-process.ts";

/** An agent class that knows nothing of NATS, as in the seed. */
class OodaAgent {
  readonly worked: string[] = [];
  constructor(readonly name: string) {}
  run(content: string): string {
    return `${this.name} ran: ${content}`;
  }
  agenticRun(content: string, message: Envelope): string {
    this.worked.push(`${message.type}:${content}`);
    return "finished";
  }
}

class NatsOodaAgent extends NatsAgentMixin(OodaAgent) {}

let b: Bench;
let bot: NatsOodaAgent;
before(async () => {
  b = await setup();
  bot = new NatsOodaAgent("Legacy-Bot");
  await bot.connectNats(["legacy"], "an old agent class with NATS added", { config: b.config });
});
after(async () => {
  await bot.disconnectNats();
  await b.dispose();
});

test("mixin: requests call run(), direct messages and handoffs call agenticRun(), and it registers", async () => {
  assert.equal((await b.client.requestFromAgent("Legacy-Bot", "status?")).content, "Legacy-Bot ran: status?");
  await b.client.sendDirectMessage("Legacy-Bot", "do this");
  await b.client.handoffToAgent("Legacy-Bot", "take that");
  await eventually("both handled", () => bot.worked.length === 2);
  assert.deepEqual(bot.worked.sort(), ["direct:do this", "handoff:take that"]);
  const entry = await b.client.getAgent("Legacy-Bot");
  assert.deepEqual([entry?.status, entry?.capabilities, entry?.description], ["available", ["legacy"], "an old agent class with NATS added"]);
});

test("mixin: the five calls work from the instance", async () => {
  const other = new NatsOodaAgent("Other-Bot");
  await other.connectNats([], "", { config: b.config });
  try {
    assert.equal((await bot.requestFromAgent("Other-Bot", "ping")).content, "Other-Bot ran: ping");
    await bot.sendDirectMessage("Other-Bot", "note");
    await bot.handoffToAgent("Other-Bot", "yours now");
    await eventually("Other-Bot handled both", () => other.worked.length === 2);
    assert.equal((await bot.broadcastMessage("hello all")).envelope.type, "broadcast");
    assert.equal((await bot.announcePresence()).envelope.type, "announcement");
  } finally {
    await other.disconnectNats();
  }
  await assert.rejects(new NatsOodaAgent("Idle").sendDirectMessage("x", "y"), /Idle: call connectNats\(\) first/);
});
