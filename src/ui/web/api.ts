import type { UiError } from "../events.ts";

/** A failed API call, with the message the server gave. */
export class ApiCallError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly field?: string,
  ) {
    super(message);
  }
}

/** GETs or POSTs JSON; rejects with the server's error message. */
export async function call<T>(path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, body === undefined ? {} : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  } catch (err) {
    throw new ApiCallError(`the console server is not reachable: ${(err as Error).message}`, 0);
  }
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new ApiCallError(`the server answered ${res.status} with something that is not JSON`, res.status);
  }
  if (!res.ok) {
    const e = parsed as Partial<UiError>;
    throw new ApiCallError(e.error ?? `request failed with status ${res.status}`, res.status, e.field);
  }
  return parsed as T;
}
