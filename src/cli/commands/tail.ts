import { ConfigError } from "../../errors.ts";
import { tailTraffic } from "../../inspect/tail.ts";
import { COMMON_FLAGS, EXIT, FILTER_FLAGS, FILTER_HELP, parseCommand, toFilter, unexpectedArgument, wholeNumber } from "../args.ts";
import type { Command } from "../command.ts";
import { flagHelp, switchFlag, valueFlag } from "../flags.ts";
import { formatFull, formatMessage, messageJson } from "../format.ts";
import { openCliBus } from "../session.ts";

const FLAGS = {
  ...COMMON_FLAGS,
  ...FILTER_FLAGS,
  full: switchFlag("whole envelopes"),
  json: switchFlag("one JSON object per line"),
  limit: valueFlag(wholeNumber(1, "how many messages to show"), "exit after N messages", { value: "N", short: "n" }),
};

/** `natter tail`: live traffic. */
export const tailCommand: Command = {
  name: "tail",
  summary: "live traffic: stored messages as they arrive, plus core requests and responses",
  help: `usage: natter tail [filters] [--full | --json] [--limit N]

Follows agent traffic live until Ctrl-C: new messages on the AGENTS stream (ordered consumer from now,
or from --since / --from-seq), plus core requests (agents.request.*) and responses (agents.response.*.*),
which are not stored and show with "core" in place of a sequence. Lines look like natter replay's.

Filters (all optional, all must match; --until does not apply):
${FILTER_HELP}

Output:
${flagHelp(FLAGS, ["full", "json", "limit", "server"])}`,
  async run(argv, io) {
    const { flags, positionals } = parseCommand("tail", argv, FLAGS);
    if (positionals.length) throw unexpectedArgument("tail", positionals[0]!);
    if (flags.until) throw new ConfigError("--until: a tail has no end; use natter replay for a time window");
    if (flags.full && flags.json) throw new ConfigError("--full: cannot be combined with --json (JSON already holds whole envelopes)");
    const filter = toFilter(flags);
    const bus = await openCliBus(io, flags.server);
    try {
      let shown = 0;
      const enough = new AbortController();
      let writing = Promise.resolve();
      const tail = await tailTraffic(bus, {
        filter,
        onMessage: (m) => {
          if (enough.signal.aborted) return;
          if (flags.limit !== undefined && ++shown >= flags.limit) enough.abort();
          writing = writing.then(() => io.out(flags.json ? JSON.stringify(messageJson(m)) : flags.full ? formatFull(m) + "\n" : formatMessage(m)));
        },
      });
      io.err(`natter: tailing stream ${bus.config.stream} and core requests/responses (Ctrl-C to stop)`);
      await Promise.race([io.interrupted(), new Promise<void>((resolve) => enough.signal.addEventListener("abort", () => resolve(), { once: true })), tail.done]);
      await tail.stop();
      await writing;
      return EXIT.ok;
    } finally {
      await bus.close();
    }
  },
};
