import { readFileSync } from "node:fs";
import * as v from "valibot";
import { JetStreamApiCodes, JetStreamApiError, type JetStreamManager, type StreamConfig } from "@nats-io/jetstream";
import type { Config } from "../config/config.ts";
import { ConfigError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { kvSubject } from "../protocol/subjects.ts";
import { kvStreamName } from "../protocol/tokens.ts";
import { msToNanos } from "./time.ts";

// JetStream API error code for "stream name already in use" (not in the client's JetStreamApiCodes).
const STREAM_NAME_IN_USE = 10058;

/** Folder of the stream, consumer and bucket definitions, in the `nats` CLI's JSON format. */
export const STREAMS_DIR = new URL("../../streams/", import.meta.url);

const StreamFileSchema = v.looseObject({
  name: v.string(),
  subjects: v.array(v.string()),
  storage: v.picklist(["file", "memory"]),
  retention: v.picklist(["limits", "interest", "workqueue"]),
});

const ConsumerFileSchema = v.looseObject({
  durable_name: v.literal("{agent}"),
  filter_subject: v.string(),
  ack_policy: v.literal("explicit"),
});

/** Reads one definition from streams/, checked against what natter relies on. */
export function readDefinition<S extends v.GenericSchema>(file: string, schema: S): v.InferOutput<S> {
  const path = new URL(file, STREAMS_DIR);
  const result = v.safeParse(schema, JSON.parse(readFileSync(path, "utf8")));
  if (!result.success) throw new ConfigError(`streams/${file}: ${result.issues.map((i) => i.message).join("; ")}`);
  return result.output;
}

/** Bytes of a NATS header block holding `entries`: `NATS/1.0\r\n`, a `Name: value\r\n` line each, and a blank line. */
export function headerBlockBytes(entries: Record<string, string>): number {
  return Object.entries(entries).reduce((n, [name, value]) => n + Buffer.byteLength(`${name}: ${value}\r\n`), "NATS/1.0\r\n\r\n".length);
}

/**
 * Room the stream's max_msg_size leaves for headers above NATTER_MAX_MESSAGE_BYTES: the server counts headers and
 * payload together. It is the largest header block natter stores — a dead letter's, which carries a copy of a payload
 * up to the limit: `Nats-Msg-Id: dlq-{id}` (ids up to 128 characters), the error (up to 1000 characters), the
 * deliveries, the original sequence and subject. A signed message's block (id, signature, signer) is about 340 bytes.
 */
export const HEADER_ALLOWANCE_BYTES = headerBlockBytes({
  "Nats-Msg-Id": `dlq-${"i".repeat(128)}`,
  // Up to 1000 characters, each up to 3 bytes in UTF-8 (a character outside the BMP is two of them).
  "Natter-Error": "€".repeat(1000),
  "Natter-Deliveries": "1000",
  "Natter-Original-Seq": String(Number.MAX_SAFE_INTEGER),
  "Natter-Original-Subject": `agents.direct.${"n".repeat(64)}`,
});

/** The mailbox stream as configured: streams/agents.json with the config's name, replicas, message size limit and total size (0: unlimited). */
export function agentsStreamConfig(config: Config): StreamConfig {
  const spec = readDefinition("agents.json", StreamFileSchema);
  return {
    ...spec,
    name: config.stream,
    num_replicas: config.replicas,
    // Headers (signatures, ids) ride on top of the payload limit; receivers refuse a payload over it that fits here.
    max_msg_size: config.maxMessageBytes + HEADER_ALLOWANCE_BYTES,
    // With discard "new" a full stream refuses the publish: the sender is told, nothing is dropped.
    max_bytes: config.streamMaxBytes > 0 ? config.streamMaxBytes : -1,
  } as unknown as StreamConfig;
}

/** The registry bucket's stream: streams/registry.json with the config's bucket, TTL and replicas. */
export function registryStreamConfig(config: Config): StreamConfig {
  const spec = readDefinition("registry.json", StreamFileSchema);
  const bucket = config.registryBucket;
  return {
    ...spec,
    name: kvStreamName(bucket),
    description: `natter: the agent registry (KV bucket ${bucket}), one key per running instance: {agent}.{instanceId}`,
    subjects: [kvSubject(bucket, ">")],
    max_age: msToNanos(config.registryTtlMs),
    duplicate_window: msToNanos(Math.min(config.registryTtlMs, 120_000)),
    num_replicas: config.replicas,
  } as unknown as StreamConfig;
}

/** The mailbox consumer template (streams/mailbox-consumer.json), filled in for `agent`. */
export function mailboxConsumerTemplate(): Record<string, unknown> {
  return readDefinition("mailbox-consumer.json", ConsumerFileSchema);
}

/** What {@link ensureStream} did: with `apply`, `updated` when it changed the stream; without, `differs` when it left it. */
export type ProvisionOutcome = "created" | "updated" | "unchanged" | "differs";

/** One setting on which an existing stream and this process's wish disagree. */
export interface StreamDifference {
  key: string;
  have: unknown;
  want: unknown;
}

/** Options of {@link ensureStream} and {@link provision}. */
export interface ProvisionOptions {
  /** Change an existing stream to match (the admin's `natter streams apply`); default false: check and report only. */
  apply?: boolean;
}

/** Per stream: what was done, the stream's config now, and the settings on which it differs from this process's. */
export interface StreamReport {
  stream: string;
  outcome: ProvisionOutcome;
  config: StreamConfig;
  differences: StreamDifference[];
}

/**
 * Creates the stream when missing. An existing one is shared with every other process, so by default it is only
 * checked: the report lists differences and nothing changes. With `apply` it is updated to match; a server refusal
 * throws a ConfigError naming the differences. A stream that lacks subjects natter needs throws either way.
 */
export async function ensureStream(jsm: JetStreamManager, wanted: StreamConfig, options: ProvisionOptions = {}): Promise<StreamReport> {
  let have: StreamConfig;
  try {
    have = (await jsm.streams.info(wanted.name)).config;
  } catch (err) {
    if (!isNotFound(err)) throw err;
    try {
      return { stream: wanted.name, outcome: "created", config: (await jsm.streams.add(wanted)).config, differences: [] };
    } catch (cause) {
      // Another process may have created it between our look and our add.
      if (cause instanceof JetStreamApiError && cause.code === STREAM_NAME_IN_USE) return ensureStream(jsm, wanted, options);
      throw new ConfigError(`cannot create stream ${wanted.name}: ${(cause as Error).message}`, { cause });
    }
  }
  const differences = streamDifferences(have, wanted);
  if (differences.length === 0) return { stream: wanted.name, outcome: "unchanged", config: have, differences };
  const described = differences.map((d) => `${d.key}: have ${JSON.stringify(d.have)}, want ${JSON.stringify(d.want)}`).join("; ");
  if (options.apply) {
    try {
      return { stream: wanted.name, outcome: "updated", config: (await jsm.streams.update(wanted.name, wanted)).config, differences };
    } catch (cause) {
      throw new ConfigError(
        `stream ${wanted.name} exists with a conflicting config (${described}) and the server refused to update it: ${(cause as Error).message}. ` +
          `Delete it (nats stream rm ${wanted.name}) or set NATTER_STREAM / NATTER_REGISTRY_BUCKET to other names.`,
        { cause },
      );
    }
  }
  const missing = (wanted.subjects ?? []).filter((s) => !(have.subjects ?? []).includes(s));
  if (missing.length > 0) {
    throw new ConfigError(
      `stream ${wanted.name} exists but does not capture ${missing.join(", ")} (${described}): run \`natter streams apply\` to change it, ` +
        `or set NATTER_STREAM / NATTER_REGISTRY_BUCKET to other names`,
    );
  }
  return { stream: wanted.name, outcome: "differs", config: have, differences };
}

/** Ensures every stream and bucket natter needs (see {@link ensureStream}); safe to run at every start. */
export async function provision(jsm: JetStreamManager, config: Config, log?: Logger, options: ProvisionOptions = {}): Promise<StreamReport[]> {
  const reports: StreamReport[] = [];
  for (const wanted of [agentsStreamConfig(config), registryStreamConfig(config)]) {
    const report = await ensureStream(jsm, wanted, options);
    if (report.outcome === "created" || report.outcome === "updated") log?.info(`stream.${report.outcome}`, { stream: wanted.name });
    reports.push(report);
  }
  return reports;
}

/**
 * The stricter of this config and the shared stream it found: a stream that takes smaller messages than
 * NATTER_MAX_MESSAGE_BYTES lowers it (sending more would fail at the server). One warning per differing stream
 * names both values of each setting.
 */
export function fitToStreams(config: Config, reports: readonly StreamReport[], log: Logger): Config {
  let fitted = config;
  for (const report of reports) {
    if (report.outcome !== "differs") continue;
    const streamLimit = report.config.max_msg_size;
    if (report.stream === config.stream && streamLimit > 0 && streamLimit - HEADER_ALLOWANCE_BYTES < fitted.maxMessageBytes) {
      fitted = { ...fitted, maxMessageBytes: Math.max(1, streamLimit - HEADER_ALLOWANCE_BYTES) };
    }
    log.warn("stream.differs", {
      stream: report.stream,
      differences: report.differences.map((d) => `${d.key}: stream ${JSON.stringify(d.have)}, this process ${JSON.stringify(d.want)}`).join("; "),
      maxMessageBytes: fitted.maxMessageBytes,
      hint: "the stream is shared and was left as it is; natter uses the stricter message size. `natter streams apply` changes the stream",
    });
  }
  return fitted;
}

function streamDifferences(have: StreamConfig, wanted: StreamConfig): StreamDifference[] {
  const out: StreamDifference[] = [];
  for (const [key, value] of Object.entries(wanted)) {
    const current = (have as unknown as Record<string, unknown>)[key];
    if (key === "description" && current === undefined) continue;
    if (JSON.stringify(current) !== JSON.stringify(value)) out.push({ key, have: current, want: value });
  }
  return out;
}

function isNotFound(err: unknown): boolean {
  return err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamNotFound;
}
