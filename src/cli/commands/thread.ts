import { readThread, walkThread } from "../../inspect/thread.ts";
import { COMMON_FLAGS, EXIT, FLAG, parseCommand, unexpectedArgument } from "../args.ts";
import type { Command } from "../command.ts";
import { flagHelp, switchFlag } from "../flags.ts";
import { formatThread, threadJson } from "../format.ts";
import { ConfigError } from "../../errors.ts";
import * as v from "valibot";
import { openCliBus } from "../session.ts";

const FLAGS = { ...COMMON_FLAGS, json: switchFlag(`{"thread": ID, "messages": N, "roots": [message with "replies": [...]]}`) };

/** `natter thread ID`: one conversation as a tree. */
export const threadCommand: Command = {
  name: "thread",
  summary: "one conversation as a tree of who asked whom",
  help: `usage: natter thread ID [--json]

Reads the stored messages of conversation ID (a thread id, or the id of the message that started it;
natter replay shows thread=ID on every line) and prints them as a tree: each message under the one it
answers (inReplyTo) or, failing that, under the message its sender was handling. Dead letters hang under
their original. Requests and responses are core NATS and not stored, so they are not in the tree
(watch them live with natter tail --thread ID).

${flagHelp(FLAGS, ["json", "server"])}`,
  async run(argv, io) {
    const { flags, positionals } = parseCommand("thread", argv, FLAGS);
    const [id, extra] = positionals;
    if (id === undefined) throw new ConfigError("thread: expected a thread ID, e.g. natter thread 6Kx2Yh0c8Hn1xTqPd3Wm0a (see natter thread --help)");
    if (extra !== undefined) throw unexpectedArgument("thread", extra);
    const idCheck = v.safeParse(FLAG.id, id);
    if (!idCheck.success) throw new ConfigError(`thread ID: ${idCheck.issues[0]!.message}, got ${JSON.stringify(id)}`);
    const bus = await openCliBus(io, flags.server);
    try {
      const roots = await readThread(bus, id, { signal: io.signal });
      const count = [...walkThread(roots)].length;
      if (flags.json) {
        await io.out(JSON.stringify({ thread: id, messages: count, roots: threadJson(roots) }));
      } else if (count > 0) {
        await io.out(`thread ${id}: ${count} stored message${count === 1 ? "" : "s"} (requests and responses are core NATS and not stored)`);
        for (const line of formatThread(roots)) await io.out(line);
      }
      if (count === 0) {
        io.err(`natter: no stored messages in thread ${id}`);
        return EXIT.failure;
      }
      return EXIT.ok;
    } finally {
      await bus.close();
    }
  },
};
