/**
 * `npm run mutation [-- <module> ...]`: StrykerJS mutation testing of the core modules, each
 * against the test files that exercise it (jest's `roots` makes Stryker's related-test lookup find
 * nothing, so the list is written here). Not part of `npm test`: a module takes minutes.
 *
 * Reports go to build/mutation/<module>/ (mutation.html, mutation.json); the last lines printed
 * are the score of each module (killed + timed out) ÷ (all mutants that tests reach or not).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../templates/lambda-assets';

interface CoreModule {
  readonly file: string;
  readonly tests: readonly string[];
  /** Tests need the synthesized templates (jest's globalSetup). @default false */
  readonly templates?: boolean;
}

/** The core modules and the tests that judge them (issue 14: ≥ 90 % killed each). */
export const CORE_MODULES: Readonly<Record<string, CoreModule>> = {
  coalescer: {
    file: 'functions/streaming/pipeline/coalescer.ts',
    tests: ['test/publisher/coalescer.test.ts'],
  },
  'frame-encoder': {
    file: 'functions/streaming/pipeline/frame-encoder.ts',
    tests: ['test/publisher/frame-encoder.test.ts', 'test/publisher/status-encoding.test.ts'],
  },
  'text-split': {
    file: 'functions/streaming/pipeline/text-split.ts',
    tests: ['test/publisher/text-split.test.ts', 'test/publisher/frame-encoder.test.ts'],
  },
  'connection-poster': {
    file: 'functions/streaming/pipeline/connection-poster.ts',
    tests: [
      'test/publisher/connection-poster-policy.integration.test.ts',
      'test/publisher/connection-poster.integration.test.ts',
    ],
  },
  'session-watcher': {
    file: 'functions/streaming/pipeline/session-watcher.ts',
    tests: [
      'test/publisher/session-watcher-direct.integration.test.ts',
      'test/publisher/session-watcher.integration.test.ts',
    ],
  },
  'session-table': {
    file: 'functions/shared/session-table.ts',
    // Its tests read the synthesized streaming template (the table's definition): set
    // QNA_STREAMING_SYNTH_CACHE to a templates file (test/support/global-setup.ts writes one) or each
    // mutant's run synthesizes again.
    tests: [
      'test/connection/session-table.test.ts',
      'test/connection/session-table-races.test.ts',
      'test/connection/identity-binding.test.ts',
      'test/connection/connection-lambda.test.ts',
    ],
  },
  'connection-routes': {
    file: 'functions/connection/connection-routes.ts',
    // As session-table: set QNA_STREAMING_SYNTH_CACHE.
    tests: [
      'test/connection/connection-routes.test.ts',
      'test/connection/connection-lambda.test.ts',
      'test/connection/identity-binding.test.ts',
    ],
  },
  'frame-reader': {
    file: 'web-plugin/frame-reader.ts',
    // malformed-frames.test.ts (the client and the Lex Web UI adapter on the same messages) is left
    // out: frame-reader.test.ts reads each of its messages directly, in a fraction of the time.
    tests: ['test/web-plugin/frame-reader.test.ts', 'test/web-plugin/turn-memory.test.ts'],
  },
  markdown: {
    file: 'web-plugin/markdown.ts',
    // markdown-timing.test.ts (wall clock, seconds per run) is left out: markdown-linear.test.ts
    // judges the same linearity exactly, by the characters searched. markdown-stream.test.ts judges
    // StreamingMarkdown (the widget's rendering while an answer streams).
    tests: [
      'test/web-plugin/markdown.test.ts',
      'test/web-plugin/markdown-dom.test.ts',
      'test/web-plugin/markdown-linear.test.ts',
      'test/web-plugin/markdown-stream.test.ts',
    ],
  },
};

interface ModuleScore {
  name: string;
  killed: number;
  survived: number;
  noCoverage: number;
  timeout: number;
  total: number;
}

function runModule(name: string, module: CoreModule): ModuleScore {
  const dir = path.join(REPO_ROOT, 'build', 'mutation', name);
  mkdirSync(dir, { recursive: true });
  const jestOverrides: Record<string, unknown> = {
    testMatch: module.tests.map((test) => `<rootDir>/${test}`),
  };
  if (!module.templates) {
    jestOverrides.globalSetup = undefined;
    jestOverrides.globalTeardown = undefined;
  }
  const config = {
    $schema: '../../../node_modules/@stryker-mutator/core/schema/stryker-schema.json',
    packageManager: 'npm',
    testRunner: 'jest',
    coverageAnalysis: 'perTest',
    jest: {
      projectType: 'custom',
      configFile: 'jest.config.js',
      config: jestOverrides,
      enableFindRelatedTests: false,
    },
    mutate: [module.file],
    // One sandbox per module, so two modules can run side by side.
    tempDirName: `build/stryker-tmp/${name}`,
    // The first (unmutated) run of the integration tests can take minutes on a busy 2-core machine.
    dryRunTimeoutMinutes: 20,
    ignorePatterns: ['build', '.git'],
    concurrency: Number(process.env.MUTATION_CONCURRENCY ?? 2),
    timeoutMS: 20000,
    reporters: ['clear-text', 'html', 'json', 'progress'],
    htmlReporter: { fileName: path.relative(REPO_ROOT, path.join(dir, 'mutation.html')) },
    jsonReporter: { fileName: path.relative(REPO_ROOT, path.join(dir, 'mutation.json')) },
    thresholds: { high: 90, low: 80, break: null },
  };
  const configFile = path.join(dir, 'stryker.config.json');
  writeFileSync(configFile, `${JSON.stringify(config, null, 2)}\n`);
  const run = spawnSync('npx', ['stryker', 'run', configFile], { cwd: REPO_ROOT, stdio: 'inherit' });
  if (run.status !== 0) throw new Error(`stryker failed for ${name} (exit ${run.status})`);
  const report = JSON.parse(readFileSync(path.join(dir, 'mutation.json'), 'utf8')) as {
    files: Record<string, { mutants: { status: string }[] }>;
  };
  const score: ModuleScore = { name, killed: 0, survived: 0, noCoverage: 0, timeout: 0, total: 0 };
  for (const file of Object.values(report.files)) {
    for (const mutant of file.mutants) {
      if (mutant.status === 'Killed') score.killed++;
      else if (mutant.status === 'Survived') score.survived++;
      else if (mutant.status === 'NoCoverage') score.noCoverage++;
      else if (mutant.status === 'Timeout') score.timeout++;
      else continue; // CompileError, RuntimeError, Ignored: not counted, as Stryker does
      score.total++;
    }
  }
  return score;
}

function main(): void {
  const requested = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
  const unknown = requested.filter((name) => !(name in CORE_MODULES));
  if (unknown.length > 0) {
    console.error(`unknown module ${unknown.join(', ')}; one of: ${Object.keys(CORE_MODULES).join(', ')}`);
    process.exitCode = 2;
    return;
  }
  const names = requested.length > 0 ? requested : Object.keys(CORE_MODULES);
  const scores = names.map((name) => runModule(name, CORE_MODULES[name] as CoreModule));
  console.log('\nmodule                killed  timeout  survived  no-coverage  score');
  for (const s of scores) {
    const percent = s.total === 0 ? 100 : (100 * (s.killed + s.timeout)) / s.total;
    console.log(
      `${s.name.padEnd(20)} ${String(s.killed).padStart(7)} ${String(s.timeout).padStart(8)} ${String(s.survived).padStart(9)} ${String(s.noCoverage).padStart(12)}  ${percent.toFixed(1)} %`,
    );
  }
}

main();
