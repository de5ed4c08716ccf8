import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { AuthorizationError, connect, credsAuthenticator, nkeyAuthenticator, ProtocolError, UserAuthenticationExpiredError, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import type { Config } from "../config/config.ts";
import { ConfigError, LOCAL_ERROR_CODES, NatterError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { retryDelayMs } from "./time.ts";

/** Options of {@link connectNats}. */
export interface ConnectOptions {
  /** Connection name shown by the server's monitoring; default `natter`. */
  name?: string;
  /** Subject prefix of this connection's request inboxes; default `_INBOX`. */
  inboxPrefix?: string;
  logger?: Logger;
  /**
   * While no server answers, keep trying for this long (ms; Infinity: until one does), logging each attempt.
   * Default 0: fail at once, as one-shot commands should. Bad credentials or TLS fail at once either way.
   */
  waitMs?: number;
}

/** Connects with the configured servers, credentials and TLS; reconnects forever once connected. */
export async function connectNats(config: Config, options: ConnectOptions = {}): Promise<NatsConnection> {
  const opts = connectionOptions(config, options);
  const waitMs = options.waitMs ?? 0;
  const started = Date.now();
  let nc: NatsConnection;
  let waited = false;
  for (let attempt = 1; ; attempt++) {
    try {
      nc = await connect(opts);
      break;
    } catch (cause) {
      const failure = describeConnectFailure(config, cause);
      const left = waitMs - (Date.now() - started);
      if (failure.code !== LOCAL_ERROR_CODES.connectFailed || left <= 0) {
        if (attempt === 1) throw failure;
        throw new NatterError(`${failure.message} (tried ${attempt} times over ${Math.round((Date.now() - started) / 1000)} s, the wait allowed ${waitMs} ms)`, failure.code, { cause });
      }
      const retryInMs = Math.min(retryDelayMs(attempt), left);
      waited = true;
      options.logger?.warn("nats.waiting", { servers: config.servers.join(","), attempt, retryInMs, error: (cause as Error).message });
      await sleep(retryInMs);
    }
  }
  if (waited) options.logger?.info("nats.connected", { servers: config.servers.join(","), waitedMs: Date.now() - started });
  if (options.logger) void logStatus(nc, config, options.logger);
  return nc;
}

/** The client options natter derives from its config. */
export function connectionOptions(config: Config, options: ConnectOptions = {}): NodeConnectionOptions {
  const opts: NodeConnectionOptions = {
    servers: config.servers,
    name: options.name ?? "natter",
    timeout: config.connectTimeoutMs,
    maxReconnectAttempts: -1,
    reconnectTimeWait: 500,
    pingInterval: 20_000,
    // Each request (every stored publish is one) would otherwise build two Error objects with stack traces up
    // front, in case it fails: an eighth of a busy sender's CPU. natter's own errors name what failed instead.
    noAsyncTraces: true,
  };
  if (options.inboxPrefix) opts.inboxPrefix = options.inboxPrefix;
  if (config.user !== undefined) {
    opts.user = config.user;
    opts.pass = config.password;
  }
  if (config.token !== undefined) opts.token = config.token;
  if (config.credsFile !== undefined) opts.authenticator = credsAuthenticator(readSecret(config.credsFile, "NATS_CREDS"));
  else if (config.nkeyFile !== undefined) opts.authenticator = nkeyAuthenticator(readSeed(config.nkeyFile));
  if (config.caFile || config.certFile) {
    opts.tls = {};
    if (config.caFile) opts.tls.caFile = config.caFile;
    if (config.certFile) opts.tls.certFile = config.certFile;
    if (config.keyFile) opts.tls.keyFile = config.keyFile;
  }
  return opts;
}

function readSecret(path: string, variable: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new ConfigError(`${variable}: cannot read ${path}: ${(cause as Error).message}`, { cause });
  }
}

function readSeed(path: string): Uint8Array {
  const text = new TextDecoder().decode(readSecret(path, "NATS_NKEY"));
  const seed = text.match(/\bSU[A-Z2-7]{56}\b/)?.[0];
  if (!seed) throw new ConfigError(`NATS_NKEY: ${path} holds no user nkey seed (a line starting with SU)`);
  return new TextEncoder().encode(seed);
}

function isAuthError(cause: unknown): boolean {
  if (cause instanceof AuthorizationError || cause instanceof UserAuthenticationExpiredError) return true;
  // The client has classes for three of the server's auth refusals; others (e.g. "User Authentication Revoked") come as a ProtocolError.
  return cause instanceof ProtocolError && /authenticat|authori[sz]/i.test(cause.message);
}

function describeConnectFailure(config: Config, cause: unknown): NatterError {
  const err = cause as Error & { code?: string };
  const text = `${err.name ?? ""} ${err.message ?? ""} ${err.code ?? ""}`.toLowerCase();
  const where = config.servers.join(", ");
  if (isAuthError(cause)) {
    return new NatterError(`authentication failed at ${where}: check NATS_USER/NATS_PASSWORD, NATS_TOKEN, NATS_NKEY or NATS_CREDS`, LOCAL_ERROR_CODES.authFailed, { cause });
  }
  // A server that requires a client certificate drops the handshake without a reason; the client only sees a timeout.
  if (config.caFile !== undefined && config.certFile === undefined && /timeout|closed|reset/.test(text)) {
    return new NatterError(`TLS connection to ${where} failed: ${err.message}; the server may require a client certificate (set NATS_CERT and NATS_KEY)`, LOCAL_ERROR_CODES.tlsFailed, { cause });
  }
  if (/tls|certificate|ssl|self.signed/.test(text)) {
    return new NatterError(`TLS handshake with ${where} failed: ${err.message} (check NATS_CA, NATS_CERT, NATS_KEY)`, LOCAL_ERROR_CODES.tlsFailed, { cause });
  }
  return new NatterError(`cannot connect to NATS at ${where}: ${err.message}`, LOCAL_ERROR_CODES.connectFailed, { cause });
}

async function logStatus(nc: NatsConnection, config: Config, log: Logger): Promise<void> {
  for await (const s of nc.status()) {
    switch (s.type) {
      case "disconnect":
        log.warn("nats.disconnected", { server: s.server });
        break;
      case "reconnecting":
        log.debug("nats.reconnecting");
        break;
      case "reconnect":
        log.info("nats.reconnected", { server: s.server });
        break;
      case "error":
        // nats.js closes the connection on the second auth error in a row; say so once, plainly.
        if (isAuthError(s.error)) log.error("nats.auth_failed", { error: describeConnectFailure(config, s.error).message });
        else log.error("nats.error", { error: s.error });
        break;
      case "slowConsumer":
        log.warn("nats.slow_consumer", { subject: s.sub.getSubject(), pending: s.pending });
        break;
      case "ldm":
        log.warn("nats.lame_duck", { server: s.server });
        break;
      default:
        break;
    }
  }
}
