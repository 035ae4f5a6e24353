/** The benchmark's arithmetic and verdicts, on hand-made timelines. */
import { deliveryLatencies, percentile, publisherFigures } from '../../scripts/bench/measure';
import type { BenchRow } from '../../scripts/bench/runner';
import { checkTargets } from '../../scripts/bench/targets';

const chunks = [
  { text: 'Hello', at: 100, end: 5 },
  { text: ' wor', at: 110, end: 9 },
  { text: 'ld.', at: 120, end: 12 },
];

it('times each model chunk by the frame that completed its text, when frames merge or split chunks', () => {
  // Prepare
  const frames = [
    { text: 'Hel', at: 104 },
    { text: 'lo world.', at: 150 },
  ];

  // Act
  const latencies = deliveryLatencies(chunks, frames);

  // Assess
  expect(latencies).toEqual([50, 40, 30]);
});

it('refuses to measure an answer the client did not receive whole', () => {
  // Act / Assess
  expect(() => deliveryLatencies(chunks, [{ text: 'Hello wor', at: 130 }])).toThrow(
    'the client received 9 of 12 characters',
  );
});

it('reports added TTFT and end lag against the first and last model chunk', () => {
  // Act
  const figures = publisherFigures({
    chunks,
    frames: [
      { text: 'Hello', at: 112 },
      { text: ' world.', at: 160 },
    ],
    posts: 2,
    hookMs: 75.04,
  });

  // Assess
  expect(figures).toEqual({ posts: 2, addedTtftMs: 12, endLagMs: 40, hookMs: 75, p50Ms: 40, p99Ms: 50 });
});

it('takes nearest-rank percentiles', () => {
  // Act / Assess
  const values = Array.from({ length: 100 }, (_, index) => 100 - index);
  expect(percentile(values, 50)).toBe(50);
  expect(percentile(values, 99)).toBe(99);
  expect(percentile([7], 99)).toBe(7);
});

function row(publisher: Partial<BenchRow['publisher']>): BenchRow {
  const figures = { posts: 100, addedTtftMs: 14, endLagMs: 900, hookMs: 5000, p50Ms: 200, p99Ms: 900 };
  return {
    tokensPerSecond: 100,
    answerTokens: 500,
    postLatencyMs: 30,
    modelChunks: 100,
    postRoundTripMs: 32,
    naive: figures,
    publisher: { ...figures, posts: 20, addedTtftMs: 30, endLagMs: 40, ...publisher },
  };
}

it('passes each DESIGN target at its bound and fails just past it', () => {
  // Act
  const atBounds = checkTargets([row({ posts: 20, endLagMs: 282, addedTtftMs: 32 })], 250);
  const past = checkTargets([row({ posts: 21, endLagMs: 282.1, addedTtftMs: 32.1 })], 250);

  // Assess
  expect(atBounds.map((check) => check.status)).toEqual(['PASS', 'PASS', 'PASS']);
  expect(past.map((check) => check.status)).toEqual(['FAIL', 'FAIL', 'FAIL']);
});

it('judges added TTFT on the median over configurations, so one slow first post does not decide it', () => {
  // Prepare: one jittery answer among quick ones; then a publisher whose every first text waits 3 ms more
  const jitter = [row({ addedTtftMs: 31.5 }), row({ addedTtftMs: 44 }), row({ addedTtftMs: 31.8 })];
  const lookupOnThePath = [row({ addedTtftMs: 35 }), row({ addedTtftMs: 34.6 }), row({ addedTtftMs: 35.2 })];

  // Act
  const [, , tolerant] = checkTargets(jitter, 250);
  const [, , strict] = checkTargets(lookupOnThePath, 250);

  // Assess
  expect(tolerant?.status).toBe('PASS');
  expect(tolerant?.detail).toContain('worst single answer +12 ms');
  expect(strict?.status).toBe('FAIL');
  expect(strict?.detail).toContain('median +3 ms');
});

it('skips the posts target when no configuration runs at 100 tokens/s', () => {
  // Act
  const [posts] = checkTargets([{ ...row({}), tokensPerSecond: 60 }], 250);

  // Assess
  expect(posts?.status).toBe('SKIP');
});
