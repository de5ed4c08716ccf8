import { listAgents, watchAgents } from "../../inspect/agents.ts";
import type { AgentInfo } from "../../registry/query.ts";
import { COMMON_FLAGS, EXIT, parseCommand, unexpectedArgument } from "../args.ts";
import type { Command } from "../command.ts";
import { flagHelp, switchFlag } from "../flags.ts";
import { formatAgents } from "../format.ts";
import type { Io } from "../io.ts";
import { openCliBus } from "../session.ts";

const FLAGS = {
  ...COMMON_FLAGS,
  watch: switchFlag("keep the list up to date (a KV watch); redraws on a terminal, prints a new list per change otherwise", "w"),
  json: switchFlag("a JSON array of agents with their instance records (with --watch: one array per line)"),
};

/** `natter agents`: the registry. */
export const agentsCommand: Command = {
  name: "agents",
  summary: "the agents in the registry: status, instances, load, capabilities, heartbeat age",
  help: `usage: natter agents [--watch] [--json]

Lists the agents in the registry (KV bucket natter-registry), one line per agent over all its instances:
status (available if any instance is, else busy, else offline), instances, load/capacity, capabilities
and the age of the newest heartbeat. Instances vanish when their heartbeat is 3 beats old.

${flagHelp(FLAGS, ["watch", "json", "server"])}`,
  async run(argv, io) {
    const { flags, positionals } = parseCommand("agents", argv, FLAGS);
    if (positionals.length) throw unexpectedArgument("agents", positionals[0]!);
    const bus = await openCliBus(io, flags.server);
    try {
      if (!flags.watch) {
        await show(io, await listAgents(bus), flags.json === true);
        return EXIT.ok;
      }
      let last = "";
      // A terminal redraws every second (ages move); a pipe gets a new list only when who is there, or how, changes.
      const draw = async (agents: AgentInfo[]) => {
        const key = JSON.stringify(agents.map((a) => [a.name, a.status, a.load, a.capabilities, a.instances.map((i) => i.instanceId)]));
        if (!io.stdoutIsTTY && key === last) return;
        last = key;
        io.clearScreen();
        if (io.stdoutIsTTY && !flags.json) await io.out(`natter agents --watch   ${new Date().toISOString()}   (Ctrl-C to stop)\n`);
        await show(io, agents, flags.json === true);
        if (!io.stdoutIsTTY && !flags.json) await io.out("");
      };
      const watch = await watchAgents(bus, { onChange: (s) => void draw(s.agents) });
      // Expired instances drop out without any KV event, so look again every second.
      const timer = setInterval(() => void draw(watch.current().agents), 1000);
      await io.interrupted();
      clearInterval(timer);
      await watch.stop();
      return EXIT.ok;
    } finally {
      await bus.close();
    }
  },
};

async function show(io: Io, agents: AgentInfo[], json: boolean): Promise<void> {
  if (json) return io.out(JSON.stringify(agents));
  if (agents.length === 0) return io.out("no agents in the registry");
  for (const line of formatAgents(agents)) await io.out(line);
}

