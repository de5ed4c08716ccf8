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
  const min = LOG_LEVELS.indexOf(options.level ?? "info");
  const write = options.write ?? ((line: string) => process.stderr.write(line + "\n"));
  const format = options.format ?? "pretty";
  const emit = (level: Exclude<LogLevel, "silent">, event: string, fields?: LogFields) => {
    if (LOG_LEVELS.indexOf(level) < min) return;
    const all = { ...bound, ...fields };
    const time = new Date().toISOString();
    if (format === "json") {
      write(JSON.stringify({ time, level, event, ...serializable(all) }));
      return;
    }
    const pairs = Object.entries(serializable(all))
      .filter(([, val]) => val !== undefined)
      .map(([k, val]) => `${k}=${typeof val === "string" && !/[\s"=]/.test(val) ? val : JSON.stringify(val)}`);
    write(`${time} ${level.toUpperCase().padEnd(5)} ${event}${pairs.length ? " " + pairs.join(" ") : ""}`);
  };
  return {
    debug: (e, f) => emit("debug", e, f),
    info: (e, f) => emit("info", e, f),
    warn: (e, f) => emit("warn", e, f),
    error: (e, f) => emit("error", e, f),
    child: (fields) => createLogger(options, { ...bound, ...fields }),
  };
}

function serializable(fields: LogFields): LogFields {
  const out: LogFields = {};
  for (const [k, val] of Object.entries(fields)) {
    out[k] = val instanceof Error ? { name: val.name, message: val.message, ...("code" in val ? { code: val.code } : {}) } : val;
  }
  return out;
}
