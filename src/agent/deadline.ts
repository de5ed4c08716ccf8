import { NatterError } from "../errors.ts";
import type { Envelope } from "../protocol/envelope.ts";
import { ERROR_CODES } from "../protocol/headers.ts";

/** Epoch milliseconds of `envelope`'s deadline; undefined when it has none. */
export function deadlineOf(envelope: Envelope): number | undefined {
  return envelope.deadline === undefined ? undefined : Date.parse(envelope.deadline);
}

/** Milliseconds from now to `envelope`'s deadline (negative once past); undefined when it has none. */
export function msToDeadline(envelope: Envelope): number | undefined {
  const at = deadlineOf(envelope);
  return at === undefined ? undefined : at - Date.now();
}

/** Whether `envelope` has a deadline and it has passed: its work is pointless now and must not start. */
export function pastDeadline(envelope: Envelope): boolean {
  const left = msToDeadline(envelope);
  return left !== undefined && left <= 0;
}

/** The error a sender gets for work its deadline cut short (code {@link ERROR_CODES.deadlineExceeded}). */
export function deadlineError(envelope: Envelope, what: string): NatterError {
  return new NatterError(`deadline ${envelope.deadline} passed ${what}`, ERROR_CODES.deadlineExceeded);
}
