/**
 * The performance targets of DESIGN.md, checked against one run. "One post latency" is what one
 * PostToConnection takes in the same configuration (the injected latency plus the local HTTP, SigV4
 * and WebSocket work), measured from the naive publisher's awaited posts, so the check does not
 * blame the publisher for the cost of the post itself. The added TTFT and the end lag are single
 * samples, and on a stack whose every double shares one event loop a single post varies by a few
 * milliseconds (and now and then by tens), so they are compared with the 90th percentile of the
 * post durations (`postRoundTripP90Ms`); the median is printed next to it.
 */
import type { BenchRow } from './runner';

export type TargetStatus = 'PASS' | 'FAIL' | 'SKIP';

export interface TargetCheck {
  target: string;
  status: TargetStatus;
  /** The figures behind the verdict (worst case first). */
  detail: string;
}

const POSTS_RATE = 100;

function label(row: BenchRow): string {
  return `${row.tokensPerSecond} tok/s × ${row.answerTokens} tokens × ${row.postLatencyMs} ms`;
}

function postLatency(row: BenchRow): string {
  return `${row.postRoundTripP90Ms} ms (one post: p90; median ${row.postRoundTripMs} ms)`;
}

/** Worst row first: the one with the least room (most negative margin). */
function worst(rows: readonly BenchRow[], margin: (row: BenchRow) => number): BenchRow | undefined {
  return [...rows].sort((a, b) => margin(a) - margin(b))[0];
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

  const lagTarget = `end lag ≤ coalesce window (${coalesceWindowMs} ms) + one post latency`;
  const lagWorst = worst(rows, (row) => coalesceWindowMs + row.postRoundTripP90Ms - row.publisher.endLagMs);
  checks.push(
    lagWorst
      ? {
          target: lagTarget,
          status: rows.every((row) => row.publisher.endLagMs <= coalesceWindowMs + row.postRoundTripP90Ms)
            ? 'PASS'
            : 'FAIL',
          detail: `worst: ${lagWorst.publisher.endLagMs} ms ≤ ${coalesceWindowMs} + ${postLatency(lagWorst)}? (${label(lagWorst)}); naive up to ${Math.max(...rows.map((row) => row.naive.endLagMs))} ms`,
        }
      : { target: lagTarget, status: 'SKIP', detail: 'no configuration' },
  );

  const ttftTarget = 'added time to first token ≤ one post latency';
  const ttftWorst = worst(rows, (row) => row.postRoundTripP90Ms - row.publisher.addedTtftMs);
  checks.push(
    ttftWorst
      ? {
          target: ttftTarget,
          status: rows.every((row) => row.publisher.addedTtftMs <= row.postRoundTripP90Ms) ? 'PASS' : 'FAIL',
          detail: `worst: ${ttftWorst.publisher.addedTtftMs} ms ≤ ${postLatency(ttftWorst)}? (${label(ttftWorst)}); naive ${ttftWorst.naive.addedTtftMs} ms`,
        }
      : { target: ttftTarget, status: 'SKIP', detail: 'no configuration' },
  );
  return checks;
}

export function anyFailed(checks: readonly TargetCheck[]): boolean {
  return checks.some((check) => check.status === 'FAIL');
}
