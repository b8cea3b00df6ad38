import { trace, type Span } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { OpenTelemetryPlugin, OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { Environment } from '../policies/common/environment';

/**
 * Traces across CLI → workflow → activity (MAINT_TRACES_OTLP): OpenTelemetry spans exported over
 * OTLP/HTTP (JSON) to a collector. The CLI's command is the root span; Temporal's interceptors carry
 * its context in the workflow start's headers, so the workflow's spans (exported by the worker
 * through a sink: workflow code stays deterministic) and each activity's span are its children.
 * Schedules start workflows without a caller: their traces begin at the workflow.
 * Unset: no tracer, no interceptor, nothing exported.
 */
interface Tracing {
  resource: Resource;
  processor: SpanProcessor;
  provider: BasicTracerProvider;
}

let installed: Tracing | undefined;

/** Installs the process' tracer provider once (the first caller names the service); undefined when MAINT_TRACES_OTLP is unset. */
export function installTracing(env: Pick<Environment, 'MAINT_TRACES_OTLP'>, serviceName: 'maint-cli' | 'maint-worker'): Tracing | undefined {
  if (env.MAINT_TRACES_OTLP === undefined) return undefined;
  if (installed) return installed;
  const resource = new Resource({ [ATTR_SERVICE_NAME]: serviceName });
  // Headers (an API key) come from the standard OTEL_EXPORTER_OTLP_(TRACES_)HEADERS, read by the exporter.
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: env.MAINT_TRACES_OTLP }), { scheduledDelayMillis: 1_000 });
  const provider = new BasicTracerProvider({ resource, spanProcessors: [processor] });
  provider.register({ contextManager: new AsyncLocalStorageContextManager().enable(), propagator: new W3CTraceContextPropagator() });
  installed = { resource, processor, provider };
  return installed;
}

/** The Worker plugin (activity and workflow interceptors, the workflow span sink) when tracing is on. */
export function workerTracingPlugins(): OpenTelemetryPlugin[] {
  return installed ? [new OpenTelemetryPlugin({ resource: installed.resource, spanProcessor: installed.processor })] : [];
}

/** The client interceptors that pass the active span to the workflows a client starts, signals or queries. */
export function clientTracingInterceptors(): { interceptors?: { workflow: WorkflowClientInterceptor[] } } {
  return installed ? { interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } } : {};
}

/** Runs `fn` in a span (the CLI command's); without tracing just runs it. */
export async function inSpan<T>(name: string, fn: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!installed) return fn(undefined);
  return trace.getTracer('maint').startActiveSpan(name, async (span) => {
    try {
      return await fn(span);
    } finally {
      span.end();
    }
  });
}

/** Sends what is still buffered (the CLI before it exits, the worker when it stops). */
export async function flushTracing(): Promise<void> {
  await installed?.provider.forceFlush().catch(() => undefined);
}
