import type { BaseIssue } from "valibot";
import { ERROR_CODES, LOCAL_ERROR_CODES, NatterError, RemoteError, type ErrorCode } from "../errors.ts";
import type { UiError } from "./events.ts";

/** HTTP status for each natter error code; a peer's failure that is 500 here is a 502 (the agent failed, not the console). */
export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  [ERROR_CODES.badRequest]: 400,
  [LOCAL_ERROR_CODES.missing]: 404,
  [ERROR_CODES.tooLarge]: 413,
  [LOCAL_ERROR_CODES.unavailable]: 503,
  [LOCAL_ERROR_CODES.timeout]: 504,
  [ERROR_CODES.aborted]: 504,
  // The rest are failures of the console itself (500), or of the agent it asked (502).
  [ERROR_CODES.handler]: 500, [ERROR_CODES.notFound]: 500, [ERROR_CODES.overloaded]: 500, [ERROR_CODES.unverified]: 500,
  [ERROR_CODES.rateLimited]: 500, [ERROR_CODES.cancelled]: 500, [ERROR_CODES.deadlineExceeded]: 500, [ERROR_CODES.sealedUnreadable]: 500,
  [LOCAL_ERROR_CODES.recipientHasNoSealKey]: 500, [LOCAL_ERROR_CODES.sealKeyChanged]: 500,
  [LOCAL_ERROR_CODES.internal]: 500, [LOCAL_ERROR_CODES.config]: 500, [LOCAL_ERROR_CODES.usage]: 500,
  [LOCAL_ERROR_CODES.notConnected]: 500, [LOCAL_ERROR_CODES.notInstalled]: 500, [LOCAL_ERROR_CODES.connectFailed]: 500,
  [LOCAL_ERROR_CODES.authFailed]: 500, [LOCAL_ERROR_CODES.tlsFailed]: 500, [LOCAL_ERROR_CODES.jetstreamDisabled]: 500,
  [LOCAL_ERROR_CODES.noStream]: 500, [LOCAL_ERROR_CODES.streamFull]: 500, [LOCAL_ERROR_CODES.permissionDenied]: 500,
  [LOCAL_ERROR_CODES.publishFailed]: 500, [LOCAL_ERROR_CODES.badFilter]: 500, [LOCAL_ERROR_CODES.badResponse]: 500,
  [LOCAL_ERROR_CODES.llmUnavailable]: 500, [LOCAL_ERROR_CODES.llmUnknownModel]: 500, [LOCAL_ERROR_CODES.llmTimeout]: 500,
  [LOCAL_ERROR_CODES.llmRateLimited]: 500, [LOCAL_ERROR_CODES.llmServerError]: 500, [LOCAL_ERROR_CODES.llmRejected]: 500,
};

/** A failed API call: its status and the body the page shows. */
export interface ApiFailure {
  status: number;
  body: UiError;
}

/** Maps anything thrown by a handler to a status and a message a person can act on. */
export function toApiFailure(err: unknown): ApiFailure {
  if (err instanceof NatterError) {
    // A code outside the table (a plain JavaScript caller, a cast) is a server error.
    const status = STATUS_BY_CODE[err.code] ?? 500;
    return { status: status === 500 && err instanceof RemoteError ? 502 : status, body: { error: err.message } };
  }
  return { status: 500, body: { error: `internal error: ${err instanceof Error ? err.message : String(err)}` } };
}

/** The first valibot issue as a failure naming its field. */
export function issueFailure(issues: readonly BaseIssue<unknown>[]): ApiFailure {
  const issue = issues[0];
  const field = issue?.path?.map((p) => String(p.key)).join(".");
  return { status: 400, body: { error: issue?.message ?? "invalid request", ...(field ? { field } : {}) } };
}
