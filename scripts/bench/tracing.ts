import { context, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from "@opentelemetry/sdk-trace-base";

/** Exports nothing: what tracing costs natter and the SDK, without an exporter's own work. */
class DroppingExporter implements SpanExporter {
  exported = 0;
  export(spans: ReadableSpan[], done: (result: { code: number }) => void): void {
    this.exported += spans.length;
    done({ code: 0 });
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * What a bench process registers:
 * - `off`: nothing (natter's default);
 * - `sdk`: a tracer provider with a batching processor, no context manager (natter needs none);
 * - `sdk+cm`: the same and an `AsyncLocalStorageContextManager`, as NodeSDK registers;
 * - `cm`: the context manager alone, natter's tracing off: what async-local storage costs by itself.
 */
export const TRACING_MODES = ["off", "sdk", "sdk+cm", "cm"] as const;
export type TracingMode = (typeof TRACING_MODES)[number];

/** An OpenTelemetry SDK as a user registers it, its exporter dropping spans. */
export interface BenchTracing {
  /** Registers what `mode` names globally, unregistering anything else. */
  set(mode: TracingMode): void;
  /** Spans the exporter was given so far (proof that tracing was on). */
  readonly exported: number;
}

/** The SDK of a bench process; `off` until {@link BenchTracing.set}. */
export function benchTracing(): BenchTracing {
  const exporter = new DroppingExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  let current: TracingMode = "off";
  let manager: AsyncLocalStorageContextManager | undefined;
  return {
    set(mode) {
      if (mode === current) return;
      current = mode;
      trace.disable();
      context.disable();
      // A disabled manager's storage is let go: Node stops tracking promises once no storage is left enabled.
      manager = undefined;
      if (mode === "cm" || mode === "sdk+cm") context.setGlobalContextManager((manager = new AsyncLocalStorageContextManager()).enable());
      if (mode === "sdk" || mode === "sdk+cm") trace.setGlobalTracerProvider(provider);
    },
    get exported() {
      return exporter.exported;
    },
  };
}
