import { setMaxListeners } from "node:events";
import type { Config } from "../config/config.ts";
import { loadConfig } from "../config/config.ts";
import { AbortedError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { newId } from "../protocol/envelope.ts";
import { assertAgentName } from "../protocol/names.ts";
import { Requester } from "../rpc/call.ts";
import { agentConnection, agentSigner } from "../security/identity.ts";
import { answerCheck, startVerifier } from "../security/verify.ts";
import { openBus, type Bus } from "../transport/bus.ts";
import { Context, type AgentContext, type ContextOwner } from "./context.ts";
import { createSealing } from "./sealing.ts";

/** Options of {@link connectClient}. */
export interface ClientOptions {
  /** Name the client speaks as (default `client`); it is not registered and has no mailbox consumer. */
  name?: string;
  /** Default: {@link loadConfig} from the environment. */
  config?: Config;
  /** Default: a logger at NATTER_LOG_LEVEL writing to standard error. */
  logger?: Logger;
  /** Share an open bus instead of connecting. */
  bus?: Bus;
}

/** A client: the agent API without handlers, for scripts, the CLI and tests. */
export interface Client extends AgentContext {
  /** The client's connection, JetStream and registry handles. */
  readonly bus: Bus;
  /** Drains and closes the connection (unless it was shared through `bus`). */
  close(): Promise<void>;
}

/** Connects a client that can send, ask, hand off, broadcast and query the registry. */
export async function connectClient(options: ClientOptions = {}): Promise<Client> {
  const name = assertAgentName(options.name ?? "client");
  const config = options.config ?? loadConfig();
  // With per-agent credentials a client speaks as `name` with that name's user; it does not provision.
  const own = options.bus ? undefined : agentConnection(config, name);
  const bus =
    options.bus ??
    (own
      ? await openBus(own.config, { name: `natter-client-${name}`, inboxPrefix: own.inboxPrefix, provision: false, logger: options.logger })
      : await openBus(config, { name: `natter-client-${name}`, logger: options.logger }));
  const stopping = new AbortController();
  // Every request in flight listens to it: many at once are normal, not a leak.
  setMaxListeners(0, stopping.signal);
  const signer = agentSigner(config, name);
  // Answers and progress are checked as agents check what they receive.
  const verifier = await startVerifier(bus.registry, config, bus.log).catch(async (err: unknown) => {
    if (!options.bus) await bus.close();
    throw err;
  });
  // A client is not registered: nobody seals mail to it unasked, and it needs no lasting key; answers and notices
  // to what it sealed come back sealed to the key it sent with.
  const sealing = createSealing(config, name, { registry: bus.registry, verifier, log: bus.log, warnEphemeral: false });
  const requester = new Requester(bus.nc, name, bus.config.maxMessageBytes, signer?.sign, answerCheck(verifier));
  requester.open = (answer) => sealing.open(answer);
  const owner: ContextOwner = {
    bus,
    name,
    instanceId: newId(),
    requester,
    sealing,
    signer,
    verifier,
    log: bus.log.child({ client: name }),
    signal: stopping.signal,
    announcement: (status) => ({ status, client: true }),
  };
  const ctx = new Context(owner);
  return Object.assign(ctx, {
    bus,
    close: async () => {
      stopping.abort(new AbortedError("client closed"));
      owner.requester.close();
      verifier?.stop();
      if (!options.bus) await bus.close();
    },
  });
}
