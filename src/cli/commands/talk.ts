import { text as readAll } from "node:stream/consumers";
import * as v from "valibot";
import { ConfigError } from "../../errors.ts";
import type { Client } from "../../agent/client.ts";
import { COMMON_FLAGS, EXIT, FLAG, duration, parseCommand, wholeNumber } from "../args.ts";
import type { Command } from "../command.ts";
import { flagHelp, switchFlag, valueFlag } from "../flags.ts";
import { preview } from "../format.ts";
import type { Io } from "../io.ts";
import { openCliClient } from "../session.ts";

const jsonObject = v.pipe(
  v.string(),
  v.rawTransform(({ dataset, addIssue, NEVER }) => {
    try {
      const parsed: unknown = JSON.parse(dataset.value);
      if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      // reported below
    }
    addIssue({ message: `expected a JSON object, e.g. '{"ticket":42}'` });
    return NEVER;
  }),
);
const priority = v.pipe(wholeNumber(1, "a priority from 1 (most urgent) to 5"), v.maxValue(5, "expected a priority from 1 (most urgent) to 5"));

/** Flags of every command that speaks as an agent. */
const TALK_FLAGS = {
  ...COMMON_FLAGS,
  as: valueFlag(FLAG.agentName, "speak as agent NAME", { value: "NAME", default: "cli" }),
  priority: valueFlag(priority, "1 (most urgent) to 5, default 3", { value: "N", short: "p" }),
  thread: valueFlag(FLAG.id, "attach to an existing conversation", { value: "ID" }),
  metadata: valueFlag(jsonObject, "a JSON object sent as the message's metadata", { value: "JSON", short: "m" }),
};
const TALK_HELP = `${flagHelp(TALK_FLAGS, ["as", "priority", "thread", "metadata", "server"])}
TEXT is the remaining arguments joined by spaces; "-" reads it from standard input.`;
/** The --json line of the commands that print what they stored. */
const STORED_JSON = switchFlag(`{"seq": N, "envelope": {...}}`);

const SEND_FLAGS = {
  ...TALK_FLAGS,
  notify: switchFlag("ask for the completion notice (it lands in the sender's mailbox, which nobody reads\nfor cli: see it with natter replay --to cli); off by default"),
  handoff: switchFlag("send as a handoff (urgent, plus a record on agents.handoff.FROM.to.AGENT)"),
  json: STORED_JSON,
};
const ASK_FLAGS = {
  ...TALK_FLAGS,
  timeout: valueFlag(duration, "how long to wait: 30s, 500ms, 2m, or a bare number of seconds (default NATTER_REQUEST_TIMEOUT_MS)", { value: "DUR" }),
  capability: valueFlag(v.string(), "ask the least busy live agent that has capability CAP (then AGENT is omitted)", { value: "CAP" }),
  json: switchFlag("the whole response envelope"),
};
const BROADCAST_FLAGS = { ...TALK_FLAGS, json: STORED_JSON };
const CANCEL_FLAGS = { ...TALK_FLAGS, json: switchFlag(`{"thread": "..."}`) };

/** `natter send AGENT TEXT`. */
export const sendCommand: Command = {
  name: "send",
  summary: "store a direct message in an agent's mailbox",
  help: `usage: natter send AGENT TEXT... [--notify] [--handoff] [options]

Stores TEXT in AGENT's mailbox (agents.direct.AGENT); it is delivered when AGENT runs, even if it is
offline now. Prints the stored sequence and the message id.

${flagHelp(SEND_FLAGS, ["notify", "handoff", "json"])}
${TALK_HELP}`,
  async run(argv, io) {
    const { flags, positionals } = parseCommand("send", argv, SEND_FLAGS);
    const [to, content] = await recipientAndText("send", positionals, io);
    return withClient(io, flags.server, flags.as, async (c) => {
      const options = { notify: flags.notify === true, ...(flags.priority ? { priority: flags.priority } : {}), ...(flags.thread ? { threadId: flags.thread } : {}) };
      const sent = flags.handoff ? await c.handoffToAgent(to, content, flags.metadata, options) : await c.sendDirectMessage(to, content, flags.metadata, options);
      await warnIfAbsent(io, c, to);
      if (flags.json) await io.out(JSON.stringify({ seq: sent.seq, envelope: sent.envelope }));
      else await io.out(`sent #${sent.seq} to ${to} (id ${sent.envelope.id}, thread ${sent.envelope.threadId ?? sent.envelope.id})`);
      return EXIT.ok;
    });
  },
};

