import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, createLogger, defineAgent, loadAgentModules, startHost, ValidationError, type Host } from "../../src/index.ts";
import { eventually } from "../helpers/eventually.ts";
import { setup, type Bench } from "../helpers/in-process.ts";

test("definition: a misspelled key throws naming it, with the key it is closest to", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ name: "T", capabilties: ["x"] }, /unknown key "capabilties" \(did you mean "capabilities"\?\)/],
    [{ name: "T", onmessage: () => "x" }, /unknown key "onmessage" \(did you mean "onMessage"\?\)/],
    [{ name: "T", colour: "red" }, /unknown key "colour"; an agent definition takes name, description, capabilities/],
    [{ name: "T", concurrency: 0 }, /concurrency: must be at least 1/],
  ];
  for (const [definition, message] of cases) assert.throws(() => defineAgent(definition as never), (err: unknown) => err instanceof ValidationError && message.test(err.message));
});

test("definition: an agent module exporting a plain object with a bad field is refused naming the field", async () => {
  const dir = mkdtempSync(join(tmpdir(), "natter-def-"));
  try {
    const path = join(dir, "bad.mjs");
    writeFileSync(path, `export default { name: "Bad", descripton: "typo", onMessage() {} };\n`);
    await assert.rejects(loadAgentModules([path]), (err: unknown) => err instanceof ConfigError && /bad\.mjs: .*unknown key "descripton" \(did you mean "description"\?\)/.test(err.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

let bench: Bench;
before(async () => {
  bench = await setup();
});
after(async () => bench?.dispose());

test("definition: two different agents under one name warn, naming both instances; two copies of one do not", async () => {
  const lines: string[] = [];
  const logger = createLogger({ level: "warn", format: "json", write: (l) => lines.push(l) });
  const hosts: Host[] = [];
  const translator = (description: string) => defineAgent({ name: "Translator", description, capabilities: ["translate"], onRequest: () => description });
  try {
    hosts.push(await startHost({ agents: [translator("German")], config: bench.config, logger }));
    hosts.push(await startHost({ agents: [translator("German")], config: bench.config, logger }));
    hosts.push(await startHost({ agents: [translator("French")], config: bench.config, logger }));
    const conflicts = () => lines.map((l) => JSON.parse(l) as Record<string, string>).filter((l) => l.event === "agent.name_conflict");
    // The newcomer warns about each of the two German instances, and each of them about the newcomer.
    await eventually("four name_conflict warnings", async () => (conflicts().length >= 4 ? true : undefined));
    assert.equal(conflicts().length, 4, lines.join("\n"));
    const french = hosts[2]!.agents[0]!.instanceId;
    for (const c of conflicts()) {
      assert.match(`${c.this} | ${c.other}`, new RegExp(`Translator instance ${french} .*description "French"`));
      assert.match(`${c.this} | ${c.other}`, /description "German"/);
      assert.equal(c.differs, "description");
    }
  } finally {
    await Promise.all(hosts.map((h) => h.stop()));
  }
});
