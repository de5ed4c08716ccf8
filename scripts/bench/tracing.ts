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

/** An OpenTelemetry SDK as a user registers it (batching processor, async-local-storage context), its exporter dropping spans. */
export interface BenchTracing {
  /** Registers the SDK globally (a no-op when it is). */
  on(): void;
  /** Unregisters it: natter sees no SDK (a no-op when it does not). */
  off(): void;
  /** Spans the exporter was given so far (proof that tracing was on). */
  readonly exported: number;
}

/** The SDK of a bench process; off until {@link BenchTracing.on}. */
export function benchTracing(): BenchTracing {
  const exporter = new DroppingExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(exporter)] });
  let enabled = false;
  return {
    on() {
      if (enabled) return;
      enabled = true;
      context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
      trace.setGlobalTracerProvider(provider);
    },
    off() {
      if (!enabled) return;
      enabled = false;
      trace.disable();
      context.disable();
    },
    get exported() {
      return exporter.exported;
    },
  };
}
