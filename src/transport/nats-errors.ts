import { JetStreamApiError, JetStreamError } from "@nats-io/jetstream";
// The client throws JetStreamNotEnabled but exports the class only in this table of its internal entry.
import { jserrors } from "@nats-io/jetstream/internal";
import {
  ClosedConnectionError,
  ConnectionError,
  DrainingConnectionError,
  NoRespondersError,
  PermissionViolationError,
  ProtocolError,
  RequestError,
  TimeoutError,
} from "@nats-io/transport-node";

/** The client's error for a server (or account) without JetStream; typed here, as its declared type is internal. */
const JetStreamNotEnabled: new (...args: never[]) => Error = jserrors.JetStreamNotEnabled;

/** Whether `err` is the client's error for a server (or account) without JetStream. */
export function isJetStreamNotEnabled(err: unknown): boolean {
  return err instanceof JetStreamNotEnabled;
}

/** Errors of the NATS client meaning the server or the peer is away or slow: waiting may help. */
const AWAY = [TimeoutError, ConnectionError, ClosedConnectionError, NoRespondersError];
/** Errors of the NATS client meaning the server said no. */
const REFUSED = [JetStreamError, JetStreamApiError, JetStreamNotEnabled, DrainingConnectionError, RequestError, PermissionViolationError, ProtocolError];

/** Whether `err`, or an error in its chain of causes, passes `test`: the client and natter wrap what the server said. */
export function anyCause(err: unknown, test: (e: Error) => boolean): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) if (test(e)) return true;
  return false;
}

/** Whether `err`, or an error in its chain of causes, is a `type`: the client wraps the server's refusals. */
export function causedBy<T extends Error>(err: unknown, type: new (...args: never[]) => T): boolean {
  return anyCause(err, (e) => e instanceof type);
}

/** Whether `err` is the NATS client's own error, and if so whether the server is away or refused; undefined for any other error. */
export function natsFailure(err: unknown): "away" | "refused" | undefined {
  if (AWAY.some((type) => err instanceof type)) return "away";
  if (REFUSED.some((type) => err instanceof type)) return "refused";
  return undefined;
}
