import { context, createContextKey, ProxyTracerProvider, ROOT_CONTEXT, trace, type Tracer, type TracerProvider } from "@opentelemetry/api";

/** The provider the API falls back to when no SDK is registered: its tracers make non-recording spans. */
const NOOP_PROVIDER = new ProxyTracerProvider().getDelegate();

let seen: TracerProvider | undefined;
let tracer: Tracer | undefined;

/**
 * natter's tracer, or undefined while no OpenTelemetry SDK is registered: then natter makes no span, no header and
 * no context. Looked up on each hop (a global read) so a provider registered after natter started is picked up.
 */
export function activeTracer(): Tracer | undefined {
  const provider = trace.getTracerProvider();
  // A provider registered through another copy of the API is still behind a proxy; only ours can be the no-op one.
  const delegate = typeof (provider as ProxyTracerProvider).getDelegate === "function" ? (provider as ProxyTracerProvider).getDelegate() : provider;
  if (delegate !== seen) {
    seen = delegate;
    tracer = delegate === NOOP_PROVIDER ? undefined : delegate.getTracer("natter");
  }
  return tracer;
}

/** Where the API keeps what is registered globally (its major version in the key, stable across 1.x). */
const API_GLOBAL = Symbol.for("opentelemetry.js.api.1");
const PROBE = createContextKey("natter.contextProbe");
const NOT_PROBED = Symbol("not probed");
let probedManager: unknown = NOT_PROBED;
let managerWorks = false;

/**
 * Whether a context manager that keeps the active context across calls is registered (the async-local-storage one
 * NodeSDK registers): then running a handler inside `context.with` makes its instrumented calls children of its span.
 * Probed once per registered manager; without one (the API's no-op) nothing is worth wrapping.
 */
export function contextManagerActive(): boolean {
  const globals = (globalThis as Record<symbol, { context?: unknown } | undefined>)[API_GLOBAL];
  // No globals object at all (another layout): nothing to key the answer on, so ask each time.
  const registered = globals ? globals.context : NOT_PROBED;
  if (registered !== NOT_PROBED && registered === probedManager) return managerWorks;
  probedManager = registered;
  const probe = ROOT_CONTEXT.setValue(PROBE, true);
  managerWorks = context.with(probe, () => context.active() === probe);
  return managerWorks;
}
