/**
 * The metrics of one answer: one CloudWatch EMF line on stdout per answer (functions/shared/metrics.ts,
 * Powertools' Metrics), in namespace `QnaStreaming` with the dimension `Service`. The dashboard and
 * alarms of templates/streaming-observability.ts read these names.
 */
import { DEFAULT_METRICS_NAMESPACE, MetricUnit, ServiceMetrics } from '../../shared/metrics';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export interface AnswerMetrics {
  timeToFirstTokenMs?: number;
  totalMs: number;
  chunks: number;
  posts: number;
  connections: number;
  goneConnections: number;
  cancelled: boolean;
  error: boolean;
}

export interface MetricsOptions {
  /** @default 'QnaStreaming' */
  namespace?: string;
  /** Value of the `Service` dimension. @default 'publisher' */
  service?: string;
  /** @default one line to process.stdout */
  write?: (line: string) => void;
  /** @default Date.now */
  now?: () => number;
}

/** The metrics of an answer, in the order the EMF line lists them. */
function answerValues(metrics: AnswerMetrics): [name: string, unit: Unit, value: number][] {
  const values: [string, Unit, number][] = [
    ['TotalTime', MetricUnit.Milliseconds, metrics.totalMs],
    ['Chunks', MetricUnit.Count, metrics.chunks],
    ['Posts', MetricUnit.Count, metrics.posts],
    ['Connections', MetricUnit.Count, metrics.connections],
    ['GoneConnections', MetricUnit.Count, metrics.goneConnections],
    ['Cancelled', MetricUnit.Count, metrics.cancelled ? 1 : 0],
    ['Errors', MetricUnit.Count, metrics.error ? 1 : 0],
  ];
  if (metrics.timeToFirstTokenMs !== undefined) {
    values.push(['TimeToFirstToken', MetricUnit.Milliseconds, metrics.timeToFirstTokenMs]);
  }
  return values;
}

function serviceMetrics(metrics: AnswerMetrics, options: MetricsOptions): ServiceMetrics {
  const emf = new ServiceMetrics({
    namespace: options.namespace ?? DEFAULT_METRICS_NAMESPACE,
    service: options.service ?? 'publisher',
    ...(options.write ? { write: options.write } : {}),
  });
  for (const [name, unit, value] of answerValues(metrics)) emf.addMetric(name, unit, value);
  return emf;
}

/** The EMF line of one answer. */
export function metricsLine(metrics: AnswerMetrics, options: MetricsOptions = {}): string {
  return serviceMetrics(metrics, options).takeLine((options.now ?? Date.now)());
}

/** Writes the EMF line of one answer (nothing when Powertools' POWERTOOLS_METRICS_DISABLED is on). */
export function emitMetrics(metrics: AnswerMetrics, options: MetricsOptions = {}): void {
  serviceMetrics(metrics, options).publish((options.now ?? Date.now)());
}
