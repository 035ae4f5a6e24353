/**
 * The widget's streaming experience, measured in Chromium on the demo page (issue 11 "Measured"):
 * one long formatted answer with the smooth reveal, then the same question with `?reveal=instant`
 * (each batch shown as it arrives, as before the reveal), and for each:
 *
 * - the longest main-thread task while the answer streamed and the count of tasks over 50 ms
 *   (PerformanceObserver 'longtask', which reports tasks of 50 ms and more);
 * - the revealed text's lag behind the received text after each animation frame, max and p95, in
 *   characters and milliseconds (scripts/bench/reveal-probe.ts);
 * - the time to the first visible words (the widget's own line under the answer: from the
 *   question to the first words on screen), for the long answer and --rounds more after it;
 * - and once, the plugin bundle's gzip sizes. Screenshots mid-stream go to build/screens/.
 *
 *   npx tsx scripts/bench/streaming-experience.ts [--endpoints=build/local/endpoints.json]
 *     [--answer-tokens=2000] [--tokens-per-second=80] [--question="…"] [--rounds=5]
 *     [--chromium=/usr/bin/chromium] [--first-words-only --web=<demo page URL>]
 *
 * --first-words-only asks the short question --rounds times after a warm-up on the demo page at
 * --web (or the endpoints' page) and prints the time to the first visible words of each: the
 * widget's own line under the answer, which every version of the demo shows, so an `npm start` of
 * an older commit (a `git worktree` on other ports) is measured the same way, e.g. before and after
 * the smooth reveal.
 *
 * Without --endpoints it starts the local stack on run-time ports, with the model set to answer
 * --answer-tokens tokens at --tokens-per-second (the hook guide extended with the next long
 * entries: paragraphs, code blocks, lists) and the fulfillment's max tokens raised to fit. With
 * --endpoints (a running `npm start`) the model is whatever that stack runs (its answer is capped
 * by the fulfillment's max tokens, 1,024 by default).
 */
import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import type { LocalEndpoints } from '../../cli/local-stack/endpoints';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { REPO_ROOT } from '../../templates/lambda-assets';
import { MAX_LAG_CHARS, MAX_LAG_MS } from '../../web-plugin/reveal';
import { buildWebPlugin } from '../build-web-plugin';
import { BenchError } from './errors';
import { percentile, round } from './measure';
import { type RevealProbe, readRevealProbe, revealProbe } from './reveal-probe';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const DEFAULT_QUESTION = 'How do I write a streaming QnABot hook?';
/** Asked before the long answer (to warm up) and --rounds times after it, each stopped at its first words. */
const WARM_UP_QUESTION = 'Can a user stop an answer while it is streaming?';
const SCREENS_DIR = path.join(REPO_ROOT, 'build', 'screens');
const LONG_TASK_MS = 50;

interface Options {
  endpoints?: string;
  answerTokens: number;
  tokensPerSecond: number;
  question: string;
  chromium: string;
  rounds: number;
  firstWordsOnly: boolean;
  web?: string;
}

function parseOptions(args: readonly string[]): Options {
  const flag = (name: string) => args.find((arg) => arg.startsWith(`--${name}=`))?.slice(name.length + 3);
  const positive = (name: string, fallback: number) => {
    const raw = flag(name);
    const value = raw === undefined ? fallback : Number(raw);
    if (!Number.isFinite(value) || value <= 0)
      throw new BenchError(`--${name} must be a number > 0, got "${raw}"`);
    return value;
  };
  return {
    endpoints: flag('endpoints'),
    answerTokens: positive('answer-tokens', 2000),
    tokensPerSecond: positive('tokens-per-second', 80),
    question: flag('question') ?? DEFAULT_QUESTION,
    chromium: flag('chromium') ?? '/usr/bin/chromium',
    rounds: Math.round(positive('rounds', 5)),
    firstWordsOnly: args.includes('--first-words-only'),
    web: flag('web'),
  };
}

type Mode = 'smooth' | 'instant';

interface ModeResult {
  mode: Mode;
  receivedChars: number;
  outputTokens: string;
  streamMs: number;
  frames: number;
  longestTaskMs: number;
  tasksOver50: number;
  lagCharsMax: number;
  lagCharsP95: number;
  lagMsMax: number;
  lagMsP95: number;
  firstWordsMs: number;
  /** The model's first token of the same answer (the `end` frame's ttftMs, timed in the fulfillment Lambda). */
  serverFirstTokenMs: string;
  screenshot: string;
  /** First visible words of the short answers asked after the long one. */
  shortFirstWordsMs: number[];
  /** Tasks over 50 ms: ms after the start frame, and duration. */
  longTasks: string[];
}

