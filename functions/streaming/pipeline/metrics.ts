/**
 * CloudWatch embedded metric format: one JSON line on stdout per answer, which CloudWatch Logs turns
 * into metrics (no PutMetricData call, no extra latency).
 */

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

export function metricsLine(metrics: AnswerMetrics, options: MetricsOptions = {}): string {
  const values: Record<string, number> = {
    TotalTime: metrics.totalMs,
    Chunks: metrics.chunks,
    Posts: metrics.posts,
    Connections: metrics.connections,
    GoneConnections: metrics.goneConnections,
    Cancelled: metrics.cancelled ? 1 : 0,
    Errors: metrics.error ? 1 : 0,
  };
  if (metrics.timeToFirstTokenMs !== undefined) values.TimeToFirstToken = metrics.timeToFirstTokenMs;
  const unit = (name: string) =>
    name === 'TotalTime' || name === 'TimeToFirstToken' ? 'Milliseconds' : 'Count';
  return JSON.stringify({
    _aws: {
      Timestamp: (options.now ?? Date.now)(),
      CloudWatchMetrics: [
        {
          Namespace: options.namespace ?? 'QnaStreaming',
          Dimensions: [['Service']],
          Metrics: Object.keys(values).map((name) => ({ Name: name, Unit: unit(name) })),
        },
      ],
    },
    Service: options.service ?? 'publisher',
    ...values,
  });
}

export function emitMetrics(metrics: AnswerMetrics, options: MetricsOptions = {}): void {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  write(metricsLine(metrics, options));
}
