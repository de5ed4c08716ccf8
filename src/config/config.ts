import * as v from "valibot";
import { ConfigError } from "../errors.ts";
import { DEFAULT_REGISTRY_BUCKET, DEFAULT_STREAM, StreamNameSchema } from "../protocol/tokens.ts";

/** An environment value of digits from `min` to `max`, parsed to a number; the message names the range. */
export const int = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  v.pipe(
    v.string(),
    v.regex(/^\d+$/, `expected a whole number from ${min} to ${max}`),
    v.transform((digits: string) => Number(digits)),
    v.minValue(min, `expected a whole number from ${min} to ${max}`),
    v.maxValue(max, `expected a whole number from ${min} to ${max}`),
  );
const text = v.pipe(v.string(), v.minLength(1, "expected a non-empty value"));
const servers = v.pipe(
  v.string(),
  v.transform((s) => s.split(",").map((u) => u.trim()).filter(Boolean)),
  v.minLength(1, "expected one or more server URLs separated by commas"),
  v.check((urls) => urls.every((u) => /^(nats|tls|ws|wss):\/\/[^\s]+$|^[\w.-]+:\d+$/.test(u)), "expected URLs like nats://127.0.0.1:4222"),
);
const delays = v.pipe(
  v.string(),
  v.regex(/^\d+(,\d+)*$/, "expected comma-separated milliseconds like 1000,5000,30000"),
  v.transform((s) => s.split(",").map(Number)),
);

/** Every setting, its environment variable, its parser and its default (strings, parsed like the environment). */
const SETTINGS = {
  servers: { env: "NATS_URL", schema: servers, fallback: "nats://127.0.0.1:4222" },
  user: { env: "NATS_USER", schema: text },
  password: { env: "NATS_PASSWORD", schema: text },
  token: { env: "NATS_TOKEN", schema: text },
  credsFile: { env: "NATS_CREDS", schema: text },
  nkeyFile: { env: "NATS_NKEY", schema: text },
  caFile: { env: "NATS_CA", schema: text },
  certFile: { env: "NATS_CERT", schema: text },
  keyFile: { env: "NATS_KEY", schema: text },
  stream: { env: "NATTER_STREAM", schema: StreamNameSchema, fallback: DEFAULT_STREAM },
  registryBucket: { env: "NATTER_REGISTRY_BUCKET", schema: StreamNameSchema, fallback: DEFAULT_REGISTRY_BUCKET },
  replicas: { env: "NATTER_REPLICAS", schema: int(1, 5), fallback: "1" },
  streamMaxBytes: { env: "NATTER_STREAM_MAX_BYTES", schema: int(0), fallback: "0" },
  heartbeatMs: { env: "NATTER_HEARTBEAT_MS", schema: int(100), fallback: "30000" },
  registryTtlMs: { env: "NATTER_REGISTRY_TTL_MS", schema: int(1000), fallback: "90000" },
  requestTimeoutMs: { env: "NATTER_REQUEST_TIMEOUT_MS", schema: int(1), fallback: "10000" },
  connectTimeoutMs: { env: "NATTER_CONNECT_TIMEOUT_MS", schema: int(100), fallback: "5000" },
  provisionTimeoutMs: { env: "NATTER_PROVISION_TIMEOUT_MS", schema: int(0), fallback: "60000" },
  maxMessageBytes: { env: "NATTER_MAX_MESSAGE_BYTES", schema: int(256, 64 * 1024 * 1024), fallback: "1048576" },
  concurrency: { env: "NATTER_CONCURRENCY", schema: int(1, 10_000), fallback: "8" },
  prefetch: { env: "NATTER_PREFETCH", schema: int(1, 100_000), fallback: "1024" },
  maxQueuedRequests: { env: "NATTER_MAX_QUEUED_REQUESTS", schema: int(0, 1_000_000), fallback: "1000" },
  ackWaitMs: { env: "NATTER_ACK_WAIT_MS", schema: int(1000), fallback: "30000" },
  maxDeliver: { env: "NATTER_MAX_DELIVER", schema: int(1, 1000), fallback: "5" },
  retryDelaysMs: { env: "NATTER_RETRY_DELAYS_MS", schema: delays, fallback: "1000,5000,15000,30000" },
  shutdownMs: { env: "NATTER_SHUTDOWN_MS", schema: int(500, 86_400_000), fallback: "5000" },
  shutdownTimeoutMs: { env: "NATTER_SHUTDOWN_TIMEOUT_MS", schema: int(0, 86_400_000) },
  connectWaitMs: { env: "NATTER_CONNECT_WAIT_MS", schema: int(0) },
  credentialsDir: { env: "NATTER_CREDENTIALS_DIR", schema: text },
  verify: { env: "NATTER_VERIFY", schema: v.picklist(["off", "warn", "enforce"], "expected off, warn or enforce"), fallback: "off" },
  trustedKeysFile: { env: "NATTER_TRUSTED_KEYS", schema: text },
  seal: { env: "NATTER_SEAL", schema: v.picklist(["off", "direct"], "expected off or direct"), fallback: "off" },
  sealKeyChange: { env: "NATTER_SEAL_KEY_CHANGE", schema: v.picklist(["refuse", "accept"], "expected refuse or accept"), fallback: "refuse" },
  replayWindowMs: { env: "NATTER_REPLAY_WINDOW_MS", schema: int(1000), fallback: "120000" },
  rateLimit: { env: "NATTER_RATE_LIMIT", schema: int(0, 1_000_000), fallback: "0" },
  rateBurst: { env: "NATTER_RATE_BURST", schema: int(1, 1_000_000) },
  metricsPort: { env: "NATTER_METRICS_PORT", schema: int(0, 65535) },
  logLevel: { env: "NATTER_LOG_LEVEL", schema: v.picklist(["debug", "info", "warn", "error", "silent"], "expected debug, info, warn, error or silent"), fallback: "info" },
  logFormat: { env: "NATTER_LOG_FORMAT", schema: v.picklist(["pretty", "json"], "expected pretty or json"), fallback: "pretty" },
} as const;

