import { ERROR_CODES, LOCAL_ERROR_CODES, type ErrorCode } from "../errors.ts";
import { EXIT } from "./args.ts";

/** A status `natter` exits with. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The exit code for a natter error of each code raised here (a peer's failure always exits {@link EXIT.failure}). */
export const EXIT_BY_CODE: Record<ErrorCode, ExitCode> = {
  [LOCAL_ERROR_CODES.config]: EXIT.usage,
  [LOCAL_ERROR_CODES.usage]: EXIT.usage,
  [ERROR_CODES.badRequest]: EXIT.usage,
  [LOCAL_ERROR_CODES.unavailable]: EXIT.unavailable,
  [LOCAL_ERROR_CODES.timeout]: EXIT.unavailable,
  [LOCAL_ERROR_CODES.connectFailed]: EXIT.unavailable,
  [ERROR_CODES.aborted]: EXIT.interrupted,
  // The command ran and failed.
  [ERROR_CODES.handler]: EXIT.failure, [ERROR_CODES.notFound]: EXIT.failure, [ERROR_CODES.overloaded]: EXIT.failure,
  [ERROR_CODES.unverified]: EXIT.failure, [ERROR_CODES.rateLimited]: EXIT.failure, [ERROR_CODES.tooLarge]: EXIT.failure,
  [ERROR_CODES.cancelled]: EXIT.failure, [ERROR_CODES.deadlineExceeded]: EXIT.failure, [ERROR_CODES.sealedUnreadable]: EXIT.failure,
  [LOCAL_ERROR_CODES.recipientHasNoSealKey]: EXIT.failure, [LOCAL_ERROR_CODES.sealKeyChanged]: EXIT.failure, [LOCAL_ERROR_CODES.internal]: EXIT.failure,
  [LOCAL_ERROR_CODES.missing]: EXIT.failure, [LOCAL_ERROR_CODES.notConnected]: EXIT.failure, [LOCAL_ERROR_CODES.notInstalled]: EXIT.failure,
  [LOCAL_ERROR_CODES.authFailed]: EXIT.failure, [LOCAL_ERROR_CODES.tlsFailed]: EXIT.failure, [LOCAL_ERROR_CODES.jetstreamDisabled]: EXIT.failure,
  [LOCAL_ERROR_CODES.noStream]: EXIT.failure, [LOCAL_ERROR_CODES.streamFull]: EXIT.failure, [LOCAL_ERROR_CODES.permissionDenied]: EXIT.failure,
  [LOCAL_ERROR_CODES.publishFailed]: EXIT.failure, [LOCAL_ERROR_CODES.badFilter]: EXIT.failure, [LOCAL_ERROR_CODES.badResponse]: EXIT.failure,
  [LOCAL_ERROR_CODES.llmUnavailable]: EXIT.failure, [LOCAL_ERROR_CODES.llmUnknownModel]: EXIT.failure, [LOCAL_ERROR_CODES.llmTimeout]: EXIT.failure,
  [LOCAL_ERROR_CODES.llmRateLimited]: EXIT.failure, [LOCAL_ERROR_CODES.llmServerError]: EXIT.failure, [LOCAL_ERROR_CODES.llmRejected]: EXIT.failure,
};
