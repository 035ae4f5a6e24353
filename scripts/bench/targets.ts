/**
 * The performance targets of DESIGN.md, checked against one run. "One post latency" is what one
 * PostToConnection takes in the same configuration (`postRoundTripMs`: the median of the naive
 * publisher's awaited posts, i.e. the injected latency plus local HTTP, SigV4 and WebSocket work),
 * so the publisher is not blamed for the cost of the post itself.
 *
 * Added time to first token is one sample per configuration, and on a stack whose doubles share one
 * event loop a single post varies by a few milliseconds (now and then by tens). Comparing each
 * sample with the median post would fail about half the configurations by chance even for a
 * publisher that adds exactly one post, so the target is judged on the median, over all
 * configurations, of (added TTFT − one post latency): ≤ 0 when the first text costs one post, > 0
 * when something else (such as a connection lookup after the first chunk, as naive does) sits on
 * the path. The worst single configuration is printed next to it.
 */
import type { BenchRow } from './runner';

export type TargetStatus = 'PASS' | 'FAIL' | 'SKIP';

export interface TargetCheck {
  target: string;
  status: TargetStatus;
  /** The figures behind the verdict. */
  detail: string;
}

const POSTS_RATE = 100;

function label(row: BenchRow): string {
  return `${row.tokensPerSecond} tok/s × ${row.answerTokens} tokens × ${row.postLatencyMs} ms`;
}

/** The row with the least room (smallest margin) first. */
function worst(rows: readonly BenchRow[], margin: (row: BenchRow) => number): BenchRow | undefined {
  return [...rows].sort((a, b) => margin(a) - margin(b))[0];
}

/** Median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] as number)
    : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function signed(ms: number): string {
  const rounded = Math.round(ms * 10) / 10;
  return `${rounded > 0 ? '+' : ''}${rounded} ms`;
}

export function checkTargets(rows: readonly BenchRow[], coalesceWindowMs: number): TargetCheck[] {
  const checks: TargetCheck[] = [];

  const atRate = rows.filter((row) => row.tokensPerSecond === POSTS_RATE);
  const postsTarget = `posts per answer ≤ 1/5 of naive at ${POSTS_RATE} tokens/s`;
  const postsWorst = worst(atRate, (row) => row.naive.posts / 5 - row.publisher.posts);
  checks.push(
    postsWorst
      ? {
          target: postsTarget,
          status: atRate.every((row) => row.publisher.posts * 5 <= row.naive.posts) ? 'PASS' : 'FAIL',
          detail: `worst: ${postsWorst.publisher.posts} vs ${postsWorst.naive.posts} naive (${label(postsWorst)})`,
        }
      : { target: postsTarget, status: 'SKIP', detail: `no configuration at ${POSTS_RATE} tokens/s` },
  );

  if (rows.length === 0) {
    checks.push(
      { target: 'end lag', status: 'SKIP', detail: 'no configuration' },
      { target: 'added time to first token', status: 'SKIP', detail: 'no configuration' },
    );
    return checks;
  }

  const lagBound = (row: BenchRow) => coalesceWindowMs + row.postRoundTripMs;
  const lagWorst = worst(rows, (row) => lagBound(row) - row.publisher.endLagMs) as BenchRow;
  checks.push({
    target: `end lag ≤ coalesce window (${coalesceWindowMs} ms) + one post latency`,
    status: rows.every((row) => row.publisher.endLagMs <= lagBound(row)) ? 'PASS' : 'FAIL',
    detail: `worst: ${lagWorst.publisher.endLagMs} ms ≤ ${coalesceWindowMs} + ${lagWorst.postRoundTripMs} ms? (${label(lagWorst)}); naive up to ${Math.max(...rows.map((row) => row.naive.endLagMs))} ms`,
  });

  const excess = (figure: (row: BenchRow) => number) =>
    median(rows.map((row) => figure(row) - row.postRoundTripMs));
  const publisherExcess = excess((row) => row.publisher.addedTtftMs);
  const ttftWorst = worst(rows, (row) => row.postRoundTripMs - row.publisher.addedTtftMs) as BenchRow;
  checks.push({
    target: 'added time to first token ≤ one post latency (median over configurations)',
    status: publisherExcess <= 0 ? 'PASS' : 'FAIL',
    detail:
      `added TTFT − one post: median ${signed(publisherExcess)} (naive ${signed(excess((row) => row.naive.addedTtftMs))}); ` +
      `worst single answer ${signed(ttftWorst.publisher.addedTtftMs - ttftWorst.postRoundTripMs)} (${label(ttftWorst)})`,
  });
  return checks;
}

export function anyFailed(checks: readonly TargetCheck[]): boolean {
  return checks.some((check) => check.status === 'FAIL');
}
