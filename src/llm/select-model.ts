import type { Logger } from "../logger.ts";
import { createOpenAIModel, probeModelServer } from "./client.ts";
import type { LLMConfig } from "./config.ts";
import { LLM_ERROR_CODES, LLMError, type ChatModel } from "./model.ts";
import { createOfflinePlanner, OFFLINE_LABEL } from "./planner.ts";

const chosen = new Map<string, Promise<ChatModel>>();

/**
 * Picks the model for NATTER_LLM: `offline` the planner; `openai` the server (an unknown model is an error);
 * `auto` the server when it answers within NATTER_LLM_PROBE_TIMEOUT_MS and has the model, else the planner.
 * One probe per process and setting, shared by every agent.
 */
export function selectModel(config: LLMConfig, log: Logger): Promise<ChatModel> {
  const key = JSON.stringify([config.mode, config.baseUrl, config.model, config.apiKey, config.timeoutMs, config.maxRetries]);
  let found = chosen.get(key);
  if (!found) {
    found = choose(config, log);
    chosen.set(key, found);
    found.catch(() => chosen.delete(key));
  }
  return found;
}

async function choose(config: LLMConfig, log: Logger): Promise<ChatModel> {
  if (config.mode === "offline") {
    log.info("llm.selected", { model: OFFLINE_LABEL, reason: "NATTER_LLM=offline" });
    return createOfflinePlanner();
  }
  const probe = await probeModelServer(config);
  const unknown = probe.reachable && probe.models.length > 0 && !probe.models.includes(config.model);
  if (config.mode === "openai") {
    if (unknown) {
      throw new LLMError(`model "${config.model}" (NATTER_MODEL) is not served at ${config.baseUrl}; it has: ${probe.models.join(", ")}`, LLM_ERROR_CODES.unknownModel, 404);
    }
    if (!probe.reachable) log.warn("llm.server_down", { url: config.baseUrl, reason: "no answer to GET /models; calls will fail until it answers (NATTER_LLM=openai)" });
    log.info("llm.selected", { model: config.model, url: config.baseUrl });
    return createOpenAIModel(config);
  }
  if (!probe.reachable) {
    log.info("llm.selected", { model: OFFLINE_LABEL, reason: `no model server answers at ${config.baseUrl} (OPENAI_BASE_URL); NATTER_LLM=auto falls back to the ${OFFLINE_LABEL}` });
    return createOfflinePlanner();
  }
  if (unknown) {
    log.warn("llm.selected", { model: OFFLINE_LABEL, reason: `model "${config.model}" (NATTER_MODEL) is not served at ${config.baseUrl}; it has: ${probe.models.join(", ")}` });
    return createOfflinePlanner();
  }
  log.info("llm.selected", { model: config.model, url: config.baseUrl });
  return createOpenAIModel(config);
}
