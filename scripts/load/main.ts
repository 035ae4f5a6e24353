/**
 * `npm run load:full`: the full load run on the local stack — 200 sessions streaming at once, then
 * 2,000 authenticated idle sockets — printed and written to build/load/report.json. Exits 1 when a
 * session lost, reordered or changed text, or a socket was refused; the timings are figures, not
 * pass/fail (they depend on the machine).
 *
 *   npm run load:full [-- --sessions=200 --idle=2000 --concurrency=25]
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { startLocalStack } from '../../cli/local-stack/stack';
import { REPO_ROOT } from '../../templates/lambda-assets';
import { LoadError } from './errors';
import {
  createPostClock,
  formatAnswersReport,
  formatIdleReport,
  holdIdleConnections,
  runConcurrentAnswers,
} from './load-runner';

interface FullLoadSettings {
  sessions: number;
  idle: number;
  concurrency: number;
}

export function parseLoadArgs(argv: readonly string[]): FullLoadSettings {
  const settings: FullLoadSettings = { sessions: 200, idle: 2000, concurrency: 25 };
  for (const arg of argv) {
    const match = /^--(sessions|idle|concurrency)=(\d+)$/.exec(arg);
    if (!match) {
      throw new LoadError(`unknown argument ${arg}; use --sessions=N, --idle=M, --concurrency=C`);
    }
    const value = Number(match[2]);
    if (value < 1) throw new LoadError(`${arg}: must be at least 1`);
    settings[match[1] as keyof FullLoadSettings] = value;
  }
  return settings;
}

async function main(): Promise<number> {
  const settings = parseLoadArgs(process.argv.slice(2));
  const postClock = createPostClock();
  const stack = await startLocalStack({
    demo: false,
    modelBehaviour: { timeToFirstTokenMs: 300, tokensPerSecond: 60 },
    connectionsLatencyMs: postClock.latencyMs,
  });
  try {
    process.stdout.write(`load:full on ${stack.endpoints.webSocketUrl} (${JSON.stringify(settings)})\n`);
    const answers = await runConcurrentAnswers({
      stack,
      postClock,
      sessions: settings.sessions,
      endFrameTimeoutMs: 30_000,
    });
    process.stdout.write(`${formatAnswersReport(answers)}\n`);
    const idle = await holdIdleConnections({
      stack,
      connections: settings.idle,
      concurrency: settings.concurrency,
    });
    process.stdout.write(`${formatIdleReport(idle)}\n`);
    const file = path.join(REPO_ROOT, 'build', 'load', 'report.json');
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, `${JSON.stringify({ settings, answers, idle }, null, 2)}\n`);
    process.stdout.write(`report: ${path.relative(process.cwd(), file)}\n`);
    const ok = answers.failed.length === 0 && idle.refused.length === 0 && idle.heldOpen === settings.idle;
    process.stdout.write(ok ? 'PASS\n' : 'FAIL\n');
    return ok ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`load:full failed: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
