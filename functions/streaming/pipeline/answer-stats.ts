/**
 * What one answer did, counted once when it ends. The publisher's result (StreamResult extends
 * AnswerStats), its "answer finished" log line and its EMF metrics are all derived from this one
 * object, so a new statistic is added here and in the derivations below, nowhere else.
 */
import type { AnswerMetrics } from './metrics';

export interface AnswerStats {
  /** The model's stop reason, or `cancelled` / `error`. */
  stopReason: string;
  /** Milliseconds from the start to the first text, when there was text. */
  ttftMs?: number;
  /** Milliseconds from the start until the model was done. */
  totalMs: number;
  /** Text chunks the model produced. */
  chunks: number;
  /** PostToConnection calls made (retries included). */
  posts: number;
  /** Connections streamed to. */
  connections: number;
  /** Connections found gone (410) and forgotten. */
  goneConnections: number;
  cancelled: boolean;
  /** The model's failure, when it failed. */
  error?: { code: string; message: string };
}

/** The statistics of an answer that failed before anything was streamed. */
export function failedBeforeStreaming(error: { code: string; message: string }): AnswerStats {
  return {
    stopReason: 'error',
    totalMs: 0,
    chunks: 0,
    posts: 0,
    connections: 0,
    goneConnections: 0,
    cancelled: false,
    error,
  };
}

/** The context of the "answer finished" log line (the failure has its own "model failed" line). */
export function answerFinishedLogContext(stats: AnswerStats): Record<string, unknown> {
  return {
    stopReason: stats.stopReason,
    ttftMs: stats.ttftMs,
    totalMs: stats.totalMs,
    chunks: stats.chunks,
    posts: stats.posts,
    connections: stats.connections,
    goneConnections: stats.goneConnections,
    cancelled: stats.cancelled,
  };
}

/** The EMF metrics of the answer (metrics.ts names them). */
export function answerMetrics(stats: AnswerStats): AnswerMetrics {
  return {
    timeToFirstTokenMs: stats.ttftMs,
    totalMs: stats.totalMs,
    chunks: stats.chunks,
    posts: stats.posts,
    connections: stats.connections,
    goneConnections: stats.goneConnections,
    cancelled: stats.cancelled,
    error: stats.error !== undefined,
  };
}
