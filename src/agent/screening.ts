import type { MsgHdrs } from "@nats-io/transport-node";
import type { Config } from "../config/config.ts";
import { NatterError } from "../errors.ts";
import type { Delivery, Screening } from "../mailbox/mailbox.ts";
import type { Envelope } from "../protocol/envelope.ts";
import { ERROR_CODES } from "../protocol/headers.ts";
import { SenderRateLimiter } from "../security/rate-limit.ts";
import type { Verifier } from "../security/verify.ts";

/** The checks on what reaches an agent: its signature (NATTER_VERIFY), then its sender's rate (NATTER_RATE_LIMIT). */
export class Screens {
  constructor(
    readonly verifier: Verifier | undefined,
    readonly rate: SenderRateLimiter | undefined,
  ) {}

  /** A forged message is terminated; one over its sender's rate waits its turn. */
  async delivery(delivery: Delivery): Promise<Screening | undefined> {
    const { envelope, msg } = delivery;
    const refused = await this.verifier?.check(envelope, msg.data, msg.headers, { at: msg.time, once: false });
    if (refused) return { reject: refused };
    const delayMs = this.rate?.reserve(envelope.from, envelope.id) ?? 0;
    return delayMs > 0 ? { delayMs, reason: `sender "${envelope.from}" is over NATTER_RATE_LIMIT` } : undefined;
  }

  /** A forged request or one over its sender's rate is refused with the error to answer. */
  async request(request: Envelope, data: Uint8Array, headers: MsgHdrs | undefined): Promise<NatterError | undefined> {
    const refused = await this.verifier?.check(request, data, headers, { at: new Date(), once: true });
    if (refused) return new NatterError(refused, ERROR_CODES.unverified);
    const waitMs = this.rate?.tryTake(request.from) ?? 0;
    if (waitMs > 0) return new NatterError(`too many requests from "${request.from}" (NATTER_RATE_LIMIT); retry in ${waitMs} ms`, ERROR_CODES.rateLimited);
    return undefined;
  }
}

/** The screens `config` asks for with the host's verifier, or undefined when neither check is on. */
export function createScreens(config: Config, verifier: Verifier | undefined): Screens | undefined {
  const checking = verifier?.mode === "off" ? undefined : verifier;
  const rate = config.rateLimit > 0 ? new SenderRateLimiter(config.rateLimit, config.rateBurst ?? config.rateLimit) : undefined;
  return checking || rate ? new Screens(checking, rate) : undefined;
}
