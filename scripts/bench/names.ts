// Names the bench uses. Raw-NATS subjects live under `bench.`, outside natter's `agents.` tree.

/** Subject the raw responder answers on (case 1). */
export const RAW_ECHO_SUBJECT = "bench.echo";
/** Subject of the raw responder that parses and answers JSON, like an agent would (case 1, plain caller). */
export const RAW_JSON_ECHO_SUBJECT = "bench.json-echo";
/** The natter agent answering requests in a peer process (cases 1 and 6). */
export const NATTER_ECHO_AGENT = "BenchEcho";
/** Request payload of the round-trip cases. */
export const PING = "ping";

/** Common start of the agent names of the `n`-agent scale case. */
export function scalePrefix(n: number): string {
  return `s${n}-`;
}

/** Name of agent `i` of the `n`-agent scale case. */
export function scaleAgentName(n: number, i: number): string {
  return `${scalePrefix(n)}${i}`;
}

/** Raw-NATS side of the scale case: its stream, bucket and subjects. */
export const SCALE_RAW = {
  stream: "BENCH_SCALE",
  bucket: "bench-scale-registry",
  directWildcard: "bench.scale.direct.*",
  direct: (name: string) => `bench.scale.direct.${name}`,
  request: (name: string) => `bench.scale.request.${name}`,
} as const;