async function runMode(
  browser: Browser,
  webUrl: string,
  question: string,
  mode: Mode,
  rounds: number,
): Promise<ModeResult> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  try {
    const page = await context.newPage();
    // tsx (esbuild keepNames) wraps named functions in __name(); page functions need it defined.
    await page.addInitScript({ content: 'globalThis.__name = (target) => target;' });
    await page.addInitScript(revealProbe);
    await page.goto(`${webUrl}${mode === 'instant' ? '?reveal=instant' : ''}`);
    await page.waitForSelector('[data-testid="demo-connection"][data-state="open"]', { timeout: 20_000 });
    // One answer's first words first, so the fulfillment Lambda and the page's code are warm.
    await firstWordsOf(page, WARM_UP_QUESTION);
    await page.fill('[data-testid="qs-question-input"]', question);
    await page.click('[data-testid="qs-ask-button"]');
    const screenshot = path.join(SCREENS_DIR, `widget-mid-stream-${mode}.png`);
    let shot = false;
    for (const deadline = Date.now() + 180_000; ; ) {
      if (Date.now() > deadline) throw new BenchError(`no final answer within 180 s (${mode})`);
      const view = await latestAnswer(page);
      if (!shot && view.state === 'streaming' && view.revealed > 2500) {
        await page.screenshot({ path: screenshot });
        shot = true;
      }
      if (view.finalShown) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const probe = await page.evaluate(readRevealProbe);
    const ttft = await page.$$eval(
      '[data-testid="qs-ttft"]',
      (lines) => lines[lines.length - 1]?.textContent ?? '',
    );
    const stats = (await page.textContent('[data-testid="demo-stats"]')) ?? '';
    const result = summarize(mode, probe, ttft, stats, shot ? screenshot : '(answer too short for one)');
    // First visible words again, on more answers (one figure is too noisy to compare modes).
    for (let round = 0; round < rounds; round += 1) {
      result.shortFirstWordsMs.push(await firstWordsOf(page, WARM_UP_QUESTION));
    }
    return result;
  } finally {
    await context.close();
  }
}

/** The time to the first visible words of `rounds` short answers on the page at `webUrl`, after a warm-up. */
async function firstWordsRounds(browser: Browser, webUrl: string, rounds: number): Promise<number[]> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 900 } });
  try {
    const page = await context.newPage();
    await page.goto(webUrl);
    await page.waitForSelector('[data-testid="demo-connection"][data-state="open"]', { timeout: 20_000 });
    await firstWordsOf(page, WARM_UP_QUESTION);
    const times: number[] = [];
    for (let round = 0; round < rounds; round += 1) times.push(await firstWordsOf(page, WARM_UP_QUESTION));
    return times;
  } finally {
    await context.close();
  }
}

/** Asks `question`, reads the time to its first words on screen, then stops it and waits for its final answer. */
async function firstWordsOf(page: Page, question: string): Promise<number> {
  const finalSelector = '[data-testid="qs-final-answer"][data-state]';
  const answered = await page.$$eval(finalSelector, (elements) => elements.length);
  await page.fill('[data-testid="qs-question-input"]', question);
  await page.click('[data-testid="qs-ask-button"]');
  await page.waitForFunction(
    () => {
      const lines = document.querySelectorAll('[data-testid="qs-ttft"]');
      return /\d+ ms/.test(lines[lines.length - 1]?.textContent ?? '');
    },
    undefined,
    { timeout: 60_000 },
  );
  const line = await page.$$eval(
    '[data-testid="qs-ttft"]',
    (lines) => lines[lines.length - 1]?.textContent ?? '',
  );
  const cancel = await page.$('[data-testid="qs-cancel-button"]:not([disabled])');
  await cancel?.click();
  await page.waitForFunction(
    ([selector, count]) => document.querySelectorAll(selector as string).length > (count as number),
    [finalSelector, answered] as const,
    { timeout: 60_000 },
  );
  return Number(/(\d+) ms/.exec(line)?.[1]);
}

function latestAnswer(page: Page) {
  return page.evaluate(() => {
    const last = (testId: string) => {
      const all = document.querySelectorAll<HTMLElement>(`[data-testid="${testId}"]`);
      return all[all.length - 1];
    };
    const streamed = last('qs-streamed-answer');
    const final = last('qs-final-answer');
    return {
      state: streamed?.getAttribute('data-state') ?? null,
      revealed: Number(streamed?.getAttribute('data-revealed-chars') ?? 0),
      finalShown: final ? !final.hidden : false,
    };
  });
}

