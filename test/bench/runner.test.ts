/**
 * `npm run bench` end to end on its smallest configuration: both publishers, the real SDK clients
 * and the local stack, a presigned `ws` client. Timing targets are benchmark output, not test
 * assertions; this checks that the run delivers what it claims to measure and writes the report.
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeReport } from '../../scripts/bench/report';
import { type BenchResult, runBench } from '../../scripts/bench/runner';
import { checkTargets } from '../../scripts/bench/targets';

const SMALLEST = { tokensPerSecond: 100, answerTokens: 200, postLatencyMs: 10 };
let result: BenchResult;
let directory: string;

beforeAll(async () => {
  directory = await mkdtemp(path.join(tmpdir(), 'bench-'));
  result = await runBench({ configurations: [SMALLEST], onLog: () => undefined });
}, 60_000);

afterAll(async () => {
  await rm(directory, { recursive: true, force: true });
});

it('delivers the whole answer, in order, to the client through both publishers', () => {
  // Assess
  const [transcript] = result.transcripts;
  expect(transcript?.configuration).toEqual(SMALLEST);
  const answer = transcript?.naive.answer ?? '';
  expect(answer.split(/\s+/).length).toBeGreaterThan(50);
  expect(transcript?.publisher.answer).toBe(answer);
  for (const name of ['naive', 'publisher'] as const) {
    expect(transcript?.[name].received).toBe(answer);
    expect(transcript?.[name].returned).toBe(answer);
  }
});

it('writes report.json with one row per configuration and the figures of both publishers', async () => {
  // Act
  const files = await writeReport(result, checkTargets(result.rows, 250), directory, 'npm run bench');

  // Assess
  const rows = JSON.parse(await readFile(files.json, 'utf8')) as unknown[];
  expect(rows).toEqual([
    expect.objectContaining({
      ...SMALLEST,
      naive: {
        posts: expect.any(Number),
        addedTtftMs: expect.any(Number),
        endLagMs: expect.any(Number),
        hookMs: expect.any(Number),
        p50Ms: expect.any(Number),
        p99Ms: expect.any(Number),
      },
      publisher: {
        posts: expect.any(Number),
        addedTtftMs: expect.any(Number),
        endLagMs: expect.any(Number),
        hookMs: expect.any(Number),
        p50Ms: expect.any(Number),
        p99Ms: expect.any(Number),
      },
    }),
  ]);
  const [row] = result.rows;
  // The naive baseline posts once per model chunk: the count the report compares against.
  expect(row?.naive.posts).toBe(row?.modelChunks);
  const markdown = await readFile(files.markdown, 'utf8');
  expect(markdown).toContain('| 100 | 200 | 10 / ');
  expect(markdown).toMatch(/(PASS|FAIL)\*\* posts per answer/);
  const svg = await readFile(files.svg, 'utf8');
  expect(svg.startsWith('<svg')).toBe(true);
  expect(svg.match(/<polyline/g)).toHaveLength(2);
});
