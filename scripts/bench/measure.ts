/**
 * Pure arithmetic of the benchmark: from the model's timed chunks and the client's timed frames of
 * one answer, the figures the report shows. All times are readings of one clock in one process.
 */
import { BenchError } from './errors';
import type { TimedChunk } from './timed-source';

/** One message the browser-side client received. */
export interface ReceivedFrame {
  text: string;
  /** Clock reading (ms) when the message arrived. */
  at: number;
}

/** What one publisher cost and how it felt, for one configuration. */
export interface PublisherFigures {
  /** PostToConnection calls the gateway served for the answer. */
  posts: number;
  /** Client's first text − model's first chunk. */
  addedTtftMs: number;
  /** Client had the last text − model sent the last chunk. */
  endLagMs: number;
  /** Duration of the publishing call (what Lambda bills). */
  hookMs: number;
  /** Per model chunk: client had its text − model emitted it; median and 99th percentile. */
  p50Ms: number;
  p99Ms: number;
}

/** Nearest-rank percentile (`p` in 0..100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new BenchError('percentile of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/** One decimal: timer figures are not more precise than that. */
export function round(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * For each model chunk, how long until the client had all text up to its end. Throws when the
 * frames never covered a chunk (the answer did not arrive whole).
 */
export function deliveryLatencies(chunks: readonly TimedChunk[], frames: readonly ReceivedFrame[]): number[] {
  const latencies: number[] = [];
  let frameIndex = 0;
  let received = 0;
  let receivedAt = Number.NaN;
  for (const chunk of chunks) {
    while (received < chunk.end && frameIndex < frames.length) {
      const frame = frames[frameIndex] as ReceivedFrame;
      received += frame.text.length;
      receivedAt = frame.at;
      frameIndex += 1;
    }
    if (received < chunk.end) {
      throw new BenchError(
        `the client received ${received} of ${chunk.end} characters: chunk ${latencies.length + 1} never arrived`,
      );
    }
    latencies.push(receivedAt - chunk.at);
  }
  return latencies;
}

export interface AnswerTiming {
  chunks: readonly TimedChunk[];
  frames: readonly ReceivedFrame[];
  posts: number;
  hookMs: number;
}

export function publisherFigures(timing: AnswerTiming): PublisherFigures {
  const { chunks, frames } = timing;
  const first = chunks[0];
  const last = chunks.at(-1);
  const firstFrame = frames[0];
  const lastFrame = frames.at(-1);
  if (!first || !last || !firstFrame || !lastFrame) {
    throw new BenchError(`nothing to measure: ${chunks.length} model chunks, ${frames.length} frames`);
  }
  const latencies = deliveryLatencies(chunks, frames);
  return {
    posts: timing.posts,
    addedTtftMs: round(firstFrame.at - first.at),
    endLagMs: round(lastFrame.at - last.at),
    hookMs: round(timing.hookMs),
    p50Ms: round(percentile(latencies, 50)),
    p99Ms: round(percentile(latencies, 99)),
  };
}

/** `publisher / naive`, two decimals; undefined when naive is 0. */
export function ratio(publisher: number, naive: number): number | undefined {
  if (naive === 0) return undefined;
  return Math.round((publisher / naive) * 100) / 100;
}
