/**
 * The benchmark's output: report.json (the rows), report.md (a table with publisher ÷ naive ratios
 * side by side), lag.svg, and the printed summary with a PASS/FAIL per DESIGN target.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { renderLagChart } from './lag-chart';
import { ratio } from './measure';
import type { BenchResult, BenchRow } from './runner';
import type { TargetCheck } from './targets';

export interface ReportFiles {
  json: string;
  markdown: string;
  svg: string;
}

type Metric = keyof BenchRow['naive'];

const METRICS: readonly [Metric, string][] = [
  ['posts', 'posts'],
  ['addedTtftMs', 'added TTFT ms'],
  ['endLagMs', 'end lag ms'],
  ['hookMs', 'hook ms'],
  ['p50Ms', 'p50 chunk ms'],
  ['p99Ms', 'p99 chunk ms'],
];

function cell(row: BenchRow, metric: Metric): string {
  const naive = row.naive[metric];
  const publisher = row.publisher[metric];
  const share = ratio(publisher, naive);
  return `${naive} / ${publisher} (${share === undefined ? '–' : share.toFixed(2)})`;
}

/** The table of one run; each metric cell reads `naive / publisher (publisher ÷ naive)`. */
export function renderMarkdownTable(rows: readonly BenchRow[]): string {
  const header = [
    'tok/s',
    'tokens',
    'post ms (injected / measured)',
    'chunks',
    ...METRICS.map(([, name]) => name),
  ];
  const lines = [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`];
  for (const row of rows) {
    lines.push(
      `| ${[
        row.tokensPerSecond,
        row.answerTokens,
        `${row.postLatencyMs} / ${row.postRoundTripMs}`,
        row.modelChunks,
        ...METRICS.map(([metric]) => cell(row, metric)),
      ].join(' | ')} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

export function renderTargets(checks: readonly TargetCheck[]): string {
  return `${checks.map((check) => `${check.status}  ${check.target} — ${check.detail}`).join('\n')}\n`;
}

export function renderMarkdown(result: BenchResult, checks: readonly TargetCheck[], command: string): string {
  const { settings } = result;
  return [
    '# Publisher vs naive baseline',
    '',
    `Command: \`${command}\`. Question: "${settings.question}". Local model: time to first token ${settings.timeToFirstTokenMs} ms, 1–5 tokens per chunk, seed ${settings.seed} (both publishers get the same chunks). Publisher coalesce window ${settings.coalesceWindowMs} ms.`,
    '',
    "Each metric cell: `naive / publisher (publisher ÷ naive)`. Added TTFT = client's first text − model's first chunk; end lag = client has the last text − model sent the last chunk; hook = duration of the publishing call (what Lambda bills); p50/p99 = per model chunk, client has its text − model emitted it. Post latency: injected by the local `@connections` API / measured: the median duration of one awaited PostToConnection in that configuration (the post latency of the targets).",
    '',
    renderMarkdownTable(result.rows),
    '## DESIGN targets',
    '',
    ...checks.map((check) => `- **${check.status}** ${check.target} — ${check.detail}`),
    '',
    '![end lag vs answer length](lag.svg)',
    '',
  ].join('\n');
}

export async function writeReport(
  result: BenchResult,
  checks: readonly TargetCheck[],
  directory: string,
  command: string,
): Promise<ReportFiles> {
  await mkdir(directory, { recursive: true });
  const files: ReportFiles = {
    json: path.join(directory, 'report.json'),
    markdown: path.join(directory, 'report.md'),
    svg: path.join(directory, 'lag.svg'),
  };
  const rows = result.rows.map((row) => ({
    tokensPerSecond: row.tokensPerSecond,
    answerTokens: row.answerTokens,
    postLatencyMs: row.postLatencyMs,
    postRoundTripMs: row.postRoundTripMs,
    modelChunks: row.modelChunks,
    naive: row.naive,
    publisher: row.publisher,
  }));
  await writeFile(files.json, `${JSON.stringify(rows, null, 2)}\n`);
  await writeFile(files.markdown, renderMarkdown(result, checks, command));
  await writeFile(files.svg, renderLagChart(result.rows));
  return files;
}