type Settings = typeof SETTINGS;
type Value<K extends keyof Settings> = v.InferOutput<Settings[K]["schema"]>;

/** Validated configuration; see the README for each variable. */
export type Config = {
  -readonly [K in keyof Settings as Settings[K] extends { fallback: string } ? K : never]: Value<K>;
} & {
  -readonly [K in keyof Settings as Settings[K] extends { fallback: string } ? never : K]?: Value<K>;
};

/** Names of the environment variables natter reads, by setting. */
export const CONFIG_VARIABLES: { readonly [K in keyof Config]-?: string } = Object.fromEntries(
  Object.entries(SETTINGS).map(([k, s]) => [k, s.env]),
) as { [K in keyof Config]-?: string };

/**
 * Reads configuration from `env` (default `process.env`), then applies `overrides`.
 * Throws a ConfigError naming the variable and what was expected.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<Config> = {}): Config {
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const raw = env[setting.env];
    const source = raw !== undefined && raw !== "" ? raw : "fallback" in setting ? setting.fallback : undefined;
    if (source === undefined) continue;
    const result = v.safeParse(setting.schema as v.GenericSchema<string, unknown>, source);
    if (!result.success) {
      const msg = result.issues[0]?.message ?? "invalid value";
      throw new ConfigError(`${setting.env}: ${msg}, got ${JSON.stringify(source)}`);
    }
    out[key] = result.output;
  }
  const config = { ...out, ...withoutUndefined(overrides) } as Config;
  // The registry TTL follows the heartbeat unless it was set: three missed beats and an instance is gone.
  if (!env[SETTINGS.registryTtlMs.env] && overrides.registryTtlMs === undefined) config.registryTtlMs = config.heartbeatMs * 3;
  fitShutdown(config, env[SETTINGS.shutdownMs.env] !== undefined && env[SETTINGS.shutdownMs.env] !== "" || overrides.shutdownMs !== undefined);
  if ((config.user === undefined) !== (config.password === undefined)) {
    throw new ConfigError("NATS_USER and NATS_PASSWORD must be set together");
  }
  if ((config.certFile === undefined) !== (config.keyFile === undefined)) {
    throw new ConfigError("NATS_CERT and NATS_KEY must be set together");
  }
  if (config.registryTtlMs <= config.heartbeatMs) {
    throw new ConfigError(`NATTER_REGISTRY_TTL_MS (${config.registryTtlMs}) must be longer than NATTER_HEARTBEAT_MS (${config.heartbeatMs})`);
  }
  return config;
}

/** What a stop needs after its handlers: announcements and registry writes, then closing the connection. */
const SHUTDOWN_RESERVE_MS = 2000;

/** The part of NATTER_SHUTDOWN_MS running handlers get: NATTER_SHUTDOWN_TIMEOUT_MS, or all but the time closing needs. */
export function handlerGraceMs(config: Pick<Config, "shutdownMs" | "shutdownTimeoutMs">): number {
  return config.shutdownTimeoutMs ?? config.shutdownMs - Math.min(SHUTDOWN_RESERVE_MS, Math.floor(config.shutdownMs / 2));
}

/** NATTER_SHUTDOWN_TIMEOUT_MS set alone (an older setup) raises the bound to fit; set against an explicit bound it must fit in it. */
function fitShutdown(config: Config, boundSet: boolean): void {
  const reserve = Math.min(SHUTDOWN_RESERVE_MS, Math.floor(config.shutdownMs / 2));
  if (config.shutdownTimeoutMs === undefined || config.shutdownTimeoutMs + reserve <= config.shutdownMs) return;
  if (boundSet) {
    throw new ConfigError(
      `NATTER_SHUTDOWN_TIMEOUT_MS (${config.shutdownTimeoutMs}) must leave ${reserve} ms of NATTER_SHUTDOWN_MS (${config.shutdownMs}) for closing; lower it or raise NATTER_SHUTDOWN_MS`,
    );
  }
  config.shutdownMs = config.shutdownTimeoutMs + SHUTDOWN_RESERVE_MS;
}

function withoutUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, val]) => val !== undefined)) as Partial<T>;
}
