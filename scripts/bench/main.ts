/**
 * `npm run bench` (fast preset) and `npm run bench:full`: the publisher against the naive baseline
 * on the local stack. Writes build/bench/report.json, report.md and lag.svg and prints a PASS/FAIL
 * per DESIGN target. Exits 0 either way unless `--check` is given.
 *
 *   npx tsx scripts/bench/main.ts [--preset=fast|full] [--check] [--out=build/bench]
 *     [--tokens-per-second=100,180] [--answer-tokens=200,500] [--post-latency-ms=10,30]
 */
import path from 'node:path';
import { REPO_ROOT } from '../../templates/lambda-assets';
import { BenchError } from './errors';
import { type BenchGrid, configurationsOf, PRESETS, type PresetName } from './presets';
import { renderMarkdownTable, renderTargets, writeReport } from './report';
import { runBench } from './runner';
import { anyFailed, checkTargets } from './targets';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function option(args: readonly string[], name: string): string | undefined {
  return args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
}

function numbers(
  args: readonly string[],
  name: string,
  fallback: readonly number[],
  min: { value: number; inclusive: boolean },
): readonly number[] {
  const raw = option(args, name);
  if (raw === undefined) return fallback;
  const values = raw.split(',').map((part) => (part.trim() ? Number(part) : Number.NaN));
  const below = (value: number) => (min.inclusive ? value < min.value : value <= min.value);
  if (values.some((value) => !Number.isFinite(value) || below(value))) {
    const bound = min.inclusive ? `>= ${min.value}` : `> ${min.value}`;
    throw new BenchError(`--${name} must be a comma-separated list of numbers ${bound}, got "${raw}"`);
  }
  return values;
}

const POSITIVE = { value: 0, inclusive: false };

function gridFromArgs(args: readonly string[]): { preset: PresetName; grid: BenchGrid } {
  const preset = option(args, 'preset') ?? 'fast';
  if (!(preset in PRESETS)) {
    throw new BenchError(`--preset must be one of ${Object.keys(PRESETS).join(', ')}, got "${preset}"`);
  }
  const base = PRESETS[preset as PresetName];
  return {
    preset: preset as PresetName,
    grid: {
      tokensPerSecond: numbers(args, 'tokens-per-second', base.tokensPerSecond, POSITIVE),
      answerTokens: numbers(args, 'answer-tokens', base.answerTokens, { value: 1, inclusive: true }),
      postLatencyMs: numbers(args, 'post-latency-ms', base.postLatencyMs, { value: 0, inclusive: true }),
    },
  };
}

async function main(args: readonly string[]): Promise<number> {
  const { preset, grid } = gridFromArgs(args);
  const configurations = configurationsOf(grid);
  const directory = path.resolve(REPO_ROOT, option(args, 'out') ?? path.join('build', 'bench'));
  const script = process.env.npm_lifecycle_event;
  const command =
    script === 'bench' || script === 'bench:full'
      ? `npm run ${script}`
      : `npx tsx scripts/bench/main.ts ${args.join(' ')}`.trim();
  process.stdout.write(`bench (${preset}): ${configurations.length} configurations × 2 publishers\n`);
  const startedAt = Date.now();
  const result = await runBench({
    configurations,
    onProgress: (line) => process.stdout.write(`  ${line}\n`),
  });
  const checks = checkTargets(result.rows, result.settings.coalesceWindowMs);
  const files = await writeReport(result, checks, directory, command);
  process.stdout.write(
    `\n${renderMarkdownTable(result.rows)}\n${renderTargets(checks)}\n` +
      `${Math.round((Date.now() - startedAt) / 1000)} s; wrote ${path.relative(process.cwd(), files.json)}, ` +
      `${path.relative(process.cwd(), files.markdown)}, ${path.relative(process.cwd(), files.svg)}\n`,
  );
  return args.includes('--check') && anyFailed(checks) ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 2;
  },
);