/** `natter ask AGENT TEXT`. */
export const askCommand: Command = {
  name: "ask",
  summary: "ask an agent and print its answer (core request-reply)",
  help: `usage: natter ask AGENT TEXT... [--timeout 10s] [options]
       natter ask --capability CAP TEXT... [options]

Sends TEXT as a request to AGENT (agents.request.AGENT, one instance answers) and prints the answer's
content. Exit 3 when no instance is serving requests or none answered in time, 1 when its handler failed.

${flagHelp(ASK_FLAGS, ["timeout", "capability", "json"])}
${TALK_HELP}`,
  async run(argv, io) {
    const { flags, positionals } = parseCommand("ask", argv, ASK_FLAGS);
    const capability = flags.capability;
    let to: string | undefined;
    let content: string;
    if (capability !== undefined) {
      if (positionals.length === 0) throw new ConfigError('ask: expected TEXT, e.g. natter ask --capability weather "Paris?"');
      content = await textOf(positionals, io);
    } else [to, content] = await recipientAndText("ask", positionals, io);
    return withClient(io, flags.server, flags.as, async (c) => {
      const target = to ?? (await c.pickAgent(capability!));
      const response = await c.requestFromAgent(target, content, {
        signal: io.signal,
        ...(flags.timeout ? { timeoutMs: flags.timeout } : {}),
        ...(flags.metadata ? { metadata: flags.metadata } : {}),
        ...(flags.priority ? { priority: flags.priority } : {}),
        ...(flags.thread ? { threadId: flags.thread } : {}),
      });
      await io.out(flags.json ? JSON.stringify(response) : response.content);
      return EXIT.ok;
    });
  },
};

/** `natter broadcast TEXT`. */
export const broadcastCommand: Command = {
  name: "broadcast",
  summary: "tell every running agent something, on agents.all",
  help: `usage: natter broadcast TEXT... [options]

Publishes TEXT on agents.all (stored in the stream too); every running agent with an onBroadcast
handler hears it. Prints the stored sequence and the message id.

${flagHelp(BROADCAST_FLAGS, ["json"])}
${TALK_HELP}`,
  async run(argv, io) {
    const { flags, positionals } = parseCommand("broadcast", argv, BROADCAST_FLAGS);
    if (positionals.length === 0) throw new ConfigError('broadcast: expected TEXT, e.g. natter broadcast "deploy at noon"');
    const content = await textOf(positionals, io);
    return withClient(io, flags.server, flags.as, async (c) => {
      const sent = await c.broadcastMessage(content, flags.metadata, { ...(flags.priority ? { priority: flags.priority } : {}), ...(flags.thread ? { threadId: flags.thread } : {}) });
      if (flags.json) await io.out(JSON.stringify({ seq: sent.seq, envelope: sent.envelope }));
      else await io.out(`broadcast #${sent.seq} ${preview(content)} (id ${sent.envelope.id})`);
      return EXIT.ok;
    });
  },
};

/** `natter cancel THREAD`. */
export const cancelCommand: Command = {
  name: "cancel",
  summary: "cancel a conversation: every agent working on the thread stops",
  help: `usage: natter cancel THREAD_ID [REASON...] [options]

Publishes a cancellation of THREAD_ID on agents.cancel. Every running agent aborts the handlers working on
that thread (their ctx.signal fires) and skips its queued messages; senders get a "cancelled" notice.

${flagHelp(CANCEL_FLAGS, ["json"])}
${TALK_HELP}`,
  async run(argv, io) {
    const { flags, positionals } = parseCommand("cancel", argv, CANCEL_FLAGS);
    const [thread, ...reason] = positionals;
    const id = v.safeParse(FLAG.id, thread);
    if (thread === undefined || !id.success) throw new ConfigError(`THREAD_ID: expected the id of a conversation (natter replay shows thread=…), got ${JSON.stringify(thread ?? "")}`);
    return withClient(io, flags.server, flags.as, async (c) => {
      await c.cancel(thread, reason.length > 0 ? reason.join(" ") : "cancelled from the natter CLI");
      await io.out(flags.json ? JSON.stringify({ thread }) : `cancelled thread ${thread}`);
      return EXIT.ok;
    });
  },
};

async function recipientAndText(command: string, positionals: readonly string[], io: Io): Promise<[string, string]> {
  const [to, ...words] = positionals;
  if (to === undefined || words.length === 0) throw new ConfigError(`${command}: expected AGENT and TEXT, e.g. natter ${command} Echo "hello"`);
  const name = v.safeParse(FLAG.agentName, to);
  if (!name.success) throw new ConfigError(`AGENT: ${name.issues[0]!.message}, got ${JSON.stringify(to)}`);
  return [to, await textOf(words, io)];
}

async function textOf(words: readonly string[], io: Io): Promise<string> {
  if (words.length === 1 && words[0] === "-") {
    if (io.stdinIsTTY) throw new ConfigError('TEXT: "-" reads standard input, which is a terminal; pipe the text in');
    return (await readAll(process.stdin)).replace(/\n$/, "");
  }
  return words.join(" ");
}

async function withClient(io: Io, server: string | undefined, as: string, run: (c: Client) => Promise<number>): Promise<number> {
  const client = await openCliClient(io, server, as);
  try {
    return await run(client);
  } finally {
    await client.close();
  }
}

async function warnIfAbsent(io: Io, c: Client, to: string): Promise<void> {
  const agent = await c.getAgent(to);
  if (!agent || agent.status === "offline") io.err(`note: agent ${to} is not running; the message waits in its mailbox until it starts`);
}
