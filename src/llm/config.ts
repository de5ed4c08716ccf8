import * as v from "valibot";
import { int } from "../config/config.ts";
import { ConfigError } from "../errors.ts";

/** How agents pick their model: probe the server (`auto`), always the server (`openai`), or the built-in planner (`offline`). */
export const LLM_MODES = ["auto", "openai", "offline"] as const;
/** One of {@link LLM_MODES}. */
export type LLMMode = (typeof LLM_MODES)[number];

const SETTINGS = {
  baseUrl: { env: "OPENAI_BASE_URL", schema: v.pipe(v.string(), v.url("expected an http(s) URL like http://localhost:1234/v1")), fallback: "http://localhost:1234/v1" },
  apiKey: { env: "OPENAI_API_KEY", schema: v.pipe(v.string(), v.minLength(1, "expected a non-empty value")), fallback: "lm-studio" },
  model: { env: "NATTER_MODEL", schema: v.pipe(v.string(), v.minLength(1, "expected a model name")), fallback: "qwen/qwen3-32b" },
  mode: { env: "NATTER_LLM", schema: v.picklist(LLM_MODES, "expected auto, openai or offline"), fallback: "auto" },
  timeoutMs: { env: "NATTER_LLM_TIMEOUT_MS", schema: int(100, 3_600_000), fallback: "120000" },
  maxRetries: { env: "NATTER_LLM_MAX_RETRIES", schema: int(0, 10), fallback: "2" },
  askTimeoutMs: { env: "NATTER_LLM_ASK_TIMEOUT_MS", schema: int(100, 3_600_000), fallback: "120000" },
  maxSteps: { env: "NATTER_LLM_MAX_STEPS", schema: int(1, 50), fallback: "8" },
  probeTimeoutMs: { env: "NATTER_LLM_PROBE_TIMEOUT_MS", schema: int(50, 60_000), fallback: "1500" },
} as const;

type Settings = typeof SETTINGS;

/** Validated LLM settings; every field has a default. */
export type LLMConfig = { -readonly [K in keyof Settings]: v.InferOutput<Settings[K]["schema"]> };

/** Reads the LLM settings from `env` (default `process.env`), then applies `overrides`; a ConfigError names the variable. */
export function loadLLMConfig(env: Record<string, string | undefined> = process.env, overrides: Partial<LLMConfig> = {}): LLMConfig {
  const out: Record<string, unknown> = {};
  for (const [key, setting] of Object.entries(SETTINGS)) {
    const raw = env[setting.env];
    const source = raw !== undefined && raw !== "" ? raw : setting.fallback;
    const result = v.safeParse(setting.schema as v.GenericSchema<string, unknown>, source);
    if (!result.success) throw new ConfigError(`${setting.env}: ${result.issues[0]?.message ?? "invalid value"}, got ${JSON.stringify(source)}`);
    out[key] = result.output;
  }
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, val]) => val !== undefined));
  return { ...out, ...defined } as LLMConfig;
}
