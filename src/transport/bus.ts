import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { Config } from "../config/config.ts";
import { ConfigError, LOCAL_ERROR_CODES, NatterError } from "../errors.ts";
import { createLogger, type Logger } from "../logger.ts";
import { doneWithin } from "./bounded.ts";
import { isJetStreamOff, JetStreamHealth } from "./health.ts";
import { connectNats, type ConnectOptions } from "./connect.ts";
import { retryUntilReady } from "./ready.ts";
import { fitToStreams, provision } from "./streams.ts";

/** How long a stopping step (a write, a drain) waits for the server: a second, or a glance while it is away. */
const STOP_STEP_MS = { connected: 1000, away: 100 } as const;

/** One NATS connection with its JetStream, manager and registry bucket handles. */
export interface Bus {
  readonly config: Config;
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  /** The registry KV bucket. */
  readonly registry: KV;
  readonly log: Logger;
  /** Says once when JetStream goes away and once when it is back. */
  readonly health: JetStreamHealth;
  /**
   * How long one step of a stop (a registry write, an announcement, a drain) may wait for the server: 1 s while
   * connected, 100 ms while the connection is down, where the write is only tried and the stop must not wait.
   */
  stopStepMs(): number;
  /**
   * Drains the connection (in-flight publishes and acks are flushed first) for up to `drainMs` (default
   * {@link Bus.stopStepMs}), then closes it: a server that is away must not hold a stop. True when it drained.
   */
  close(drainMs?: number): Promise<boolean>;
}

/** Options of {@link openBus}. */
export interface OpenBusOptions extends ConnectOptions {
  /** Create or update the streams and bucket first (default true). */
  provision?: boolean;
  /** An existing connection to use instead of connecting; it is not closed by `close()`. */
  connection?: NatsConnection;
}

/** Connects, provisions streams (idempotent) and opens the registry bucket. */
export async function openBus(config: Config, options: OpenBusOptions = {}): Promise<Bus> {
  const log = options.logger ?? createLogger({ level: config.logLevel, format: config.logFormat });
  const owned = options.connection === undefined;
  const nc = options.connection ?? (await connectNats(config, { ...options, logger: log }));
  try {
    checkMaxPayload(config, nc);
    // A cluster that has just started has no JetStream leader for a few seconds: wait for it within a bound.
    const { jsm, js, registry, reports } = await retryUntilReady(
      "setting up JetStream",
      async () => {
        const jsm = await jetstreamManager(nc, { timeout: config.requestTimeoutMs });
        const reports = options.provision !== false ? await provision(jsm, config, log) : [];
        const js = jetstream(nc, { timeout: config.requestTimeoutMs });
        return { jsm, js, registry: await new Kvm(js).open(config.registryBucket), reports };
      },
      { deadlineMs: config.provisionTimeoutMs, deadlineSetting: "NATTER_PROVISION_TIMEOUT_MS", log },
    );
    let connected = true;
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type === "disconnect") connected = false;
        else if (s.type === "reconnect") connected = true;
      }
    })();
    const stopStepMs = () => (connected && !nc.isClosed() ? STOP_STEP_MS.connected : STOP_STEP_MS.away);
    return {
      config: fitToStreams(config, reports, log),
      nc,
      js,
      jsm,
      registry,
      log,
      health: new JetStreamHealth(log),
      stopStepMs,
      close: async (drainMs = stopStepMs()) => {
        if (!owned || nc.isClosed()) return true;
        const drained = await doneWithin(nc.drain(), drainMs);
        if (!drained) await nc.close().catch(() => undefined);
        return drained;
      },
    };
  } catch (err) {
    if (owned) await nc.close();
    throw isJetStreamOff(err)
      ? new NatterError(`jetstream is not enabled at ${config.servers.join(", ")} (start nats-server with -js, or point NATS_URL at one that has JetStream)`, LOCAL_ERROR_CODES.jetstreamDisabled, { cause: err })
      : err;
  }
}

/** A message size the server would refuse to carry is a setup mistake: say so at connect, not at the first large send. */
function checkMaxPayload(config: Config, nc: NatsConnection): void {
  const maxPayload = nc.info?.max_payload;
  if (maxPayload !== undefined && config.maxMessageBytes > maxPayload) {
    throw new ConfigError(
      `NATTER_MAX_MESSAGE_BYTES (${config.maxMessageBytes}) is above the server's max_payload (${maxPayload}): lower it, or raise max_payload in the nats-server config`,
    );
  }
}
