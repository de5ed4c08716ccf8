import { readFileSync } from "node:fs";
import type { MsgHdrs } from "@nats-io/transport-node";
import type { KV } from "@nats-io/kv";
import * as v from "valibot";
import type { Config } from "../config/config.ts";
import { ConfigError, LOCAL_ERROR_CODES, NatterError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import type { Envelope } from "../protocol/envelope.ts";
import { HEADERS } from "../protocol/headers.ts";
import { AgentNameSchema } from "../protocol/names.ts";
import { decodeRecord } from "../protocol/record.ts";
import type { StoredCheck } from "../mailbox/progress.ts";
import type { AnswerCheck } from "../rpc/call.ts";
import { ed25519Verify } from "./ed25519.ts";
import { SIGNATURE_HEADERS } from "./identity.ts";
import { SenderRateLimiter } from "./rate-limit.ts";
import { SeenIds } from "./seen.ts";

/** The pinned-keys file: agent name → its public NKey or keys (NATTER_TRUSTED_KEYS). */
const TrustedKeysSchema = v.record(AgentNameSchema, v.union([v.pipe(v.string(), v.regex(/^U[A-Z2-7]{55}$/, "expected a user public NKey")), v.array(v.string())]));

/** Where a checked message came from and when it arrived. */
export interface Arrival {
  /** When the server stored it (mailbox) or when it was received (core messages). */
  at: Date;
  /** Core messages are never redelivered: a second arrival of the same id is a replay. */
  once: boolean;
  /** Whose sightings `once` counts, when several receivers share this verifier and each hears the message (group members). */
  onceFor?: string;
  /** Fields the envelope must carry: an answer must come from the agent asked and be about the request asked. */
  expect?: Expectation;
  /**
   * A message taken from a mailbox: its stream sequence and delivery count. A second copy of a seen id is a replay,
   * the same stream message again a redelivery; and it must carry the de-duplication id its sender gave it.
   */
  stored?: { seq: number; deliveryCount: number };
}

/** Envelope fields a receiver knows in advance. */
export type Expectation = Partial<Pick<Envelope, "type" | "from" | "to" | "inReplyTo">>;

const EXPECTABLE = ["type", "from", "to", "inReplyTo"] as const;

/** Least time between two registry look-ups for one unknown sender, in milliseconds. */
const LOOKUP_GAP_MS = 1000;
/** Registry look-ups per second for all unknown senders together: names made up by a flooder must not cost one each. */
const LOOKUPS_PER_SECOND = 20;

/**
 * Checks envelope signatures against the sender's registered keys (a KV watch of the registry keeps them cached),
 * or against pinned keys for the names in NATTER_TRUSTED_KEYS. Mode `warn` logs failures; `enforce` rejects them.
 */
export class Verifier {
  /** Public keys by agent name, then by registry key. */
  readonly #registered = new Map<string, Map<string, string>>();
  readonly #pinned: Map<string, Set<string>>;
  readonly #seen: SeenIds;
  readonly #lookedUp = new Map<string, number>();
  readonly #lookups = new SenderRateLimiter(LOOKUPS_PER_SECOND, LOOKUPS_PER_SECOND);
  #stop: (() => void) | undefined;

  constructor(
    readonly registry: KV,
    readonly config: Pick<Config, "verify" | "replayWindowMs" | "trustedKeysFile">,
    readonly log: Logger,
  ) {
    this.#pinned = loadTrustedKeys(config.trustedKeysFile);
    this.#seen = new SeenIds(config.replayWindowMs);
  }

  get mode(): Config["verify"] {
    return this.config.verify;
  }

  /** Starts following the registry; call once before checking. */
  async start(): Promise<void> {
    const watch = await this.registry.watch({ key: ">" });
    this.#stop = () => watch.stop();
    void (async () => {
      for await (const e of watch) {
        const name = e.key.slice(0, e.key.indexOf("."));
        if (e.operation !== "PUT") {
          this.#registered.get(name)?.delete(e.key);
          continue;
        }
        try {
          const record = decodeRecord(e.value);
          if (record.publicKey) this.#remember(record.name, e.key, record.publicKey);
        } catch {
          // A bad record is the registry reader's problem; it only means no key for it here.
        }
      }
    })().catch((err: unknown) => this.log.warn("verify.watch_failed", { error: err }));
  }

  stop(): void {
    this.#stop?.();
  }

  /**
   * Why `envelope` must be refused, or undefined to accept it. `data` are the exact bytes received.
   * In `warn` mode a failure is logged and the message accepted.
   */
  async check(envelope: Envelope, data: Uint8Array, headers: MsgHdrs | undefined, arrival: Arrival): Promise<string | undefined> {
    if (this.mode === "off") return undefined;
    const problem = await this.#problem(envelope, data, headers, arrival);
    return problem ? this.verdict(problem, { id: envelope.id, type: envelope.type, from: envelope.from }) : undefined;
  }

  /**
   * Applies the mode to a failed check of a message described by `fields`: logs it, and returns the refusal
   * (`enforce`) or undefined (`warn`: accept). For messages that cannot even be checked.
   */
  verdict(problem: string, fields: Record<string, unknown>): string | undefined {
    if (this.mode === "off") return undefined;
    const logged = { ...fields, reason: problem };
    if (this.mode === "warn") {
      this.log.warn("verify.failed", { ...logged, action: "accepted (NATTER_VERIFY=warn)" });
      return undefined;
    }
    this.log.warn("verify.rejected", logged);
    return `signature check failed: ${problem}`;
  }

  async #problem(envelope: Envelope, data: Uint8Array, headers: MsgHdrs | undefined, arrival: Arrival): Promise<string | undefined> {
    const signature = headers?.get(SIGNATURE_HEADERS.signature);
    const signer = headers?.get(SIGNATURE_HEADERS.signer);
    if (!signature || !signer) return "unsigned";
    // The cheap checks come first, so that a message failing them costs no signature work.
    for (const field of EXPECTABLE) {
      const want = arrival.expect?.[field];
      if (want !== undefined && envelope[field] !== want) return `its ${field} is ${JSON.stringify(envelope[field] ?? null)}, expected "${want}"`;
    }
    const signedMs = Date.parse(envelope.timestamp);
    const skewMs = Math.abs(arrival.at.getTime() - signedMs);
    if (skewMs > this.config.replayWindowMs) return `timestamp is ${Math.round(skewMs / 1000)} s away from arrival, outside the ${this.config.replayWindowMs} ms window (replayed?)`;
    const { stored } = arrival;
    if (stored) {
      const copied = msgIdProblem(envelope, headers, "mailbox");
      if (copied) return copied;
    }
    const key = stored ? `stored/${envelope.id}` : arrival.onceFor === undefined ? envelope.id : `${arrival.onceFor}/${envelope.id}`;
    const counted = stored !== undefined || arrival.once;
    if (counted) {
      const sighting = this.#seen.look(key, signedMs, stored);
      if (sighting.kind === "replay") return sighting.why;
      if (sighting.kind === "again" && sighting.checked) return undefined;
    }
    if (!(await this.#trusts(envelope.from, signer, stored !== undefined))) return `key ${signer} is not a registered key of "${envelope.from}"`;
    if (!ed25519Verify(signer, data, Buffer.from(signature, "base64url"))) return "signature does not match the message";
    if (counted) {
      // Looked at again: another copy may have been checked meanwhile (the key look-up awaits).
      const sighting = this.#seen.look(key, signedMs, stored);
      if (sighting.kind === "replay") return sighting.why;
      this.#seen.remember(key, signedMs, stored?.seq);
    }
    return undefined;
  }

  /** Whether `key` is a known identity key of `name`: pinned (NATTER_TRUSTED_KEYS), else registered. */
  knows(name: string, key: string): Promise<boolean> {
    return this.#trusts(name, key, false);
  }

  /**
   * Whether `key` is one of `name`'s registered keys. A look-up the budget skips refuses a live message, but throws
   * for a stored one, which the mailbox then hands back to be checked again: terminating it would lose real mail
   * when many new senders arrive at once.
   */
  async #trusts(name: string, key: string, stored: boolean): Promise<boolean> {
    const pinned = this.#pinned.get(name);
    if (pinned) return pinned.has(key);
    if (this.#hasRegistered(name, key)) return true;
    // The sender may have registered a moment ago, before our watch caught up.
    const last = this.#lookedUp.get(name) ?? 0;
    if (Date.now() - last < LOOKUP_GAP_MS || this.#lookups.tryTake("") > 0) {
      if (stored) throw new NatterError(`key of "${name}" not looked up yet (registry look-ups are limited to ${LOOKUPS_PER_SECOND}/s)`, LOCAL_ERROR_CODES.unavailable);
      return false;
    }
    this.#lookedUp.delete(name);
    this.#lookedUp.set(name, Date.now());
    if (this.#lookedUp.size > 10_000) this.#lookedUp.delete(this.#lookedUp.keys().next().value!);
    for await (const k of await this.registry.keys(`${name}.*`)) {
      const e = await this.registry.get(k);
      if (e?.operation !== "PUT") continue;
      try {
        const record = decodeRecord(e.value);
        if (record.name === name && record.publicKey) this.#remember(name, k, record.publicKey);
      } catch {
        continue;
      }
    }
    return this.#hasRegistered(name, key);
  }

  #hasRegistered(name: string, key: string): boolean {
    for (const k of this.#registered.get(name)?.values() ?? []) if (k === key) return true;
    return false;
  }

  #remember(name: string, registryKey: string, publicKey: string): void {
    let keys = this.#registered.get(name);
    if (!keys) this.#registered.set(name, (keys = new Map()));
    keys.set(registryKey, publicKey);
  }
}

/**
 * Runs `act` for a message heard live (a broadcast, a cancellation, a group post) once it passes the signature
 * check, as a first sighting (per `onceFor` when several receivers share the verifier); at once without a verifier.
 * A refusal is logged as `{what}.rejected`, a check that could not run as `{what}.check_failed`.
 */
export function whenVerified(
  verifier: Verifier | undefined,
  envelope: Envelope,
  msg: { subject: string; data: Uint8Array; headers?: MsgHdrs | undefined },
  what: string,
  log: Logger,
  act: () => void,
  onceFor?: string,
): void {
  if (!verifier) return act();
  void verifier
    .check(envelope, msg.data, msg.headers, { at: new Date(), once: true, ...(onceFor !== undefined ? { onceFor } : {}) })
    .then((refused) => (refused ? log.warn(`${what}.rejected`, { subject: msg.subject, id: envelope.id, from: envelope.from, thread: envelope.threadId, reason: refused }) : act()))
    .catch((err: unknown) => log.warn(`${what}.check_failed`, { id: envelope.id, error: err }));
}

/**
 * Why a stored envelope's de-duplication id (`Nats-Msg-Id`) is not one its sender would have given it, or undefined.
 * Natter stores an envelope under its own id (protocol.md), which JetStream refuses to store twice within the stream's
 * duplicate window — on every host and across restarts. A copy under any other id, or none, is a replay.
 * Mailbox messages may also carry `done-{id}` (the completion notice of message `id`); messages read back, the
 * handoff record's `handoff-{id}` and the dead letter's `dlq-{id}` too.
 */
export function msgIdProblem(envelope: Envelope, headers: MsgHdrs | undefined, where: "mailbox" | "read"): string | undefined {
  const msgId = headers?.get(HEADERS.msgId) ?? "";
  if (msgId === envelope.id || (envelope.inReplyTo !== undefined && msgId === `done-${envelope.inReplyTo}`)) return undefined;
  if (where === "read" && (msgId === `handoff-${envelope.id}` || msgId === `dlq-${envelope.id}`)) return undefined;
  return msgId === "" ? "stored without a Nats-Msg-Id, so JetStream could not refuse a copy (replayed?)" : `stored under Nats-Msg-Id "${msgId}", not its id (a copy published under a new id: replayed?)`;
}

/**
 * The check of stored messages read back in order (progress, group history, a thread): signed, carrying `expect`,
 * stored under their own id, and each id once per subject in this read — a second copy stored later is a replay.
 */
export function storedReadCheck(verifier: Verifier, expect: Expectation): StoredCheck {
  const read = new Set<string>();
  return async (envelope, msg) => {
    const refused = await verifier.check(envelope, msg.data, msg.headers, { at: msg.time, once: false, expect });
    if (refused) return refused;
    const copied = msgIdProblem(envelope, msg.headers, "read");
    const key = `${msg.subject ?? ""} ${envelope.id}`;
    const again = read.has(key) ? "a second copy of a message already read (replayed)" : undefined;
    read.add(key);
    const problem = copied ?? again;
    return problem ? verifier.verdict(problem, { id: envelope.id, type: envelope.type, from: envelope.from }) : undefined;
  };
}

/** A started verifier when NATTER_VERIFY is warn or enforce, else undefined. */
export async function startVerifier(registry: KV, config: Verifier["config"], log: Logger): Promise<Verifier | undefined> {
  if (config.verify === "off") return undefined;
  const verifier = new Verifier(registry, config, log);
  await verifier.start();
  return verifier;
}

/**
 * What a requester runs on each answer before believing it (undefined when not verifying): signed by the agent
 * asked, about the request asked. `answer` is undefined when the body is not an envelope (nothing to check).
 */
export function answerCheck(verifier: Verifier | undefined): AnswerCheck | undefined {
  if (!verifier || verifier.mode === "off") return undefined;
  return async (answer, msg, request) => {
    const expect = { type: "response", from: request.to, inReplyTo: request.id } as const;
    if (!answer) return verifier.verdict("the answer is not an envelope, so it carries no signature", expect);
    const refused = await verifier.check(answer, msg.data, msg.headers, { at: new Date(), once: false, expect });
    if (refused || !msg.headers?.has(HEADERS.error)) return refused;
    // An error is read from headers, which the signature does not cover: they must agree with the signed body.
    const signed = (answer.metadata["error"] as { code?: unknown } | undefined)?.code;
    const code = msg.headers.get(HEADERS.errorCode);
    return signed === code ? undefined : verifier.verdict(`its error code header "${code}" is not the signed answer's (${JSON.stringify(signed)})`, { ...expect, id: answer.id });
  };
}

function loadTrustedKeys(path: string | undefined): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  if (path === undefined) return out;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new ConfigError(`NATTER_TRUSTED_KEYS: cannot read ${path} as JSON: ${(cause as Error).message}`, { cause });
  }
  const result = v.safeParse(TrustedKeysSchema, parsed);
  if (!result.success) {
    const issue = result.issues[0];
    throw new ConfigError(`NATTER_TRUSTED_KEYS: ${path}: ${issue?.path?.map((p) => String(p.key)).join(".") ?? ""} ${issue?.message ?? "invalid"}`);
  }
  for (const [name, keys] of Object.entries(result.output)) out.set(name, new Set(typeof keys === "string" ? [keys] : keys));
  return out;
}
