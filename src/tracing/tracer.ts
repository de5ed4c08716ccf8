import { ProxyTracerProvider, trace, type Tracer, type TracerProvider } from "@opentelemetry/api";

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
