import { AckPolicy, DeliverPolicy, ReplayPolicy, type ConsumerConfig, type ConsumerInfo, type JetStreamManager } from "@nats-io/jetstream";
import { mailboxConsumerTemplate } from "../transport/streams.ts";
import { msToNanos } from "../transport/time.ts";
import { directSubject } from "../protocol/subjects.ts";

/** Settings of an agent's mailbox consumer. */
export interface MailboxConsumerOptions {
  stream: string;
  agent: string;
  /** Milliseconds before an unacknowledged message is redelivered. */
  ackWaitMs: number;
  /** Most unacknowledged messages over all instances of the agent. */
  maxAckPending: number;
}

/** The durable consumer config of `agent`'s mailbox, from streams/mailbox-consumer.json. */
export function mailboxConsumerConfig(opts: MailboxConsumerOptions): ConsumerConfig {
  const template = JSON.parse(JSON.stringify(mailboxConsumerTemplate()).replaceAll("{agent}", opts.agent)) as Partial<ConsumerConfig>;
  return {
    ...template,
    durable_name: opts.agent,
    filter_subject: directSubject(opts.agent),
    ack_policy: AckPolicy.Explicit,
    deliver_policy: template.deliver_policy ?? DeliverPolicy.All,
    replay_policy: template.replay_policy ?? ReplayPolicy.Instant,
    ack_wait: msToNanos(opts.ackWaitMs),
    max_ack_pending: opts.maxAckPending,
  };
}

/** Creates the durable mailbox consumer, or updates it to the wanted settings; idempotent. Returns its info. */
export async function ensureMailboxConsumer(jsm: JetStreamManager, opts: MailboxConsumerOptions): Promise<ConsumerInfo> {
  return jsm.consumers.add(opts.stream, mailboxConsumerConfig(opts));
}
