import type { MsgHdrs } from "@nats-io/transport-node";
import type { Config } from "../config/config.ts";
import { NatterError } from "../errors.ts";
import type { Delivery, Screening } from "../mailbox/mailbox.ts";
import type { Envelope } from "../protocol/envelope.ts";
import { ERROR_CODES } from "../protocol/headers.ts";
import { SenderRateLimiter } from "../security/rate-limit.ts";
import type { Verifier } from "../security/verify.ts";

/**
 * The checks on what reaches an agent: its signature (NATTER_VERIFY) and its sender's rate (NATTER_RATE_LIMIT).
 * A slot of a sender's rate is taken only once the message is proven to be that sender's, so that forgeries in its
 * name cannot spend its budget; a request from a sender already over its rate is refused before any signature work.
 */
export class Screens {
  constructor(
    readonly verifier: Verifier | undefined,
    readonly rate: SenderRateLimiter | undefined,
  ) {}

  /**
   * A forged or replayed message is terminated; one over its sender's rate waits its turn (mail is never refused for
   * its rate, and a message delayed once reserves its slot, so it is checked before it may reserve one).
   */
  async delivery(delivery: Delivery): Promise<Screening | undefined> {
    const { envelope, msg, seq, deliveryCount } = delivery;
    const refused = await this.verifier?.check(envelope, msg.data, msg.headers, { at: msg.time, once: false, stored: { seq, deliveryCount } });
    if (refused) return { reject: refused };
    const delayMs = this.rate?.reserve(envelope.from, envelope.id) ?? 0;
    return delayMs > 0 ? { delayMs, reason: `sender "${envelope.from}" is over NATTER_RATE_LIMIT` } : undefined;
  }

  /** A forged request or one over its sender's rate is refused with the error to answer. */
  async request(request: Envelope, data: Uint8Array, headers: MsgHdrs | undefined): Promise<NatterError | undefined> {
    const over = this.rate?.peek(request.from) ?? 0;
    if (over > 0) return rateLimited(request.from, over);
    const refused = await this.verifier?.check(request, data, headers, { at: new Date(), once: true });
    if (refused) return new NatterError(refused, ERROR_CODES.unverified);
    const waitMs = this.rate?.tryTake(request.from) ?? 0;
    return waitMs > 0 ? rateLimited(request.from, waitMs) : undefined;
  }
}

function rateLimited(sender: string, waitMs: number): NatterError {
  return new NatterError(`too many requests from "${sender}" (NATTER_RATE_LIMIT); retry in ${waitMs} ms`, ERROR_CODES.rateLimited);
}

/** The screens `config` asks for with the host's verifier, or undefined when neither check is on. */
export function createScreens(config: Config, verifier: Verifier | undefined): Screens | undefined {
  const checking = verifier?.mode === "off" ? undefined : verifier;
  const rate = config.rateLimit > 0 ? new SenderRateLimiter(config.rateLimit, config.rateBurst ?? config.rateLimit) : undefined;
  return checking || rate ? new Screens(checking, rate) : undefined;
}