function summarize(
  mode: Mode,
  probe: RevealProbe,
  ttft: string,
  stats: string,
  screenshot: string,
): ModeResult {
  if (probe.startAt === undefined || probe.samples.length === 0) {
    throw new BenchError(
      `the answer did not stream (${mode}): no start frame or no frame sampled while streaming`,
    );
  }
  const firstWords = /(\d+) ms/.exec(ttft);
  if (!firstWords) throw new BenchError(`no first-words time under the answer (${mode}): "${ttft}"`);
  // While streaming: from the start frame to the end frame plus the reveal's longest tail.
  const from = probe.startAt;
  const to = (probe.endAt ?? (probe.samples[probe.samples.length - 1] as { at: number }).at) + MAX_LAG_MS;
  const tasks = probe.longTasks.filter((task) => task.start + task.duration >= from && task.start <= to);
  const lagChars = probe.samples.map((sample) => sample.lagChars);
  const lagMs = probe.samples.map((sample) => sample.lagMs);
  return {
    mode,
    receivedChars: probe.arrivals.reduce((sum, arrival) => sum + arrival.n, 0),
    outputTokens: /(\d+) tokens/.exec(stats)?.[1] ?? '?',
    streamMs: Math.round((probe.endAt ?? to) - from),
    frames: probe.samples.length,
    longestTaskMs: round(Math.max(0, ...tasks.map((task) => task.duration))),
    tasksOver50: tasks.filter((task) => task.duration > LONG_TASK_MS).length,
    lagCharsMax: Math.max(...lagChars),
    lagCharsP95: percentile(lagChars, 95),
    lagMsMax: round(Math.max(...lagMs)),
    lagMsP95: round(percentile(lagMs, 95)),
    firstWordsMs: Number(firstWords[1]),
    serverFirstTokenMs: /first token from the model after (\d+) ms/.exec(stats)?.[1] ?? '?',
    screenshot,
    shortFirstWordsMs: [],
    longTasks: tasks
      .filter((task) => task.duration > LONG_TASK_MS)
      .map((task) => `${Math.round(task.duration)} ms at +${Math.round(task.start - from)} ms`),
  };
}

function shortFigures(values: readonly number[]): string {
  return values.length === 0 ? '–' : `${percentile(values, 50)} (${values.join(', ')})`;
}

function printTable(results: readonly ModeResult[]): void {
  const rows: [string, (result: ModeResult) => string | number][] = [
    ['answer (tokens / chars received)', (r) => `${r.outputTokens} / ${r.receivedChars}`],
    ['streamed for (ms, start to end frame)', (r) => r.streamMs],
    ['frames sampled while streaming', (r) => r.frames],
    ['longest main-thread task while streaming (ms)', (r) => r.longestTaskMs],
    [`tasks over ${LONG_TASK_MS} ms`, (r) => r.tasksOver50],
    [`revealed lag, chars: max / p95 (bound ${MAX_LAG_CHARS})`, (r) => `${r.lagCharsMax} / ${r.lagCharsP95}`],
    [`revealed lag, ms: max / p95 (bound ${MAX_LAG_MS})`, (r) => `${r.lagMsMax} / ${r.lagMsP95}`],
    ['first visible words after asking (ms)', (r) => r.firstWordsMs],
    ["  the model's first token, timed in the Lambda (ms)", (r) => r.serverFirstTokenMs],
    ['  more answers, stopped at first words: median (all)', (r) => shortFigures(r.shortFirstWordsMs)],
    ['screenshot mid-stream', (r) => path.relative(REPO_ROOT, r.screenshot)],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  console.log(`\n${'reveal'.padEnd(width)}  ${results.map((r) => r.mode.padEnd(20)).join('  ')}`);
  for (const [name, value] of rows) {
    console.log(`${name.padEnd(width)}  ${results.map((r) => String(value(r)).padEnd(20)).join('  ')}`);
  }
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  await mkdir(SCREENS_DIR, { recursive: true });
  let stack: LocalStack | undefined;
  let browser: Browser | undefined;
  try {
    let webUrl: string;
    if (options.web) {
      webUrl = options.web;
    } else if (options.endpoints) {
      webUrl = (JSON.parse(readFileSync(options.endpoints, 'utf8')) as LocalEndpoints).webUrl;
    } else {
      stack = await startLocalStack({
        modelBehaviour: { answerTokens: options.answerTokens, tokensPerSecond: options.tokensPerSecond },
        fulfillmentEnvironment: { STREAMING_MAX_TOKENS: String(Math.ceil(options.answerTokens * 1.5)) },
      });
      webUrl = stack.endpoints.webUrl;
    }
    browser = await chromium.launch({
      executablePath: options.chromium,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    if (options.firstWordsOnly) {
      const times = await firstWordsRounds(browser, webUrl, options.rounds);
      console.log(
        `first visible words on ${webUrl}: median ${percentile(times, 50)} ms (${times.join(', ')}), ${options.rounds} answers after a warm-up`,
      );
      return;
    }
    const results = [
      await runMode(browser, webUrl, options.question, 'smooth', options.rounds),
      await runMode(browser, webUrl, options.question, 'instant', options.rounds),
    ];
    printTable(results);
    for (const result of results) {
      if (result.longTasks.length > 0)
        console.log(`tasks over ${LONG_TASK_MS} ms (${result.mode}): ${result.longTasks.join(', ')}`);
    }
    const [smooth, instant] = results as [ModeResult, ModeResult];
    console.log(
      `first visible words, smooth − instant: ${smooth.firstWordsMs - instant.firstWordsMs} ms (one frame is 16.7 ms)`,
    );
    const bundles = await buildWebPlugin(path.join(REPO_ROOT, 'build', 'bench', 'streaming-experience'));
    for (const bundle of bundles) {
      console.log(
        `bundle ${path.basename(bundle.file)}: ${bundle.gzipBytes} B gzip (budget ${bundle.budgetBytes} B)`,
      );
    }
  } finally {
    await browser?.close();
    await stack?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof BenchError ? `streaming-experience: ${error.message}` : error);
  process.exitCode = 1;
});
