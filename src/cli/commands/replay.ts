import { ConfigError } from "../../errors.ts";
import { isCoreOnlySubject } from "../../inspect/filter.ts";
import { listAgents } from "../../inspect/agents.ts";
import { prepareRedelivery, redeliver } from "../../inspect/redeliver.ts";
import { readStream } from "../../inspect/read.ts";
import type { ReadProgress } from "../../inspect/types.ts";
import type { Bus } from "../../transport/bus.ts";
import { COMMON_FLAGS, EXIT, FILTER_FLAGS, FILTER_HELP, parseCommand, toFilter, unexpectedArgument, wholeNumber } from "../args.ts";
import type { Command } from "../command.ts";
import { flagHelp, switchFlag, valueFlag, type FlagValues } from "../flags.ts";
import { formatFull, formatMessage, messageJson } from "../format.ts";
import type { Io } from "../io.ts";
import { openCliBus } from "../session.ts";

const FLAGS = {
  ...COMMON_FLAGS,
  ...FILTER_FLAGS,
  full: switchFlag("whole envelopes"),
  json: switchFlag("one JSON object per line: seq, subject, channel, recipient, time, envelope, deadLetter"),
  limit: valueFlag(wholeNumber(1, "how many messages to show"), "stop after N messages", { value: "N", short: "n" }),
  redeliver: valueFlag(
    wholeNumber(1, "the stream sequence of the message to redeliver"),
    "store a copy of message SEQ (a mailbox message or a dead letter) in AGENT's mailbox,\nwith a new id and metadata.replayOf = SEQ; asks first",
    { value: "SEQ" },
  ),
  yes: switchFlag("do not ask (needed when standard input is not a terminal)", "y"),
};
/** With --redeliver, --to names the agent that gets the copy: its own help line. */
const REDELIVER_TO = { to: { ...FILTER_FLAGS.to, value: "AGENT", help: "the agent to deliver it to" } };
type Flags = FlagValues<typeof FLAGS>;

/** `natter replay`: stored messages, oldest first; or redeliver one. */
export const replayCommand: Command = {
  name: "replay",
  summary: "stored messages oldest first, filtered; --redeliver SEQ --to AGENT re-runs one",
  help: `usage: natter replay [filters] [--full | --json] [--limit N]
       natter replay --redeliver SEQ --to AGENT [--yes] [--json]

Reads the AGENTS stream oldest first through an ordered consumer (ephemeral; agents' mailbox consumers
are not touched) and prints one line per message: time (UTC), #seq, type, from → to, priority, content
preview, thread id; dead letters say why they failed. Requests and responses are core NATS and not stored
(see natter tail). On a terminal a progress line shows on standard error.

Filters (all optional, all must match):
${FILTER_HELP}

Output:
${flagHelp(FLAGS, ["full", "json", "limit", "server"])}

Redelivery (re-run a failed case):
${flagHelp(FLAGS, ["redeliver"])}
${flagHelp(REDELIVER_TO)}
${flagHelp(FLAGS, ["yes"])}

Examples:
  natter replay --dead-letters --since 1h        what failed in the last hour
  natter replay --thread 6Kx2… --full            one conversation, whole envelopes
  natter replay --redeliver 42 --to Echo         run message 42 again`,
  async run(argv, io) {
    const { flags, positionals } = parseCommand("replay", argv, FLAGS);
    if (positionals.length) throw unexpectedArgument("replay", positionals[0]!);
    if (flags.full && flags.json) throw new ConfigError("--full: cannot be combined with --json (JSON already holds whole envelopes)");
    if (flags.redeliver === undefined && flags.yes) throw new ConfigError("--yes: only applies to --redeliver");
    if (flags.subject && isCoreOnlySubject(flags.subject)) throw new ConfigError("--subject: requests and responses are core NATS and never stored; watch them with natter tail");
    const redeliverSeq = flags.redeliver;
    if (redeliverSeq !== undefined) checkRedeliverFlags(flags);
    const filter = toFilter(flags);
    const bus = await openCliBus(io, flags.server);
    try {
      if (redeliverSeq !== undefined) return await redeliverOne(io, bus, redeliverSeq, flags.to!, flags);
      return await replay(io, bus, filter, flags);
    } finally {
      await bus.close();
    }
  },
};

function checkRedeliverFlags(flags: Flags): void {
  if (!flags.to) throw new ConfigError("--to: --redeliver needs the agent to deliver to, e.g. --redeliver 42 --to Echo");
  const stray = Object.keys(FILTER_FLAGS).find((k) => k !== "to" && flags[k as keyof typeof FILTER_FLAGS] !== undefined);
  if (stray) throw new ConfigError(`--${stray}: filters do not apply to --redeliver, which takes one sequence`);
  if (flags.full || flags.limit !== undefined) throw new ConfigError(`--${flags.full ? "full" : "limit"}: does not apply to --redeliver`);
}

async function replay(io: Io, bus: Bus, filter: ReturnType<typeof toFilter>, flags: Flags): Promise<number> {
  let last: ReadProgress = { scanned: 0, total: 0, matched: 0 };
  let shownAt = 0;
  const onProgress = (p: ReadProgress) => {
    last = { ...p };
    const now = Date.now();
    if (now - shownAt < 100) return;
    shownAt = now;
    io.progress(`replay: ${p.scanned.toLocaleString("en")}/${p.total.toLocaleString("en")} scanned, ${p.matched.toLocaleString("en")} matched`);
  };
  let shown = 0;
  for await (const m of readStream(bus, { filter, onProgress, signal: io.signal })) {
    await io.out(flags.json ? JSON.stringify(messageJson(m)) : flags.full ? formatFull(m) + "\n" : formatMessage(m));
    if (++shown === flags.limit) break;
  }
  io.clearProgress();
  if (io.signal.aborted) return EXIT.interrupted;
  if (!flags.json) io.err(shown === 0 ? `no messages matched (${last.scanned} scanned)` : `${shown} message${shown === 1 ? "" : "s"} shown (${last.scanned} scanned)`);
  return EXIT.ok;
}

async function redeliverOne(io: Io, bus: Bus, seq: number, to: string, flags: Flags): Promise<number> {
  const prepared = await prepareRedelivery(bus, seq, to);
  const running = (await listAgents(bus)).find((a) => a.name === to && a.status !== "offline");
  if (!flags.json) {
    io.err(`message: ${formatMessage(prepared.original)}`);
    io.err(`will store a copy in ${to}'s mailbox (new id ${prepared.envelope.id}, metadata.replayOf=${seq})`);
  }
  if (!running) io.err(`note: agent ${to} is not running; the copy waits in its mailbox until it starts`);
  if (!flags.yes) {
    if (!io.stdinIsTTY) throw new ConfigError("--yes: standard input is not a terminal, so natter cannot ask; add --yes to redeliver");
    if (!(await io.confirm(`Redeliver #${seq} to ${to}?`))) {
      io.err("not redelivered");
      return EXIT.failure;
    }
  }
  const sent = await redeliver(bus, prepared);
  if (flags.json) await io.out(JSON.stringify({ replayOf: seq, seq: sent.seq, envelope: sent.envelope }));
  else await io.out(`redelivered #${seq} to ${to} as #${sent.seq} (id ${sent.envelope.id}, thread ${sent.envelope.threadId ?? sent.envelope.id})`);
  return EXIT.ok;
}
