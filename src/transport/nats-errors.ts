import { JetStreamApiCodes, JetStreamApiError, JetStreamError, type ApiError } from "@nats-io/jetstream";
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

/** The client's error for "no JetStream answered" (a request met no responders), as its own requests throw it. */
export function jetStreamNotEnabled(message: string, options?: ErrorOptions): Error {
  return new jserrors.JetStreamNotEnabled(message, options);
}

/** The error the client throws for a JetStream API answer carrying `error` (its `parseJsResponse`), same classes. */
export function jetStreamApiFailure(error: ApiError): Error {
  switch (error.err_code) {
    case JetStreamApiCodes.ConsumerNotFound:
      return new jserrors.ConsumerNotFoundError(error);
    case JetStreamApiCodes.StreamNotFound:
      return new jserrors.StreamNotFoundError(error);
    case JetStreamApiCodes.JetStreamNotEnabledForAccount: {
      const cause = new JetStreamApiError(error);
      return new jserrors.JetStreamNotEnabled(cause.message, { cause });
    }
    default:
      return new JetStreamApiError(error);
  }
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
