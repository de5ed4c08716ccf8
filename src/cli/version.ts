import { readFileSync } from "node:fs";

/** natter's version, from the package.json next to src/ (the repo) or dist/ (an installed package). */
export function natterVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "unknown";
}
