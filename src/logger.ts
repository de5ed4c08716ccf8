/** Log levels, least to most severe; `silent` logs nothing. */
export const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];
/** Structured fields of a log line. */
export type LogFields = Record<string, unknown>;

/** A structured logger: one line per event, human-readable or JSON. */
export interface Logger {
  /** Per-message detail; off unless NATTER_LOG_LEVEL=debug. */
  debug(event: string, fields?: LogFields): void;
  /** Lifecycle: started, connected, stopping. */
  info(event: string, fields?: LogFields): void;
  /** Something went wrong and was handled (a retry, a refused message). */
  warn(event: string, fields?: LogFields): void;
  /** Something failed that an operator should look at. */
  error(event: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Lowest level written; default `info`. */
  level?: LogLevel;
  /** `pretty` (default) or `json`. */
  format?: "pretty" | "json";
  /** Where lines go; default standard error. */
  write?: (line: string) => void;
}

/** Creates a logger writing one line per event. */
export function createLogger(options: LoggerOptions = {}, bound: LogFields = {}): Logger {
  const sink: Sink = { min: LOG_LEVELS.indexOf(options.level ?? "info"), write: options.write ?? writeStderr, format: options.format ?? "pretty" };
  return boundLogger(sink, bound);
}

/** What every logger of one {@link createLogger} shares: its children differ only in their fields. */
interface Sink {
  min: number;
  write: (line: string) => void;
  format: "pretty" | "json";
}

/**
 * A logger of `sink` adding `bound` to its lines. A host makes one per agent: a level that is off gets the shared
 * {@link IGNORE}, so an agent's logger holds no more than its fields and the functions of the levels that write.
 */
function boundLogger(sink: Sink, bound: LogFields): Logger {
  const on = (level: Exclude<LogLevel, "silent">) => LOG_LEVELS.indexOf(level) >= sink.min;
  return {
    debug: on("debug") ? (e, f) => emit(sink, bound, "debug", e, f) : IGNORE,
    info: on("info") ? (e, f) => emit(sink, bound, "info", e, f) : IGNORE,
    warn: on("warn") ? (e, f) => emit(sink, bound, "warn", e, f) : IGNORE,
    error: on("error") ? (e, f) => emit(sink, bound, "error", e, f) : IGNORE,
    child: (fields) => boundLogger(sink, { ...bound, ...fields }),
  };
}

const IGNORE = (): void => undefined;

function writeStderr(line: string): void {
  process.stderr.write(line + "\n");
}

function emit(sink: Sink, bound: LogFields, level: Exclude<LogLevel, "silent">, event: string, fields?: LogFields): void {
  const all = { ...bound, ...fields };
  const time = new Date().toISOString();
  if (sink.format === "json") {
    sink.write(JSON.stringify({ time, level, event, ...serializable(all) }));
    return;
  }
  const pairs = Object.entries(serializable(all))
    .filter(([, val]) => val !== undefined)
    .map(([k, val]) => `${k}=${typeof val === "string" && !/[\s"=]/.test(val) ? val : JSON.stringify(val)}`);
  sink.write(`${time} ${level.toUpperCase().padEnd(5)} ${event}${pairs.length ? " " + pairs.join(" ") : ""}`);
}

function serializable(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, val] of Object.entries(fields)) {
    out[k] = val instanceof Error ? { name: val.name, message: val.message, ...("code" in val ? { code: val.code } : {}) } : val;
  }
  return out;
}
