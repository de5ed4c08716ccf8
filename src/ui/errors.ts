import type { BaseIssue } from "valibot";
import { NatterError } from "../errors.ts";
import type { UiError } from "./events.ts";

/** HTTP status for each natter error code the console can meet. */
const STATUS_BY_CODE: Record<string, number> = {
  bad_request: 400,
  not_found: 404,
  too_large: 413,
  unavailable: 503,
  timeout: 504,
  aborted: 504,
};

/** A failed API call: its status and the body the page shows. */
export interface ApiFailure {
  status: number;
  body: UiError;
}

/** Maps anything thrown by a handler to a status and a message a person can act on. */
export function toApiFailure(err: unknown): ApiFailure {
  if (err instanceof NatterError) {
    const status = STATUS_BY_CODE[err.code] ?? (err.name === "RemoteError" ? 502 : 500);
    return { status, body: { error: err.message } };
  }
  return { status: 500, body: { error: `internal error: ${err instanceof Error ? err.message : String(err)}` } };
}

/** The first valibot issue as a failure naming its field. */
export function issueFailure(issues: readonly BaseIssue<unknown>[]): ApiFailure {
  const issue = issues[0];
  const field = issue?.path?.map((p) => String(p.key)).join(".");
  return { status: 400, body: { error: issue?.message ?? "invalid request", ...(field ? { field } : {}) } };
}
