// Model-call observers: process-wide, since models are made by agent code that knows no host. None by default,
// so a model call costs one check when nobody listens.

/** One model call as an observer sees it. */
export interface ModelCall {
  /** The model's label, e.g. `openai qwen3-4b` or `offline planner`. */
  model: string;
  seconds: number;
  promptTokens: number;
  completionTokens: number;
  ok: boolean;
}

/** Told of every model call an LLM agent makes. */
export type ModelCallObserver = (call: ModelCall) => void;

const observers = new Set<ModelCallObserver>();

/** The observers, or undefined when there are none (the common case: one check per call). */
export function modelCallObservers(): ReadonlySet<ModelCallObserver> | undefined {
  return observers.size ? observers : undefined;
}

/** Adds an observer of model calls; returns its removal. */
export function observeModelCalls(observer: ModelCallObserver): () => void {
  observers.add(observer);
  return () => void observers.delete(observer);
}
