import { MessageTooLargeError } from "../errors.ts";

/** Throws MessageTooLargeError when `data` is over `maxBytes`. */
export function checkSize(data: Uint8Array, maxBytes: number): void {
  if (data.length > maxBytes) throw new MessageTooLargeError(data.length, maxBytes);
}
