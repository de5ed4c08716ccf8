import { ConfigError } from "../errors.ts";
import { connectClient, type Client } from "../agent/client.ts";
import { createLogger, type Logger } from "../logger.ts";
import { loadConfig, type Config } from "../config/config.ts";
import { openBus, type Bus } from "../transport/bus.ts";
import type { Io } from "./io.ts";

/** The configuration from the environment, with `--server` in place of NATS_URL. */
export function cliConfig(io: Io, server: string | undefined): Config {
  try {
    return loadConfig(server === undefined ? io.env : { ...io.env, NATS_URL: server });
  } catch (err) {
    if (server !== undefined && err instanceof ConfigError && err.message.startsWith("NATS_URL:")) throw new ConfigError(err.message.replace(/^NATS_URL:/, "--server:"));
    throw err;
  }
}

// The runtime's log lines would bury the command's output; only errors show unless NATTER_LOG_LEVEL asks for more.
function cliLogger(io: Io, config: Config): Logger {
  return createLogger({ level: io.env.NATTER_LOG_LEVEL ? config.logLevel : "error", format: config.logFormat });
}

/**
 * Connects without provisioning: a debugging tool must not create or reconfigure streams
 * (an AGENTS stream with 3 replicas would be "updated" to this shell's NATTER_REPLICAS).
 */
export async function openCliBus(io: Io, server: string | undefined): Promise<Bus> {
  const config = cliConfig(io, server);
  return openBus(config, { name: "natter-cli", logger: cliLogger(io, config), provision: false });
}

/** Connects as agent `name` for send, ask and broadcast; closing it closes the connection. */
export async function openCliClient(io: Io, server: string | undefined, name: string): Promise<Client> {
  const bus = await openCliBus(io, server);
  try {
    const client = await connectClient({ name, config: bus.config, bus });
    const closeClient = client.close;
    return Object.assign(client, {
      close: async () => {
        await closeClient();
        await bus.close();
      },
    });
  } catch (err) {
    await bus.close();
    throw err;
  }
}
