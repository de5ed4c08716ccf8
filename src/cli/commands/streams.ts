import { ConfigError } from "../../index.ts";
import { provision, type StreamReport } from "../../transport/index.ts";
import { COMMON_FLAGS, EXIT, parseCommand, unexpectedArgument } from "../args.ts";
import type { Command } from "../command.ts";
import { flagHelp, switchFlag } from "../flags.ts";
import type { Io } from "../io.ts";
import { openCliBus } from "../session.ts";

const FLAGS = { ...COMMON_FLAGS, json: switchFlag("one JSON object per stream: stream, outcome, differences") };

/** `natter streams check|apply`: the shared stream and registry bucket, compared with (or changed to) this shell's settings. */
export const streamsCommand: Command = {
  name: "streams",
  summary: "compare the AGENTS stream and registry bucket with these settings, or apply them (admin)",
  help: `usage: natter streams check|apply [--json]

The AGENTS stream and the registry bucket are shared by every natter process. Hosts and clients create them
when missing but never change them: one whose settings differ logs stream.differs and uses the stricter
message size. Changing them is this admin step, run with the settings the network should have.

  check                list each setting on which the stream or bucket differs from these settings (exit 1 if any)
  apply                create what is missing and change the rest to these settings; the server refuses some
                       changes (storage, retention on some versions): the error says what to do then
${flagHelp(FLAGS, ["json", "server"])}

Settings read: NATTER_STREAM, NATTER_REGISTRY_BUCKET, NATTER_REPLICAS, NATTER_MAX_MESSAGE_BYTES,
NATTER_STREAM_MAX_BYTES, NATTER_HEARTBEAT_MS / NATTER_REGISTRY_TTL_MS.`,
  async run(argv, io) {
    const { flags, positionals } = parseCommand("streams", argv, FLAGS);
    const [action, extra] = positionals;
    if (action !== "check" && action !== "apply") throw new ConfigError(`natter streams: expected check or apply, got ${JSON.stringify(action ?? "")} (see natter streams --help)`);
    if (extra !== undefined) throw unexpectedArgument("streams", extra);
    const bus = await openCliBus(io, flags.server);
    try {
      const reports = await provision(bus.jsm, bus.config, undefined, { apply: action === "apply" });
      for (const report of reports) await show(io, report, flags.json === true);
      return action === "check" && reports.some((r) => r.outcome === "differs") ? EXIT.failure : EXIT.ok;
    } finally {
      await bus.close();
    }
  },
};

async function show(io: Io, report: StreamReport, json: boolean): Promise<void> {
  if (json) return io.out(JSON.stringify({ stream: report.stream, outcome: report.outcome, differences: report.differences }));
  const changes = report.differences.map((d) => `  ${d.key}: ${JSON.stringify(d.have)} ${report.outcome === "updated" ? "->" : "here"} ${JSON.stringify(d.want)}`);
  await io.out([`${report.stream}: ${report.outcome}`, ...changes].join("\n"));
}
