/**
 * CloudWatch metrics of the Lambdas, as embedded metric format (EMF) lines on stdout that CloudWatch
 * Logs turns into metrics (no PutMetricData call, no extra latency), built by Powertools for AWS
 * Lambda's Metrics (names, units and dimensions checked, the EMF document assembled).
 *
 * Every metric of this project is in one namespace with one dimension, `Service` (the Lambda's
 * service name): the dashboard and alarms (templates/streaming-observability.ts) search exactly that.
 * Powertools adds a dimension `service` of its own (from POWERTOOLS_SERVICE_NAME); it is replaced.
 * Powertools' switches still apply: POWERTOOLS_METRICS_DISABLED=true (or POWERTOOLS_DEV=true without
 * it) writes no metric line. Lines go through the caller's `write` (tests), else to stdout.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** @default namespace of every metric (templates/streaming-observability.ts METRICS_NAMESPACE). */
export const DEFAULT_METRICS_NAMESPACE = 'QnaStreaming';
/** The one dimension (templates/streaming-observability.ts METRICS_SERVICE_DIMENSION). */
export const SERVICE_DIMENSION = 'Service';
/** Powertools' name of the cold-start metric. */
export const COLD_START_METRIC = 'ColdStart';

export { MetricUnit };

export interface ServiceMetricsOptions {
  /** @default DEFAULT_METRICS_NAMESPACE */
  namespace?: string;
  /** Value of the `Service` dimension. */
  service: string;
  /** @default one line to process.stdout */
  write?: (line: string) => void;
}

const writeStdout = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

/** Powertools' Metrics with the `Service` dimension and a `write` of the caller's choosing. */
export class ServiceMetrics extends Metrics {
  readonly #write: (line: string) => void;

  constructor(options: ServiceMetricsOptions) {
    super({ namespace: options.namespace ?? DEFAULT_METRICS_NAMESPACE });
    this.clearDefaultDimensions();
    this.setDefaultDimensions({ [SERVICE_DIMENSION]: options.service });
    this.#write = options.write ?? writeStdout;
  }

  /** The EMF line of the metrics added since the last one (which are then forgotten). */
  takeLine(timestamp?: number): string {
    try {
      if (timestamp !== undefined) this.setTimestamp(timestamp);
      return JSON.stringify(this.serializeMetrics());
    } finally {
      this.clearMetrics();
    }
  }

  /** Writes the metrics added since the last line, unless Powertools' switches turned metrics off. */
  publish(timestamp?: number): void {
    const line = this.takeLine(timestamp);
    if (!this.isDisabled()) this.#write(line);
  }

  /**
   * True once per instance, on the first call in an execution environment that Lambda started on
   * demand (Powertools' rule: provisioned-concurrency and unknown starts are not cold starts).
   */
  firstCallOfColdStart(): boolean {
    return this.getColdStart();
  }
}

/**
 * The cold-start metric of one Lambda: create it at module load (the init phase), call the returned
 * function at the start of every invocation. The first invocation of an on-demand execution
 * environment writes `ColdStart` (Count 1, dimension `Service`); later ones write nothing.
 */
export function coldStartMetric(options: ServiceMetricsOptions): () => void {
  const metrics = new ServiceMetrics(options);
  return () => {
    if (!metrics.firstCallOfColdStart()) return;
    metrics.addMetric(COLD_START_METRIC, MetricUnit.Count, 1);
    metrics.publish();
  };
}
