import type { Config } from "../config/config.ts";
import { LOCAL_ERROR_CODES, NatterError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Envelope } from "../protocol/envelope.ts";
import type { AgentContext, RequestOptions, Sent } from "./context.ts";
import { defineAgent } from "./define.ts";
import { startHost, type Host } from "./host.ts";

/** What an existing agent class must have to gain NATS: a name, `run()` for requests, `agenticRun()` for direct messages. */
export interface RunnableAgent {
  readonly name: string;
  /** Answers a request; the value returned is the response. */
  run(content: string, message: Envelope): Promise<string> | string;
  /** Works on a direct message or handoff; a returned string becomes the completion notice. */
  agenticRun(content: string, message: Envelope): Promise<string | void> | string | void;
}

/** Options of `connectNats`. */
export interface ConnectNatsOptions {
  /** Default: loadConfig() from the environment. */
  config?: Config;
  logger?: Logger;
  /** Handlers at once; default NATTER_CONCURRENCY. */
  concurrency?: number;
}

// TypeScript requires a mixin's base constructor to take `...args: any[]`; nothing typed `any` escapes it.
type Constructor<T> = new (...args: any[]) => T;

/**
 * The seed's NATSAgentMixin: gives a class with `run()` / `agenticRun()` the seed's API. Requests call `run()`,
 * direct messages and handoffs call `agenticRun()`, both through a durable mailbox and the registry.
 *
 * ```ts
 * class WeatherBot extends NatsAgentMixin(MyOodaAgent) {}
 * const bot = new WeatherBot(...); await bot.connectNats(["weather"], "forecasts");
 * ```
 */
export function NatsAgentMixin<TBase extends Constructor<RunnableAgent>>(Base: TBase) {
  return class NatsAgent extends Base {
    #host: Host | undefined;

    /** Connects, registers with `capabilities` and `description`, and starts handling messages. */
    async connectNats(capabilities: string[] = [], description = "", options: ConnectNatsOptions = {}): Promise<void> {
      if (this.#host) return;
      const agent = defineAgent({
        name: this.name,
        description,
        capabilities,
        ...(options.concurrency ? { concurrency: options.concurrency } : {}),
        onRequest: (msg) => this.run(msg.content, msg),
        onMessage: async (msg) => (await this.agenticRun(msg.content, msg)) ?? undefined,
      });
      this.#host = await startHost({ agents: [agent], config: options.config, logger: options.logger });
    }

    /** Announces offline, finishes or hands back running work, and disconnects. */
    async disconnectNats(): Promise<void> {
      const host = this.#host;
      this.#host = undefined;
      await host?.stop();
    }

    async sendDirectMessage(to: string, content: string, metadata?: Record<string, unknown>): Promise<Sent> {
      return this.#nats().sendDirectMessage(to, content, metadata);
    }
    async requestFromAgent(to: string, content: string, options?: RequestOptions): Promise<Envelope> {
      return this.#nats().requestFromAgent(to, content, options);
    }
    async handoffToAgent(to: string, content: string, metadata?: Record<string, unknown>): Promise<Sent> {
      return this.#nats().handoffToAgent(to, content, metadata);
    }
    async broadcastMessage(content: string, metadata?: Record<string, unknown>): Promise<Sent> {
      return this.#nats().broadcastMessage(content, metadata);
    }
    async announcePresence(): Promise<Sent> {
      return this.#nats().announcePresence();
    }

    #nats(): AgentContext {
      const runtime = this.#host?.agents[0];
      if (!runtime) throw new NatterError(`${this.name}: call connectNats() first`, LOCAL_ERROR_CODES.notConnected);
      return runtime.context;
    }
  };
}
