/**
 * The widget's streaming experience in real headless Chromium against the local stack (the demo
 * page): markdown formatted while it streams, the smooth reveal within its bound, Stop, the status
 * line, Retry.
 *
 * The reveal's lag is measured in the page by scripts/bench/reveal-probe.ts (the benchmark's
 * probe), independently of the widget's bookkeeping for what arrived: every delta frame is
 * recorded as the socket receives it, and after each animation frame the characters received by
 * then are compared with the characters the widget shows (`data-revealed-chars`).
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { STATUS_MESSAGES, STILL_WORKING_AFTER_MS } from '../../functions/protocol/frames';
import { readRevealProbe, revealProbe } from '../../scripts/bench/reveal-probe';
import { MAX_LAG_CHARS, MAX_LAG_MS } from '../../web-plugin/reveal';
import { launchChromium, readAnswer, sampleUntil, screenshot } from './chromium';

const HOOK_QUESTION = 'How do I write a streaming QnABot hook?';
const SHORT_QUESTION = 'Can a user stop an answer while it is streaming?';
/** The local model: a steady 60 tokens/s in chunks of 1–5 tokens, batched by the publisher. */
const MODEL = { timeToFirstTokenMs: 300, tokensPerSecond: 60, throttleRequests: 0 } as const;

let stack: LocalStack;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startLocalStack({ modelBehaviour: MODEL });
}, 90_000);

beforeEach(() => {
  stack.bedrock?.setBehaviour(MODEL);
});

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await stack?.stop();
});

async function openDemo(query = ''): Promise<{ page: Page; pageErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 820 } });
  contexts.push(context);
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.addInitScript(revealProbe);
  await page.goto(`${stack.endpoints.webUrl}${query}`);
  await page.waitForSelector('[data-testid="demo-connection"][data-state="open"]', { timeout: 15_000 });
  return { page, pageErrors };
}

async function ask(page: Page, question: string): Promise<void> {
  await page.fill('[data-testid="qs-question-input"]', question);
  await page.click('[data-testid="qs-ask-button"]');
}

/** The latest answer's formatting and state, as the reader sees it. */
function readFormatting(page: Page) {
  return page.evaluate(() => {
    const all = document.querySelectorAll<HTMLElement>('[data-testid="qs-streamed-answer"]');
    const streamed = all[all.length - 1];
    return {
      state: streamed?.getAttribute('data-state') ?? null,
      codeBlocks: streamed?.querySelectorAll('pre > code').length ?? 0,
      listItems: streamed?.querySelectorAll('ol > li, ul > li').length ?? 0,
      literalFence: (streamed?.textContent ?? '').includes('```'),
    };
  });
}

function readStatus(page: Page) {
  return page.evaluate(() => {
    const all = document.querySelectorAll<HTMLElement>('[data-testid="qs-status"]');
    const status = all[all.length - 1];
    return { shown: status ? !status.hidden : false, text: status?.textContent ?? '' };
  });
}

it('formats a long markdown answer while it streams: a code block and a list before the answer is done', async () => {
  // Prepare
  const { page, pageErrors } = await openDemo();
  let midStream: string | undefined;
  // Everything the live region gets (it keeps only its latest lines).
  await page.evaluate(() => {
    const heard: string[] = [];
    (window as unknown as { __heard: string[] }).__heard = heard;
    const announcer = document.querySelector('[data-testid="qs-announcer"]') as HTMLElement;
    new MutationObserver((records) => {
      for (const record of records) for (const node of record.addedNodes) heard.push(node.textContent ?? '');
    }).observe(announcer, { childList: true });
  });

  // Act
  await ask(page, HOOK_QUESTION);
  const seen = await sampleUntil(
    async () => {
      const view = await readFormatting(page);
      if (!midStream && view.state === 'streaming' && view.codeBlocks > 0 && view.listItems > 0) {
        midStream = await screenshot(page, 'widget-formatted-mid-stream');
      }
      return view;
    },
    (view) => view.state === 'replaced',
    { timeoutMs: 40_000, intervalMs: 100 },
  );

  // Assess: formatted elements showed while the answer was still streaming …
  const streaming = seen.filter((view) => view.state === 'streaming');
  expect(streaming.some((view) => view.codeBlocks > 0)).toBe(true);
  expect(streaming.some((view) => view.codeBlocks > 0 && view.listItems > 0)).toBe(true);
  // … a code fence never showed as text once its code block existed, and the final answer looks the same
  expect(streaming.filter((view) => view.codeBlocks > 0 && view.literalFence)).toEqual([]);
  const final = await readAnswer(page);
  expect(final.finalState).toBe('ok');
  const finalHtml = await page.$$eval(
    '[data-testid="qs-final-answer"]',
    (elements) => elements[elements.length - 1]?.innerHTML,
  );
  const streamedHtml = await page.$$eval(
    '[data-testid="qs-streamed-answer"]',
    (elements) => elements[elements.length - 1]?.innerHTML,
  );
  expect(streamedHtml).toBe(finalHtml);
  // Screen readers got the answer in sentences and lines, as words without markdown markers
  const heard = await page.evaluate(() => (window as unknown as { __heard: string[] }).__heard);
  const words = final.finalText.split(/\s+/).length;
  expect(heard.length).toBeGreaterThan(10);
  expect(heard.length).toBeLessThan(words / 4);
  expect(heard.join(' ')).not.toMatch(/```|\*\*/);
  expect(heard.join(' ')).toContain('A streaming QnABot hook is an ordinary Lambda hook');
  expect(pageErrors).toEqual([]);
}, 60_000);

it(`reveals the text smoothly, never more than ${MAX_LAG_CHARS} characters or ${MAX_LAG_MS} ms behind what arrived`, async () => {
  // Prepare: bursts, as a fast model gives: 200 tokens/s in chunks of up to 20 tokens
  stack.bedrock?.setBehaviour({ tokensPerSecond: 200, minTokensPerChunk: 5, maxTokensPerChunk: 20 });
  const { page, pageErrors } = await openDemo();

  // Act
  await ask(page, HOOK_QUESTION);
  await sampleUntil(
    () => readAnswer(page),
    (view) => view.finalShown,
    { timeoutMs: 40_000, intervalMs: 200 },
  );
  const { samples } = await page.evaluate(readRevealProbe);

  // Assess: many frames sampled while streaming; after each, within both bounds
  expect(samples.length).toBeGreaterThan(20);
  expect(Math.max(...samples.map((sample) => sample.received))).toBeGreaterThan(2000);
  expect(Math.max(...samples.map((sample) => sample.lagChars))).toBeLessThanOrEqual(MAX_LAG_CHARS);
  expect(Math.max(...samples.map((sample) => sample.lagMs))).toBeLessThan(MAX_LAG_MS);
  // … and it did smooth: some frames showed part of what had arrived
  expect(samples.filter((sample) => sample.lagChars > 0).length).toBeGreaterThan(5);
  expect(pageErrors).toEqual([]);
}, 60_000);

it('freezes the text at once when the user presses Stop, and offers Retry', async () => {
  // Prepare
  const { page, pageErrors } = await openDemo();
  await ask(page, HOOK_QUESTION);
  await sampleUntil(
    () => readAnswer(page),
    (view) => view.streamed.length > 40,
  );

  // Act
  await page.click('[data-testid="qs-cancel-button"]');
  const atStop = await readAnswer(page);
  const afterStop = await sampleUntil(
    () => readAnswer(page),
    (view) => view.finalShown,
    { timeoutMs: 10_000 },
  );

  // Assess
  expect(atStop.streamedState).toBe('stopped');
  for (const view of afterStop) expect(view.streamed).toBe(atStop.streamed);
  expect(afterStop[afterStop.length - 1]?.finalText).toContain('Answer stopped before it was complete');
  expect(await page.isVisible('[data-testid="qs-retry-button"]')).toBe(true);
  expect(pageErrors).toEqual([]);
}, 60_000);

it('shows Retry when the question could not be sent, and Retry asks again and shows the answer', async () => {
  // Prepare: the first request to Lex fails on the network
  const { page } = await openDemo();
  let lexCalls = 0;
  await page.route('**/text', async (route) => {
    lexCalls += 1;
    if (lexCalls === 1) await route.abort('connectionrefused');
    else await route.continue();
  });
  await ask(page, SHORT_QUESTION);
  await page.waitForSelector('[data-testid="qs-final-answer"][data-state="error"]', { timeout: 15_000 });
  const failedAnswers = await page.$$('[data-testid="qs-retry-button"]');

  // Act
  await page.click('[data-testid="qs-retry-button"]');
  await page.waitForSelector('[data-testid="qs-final-answer"][data-state="ok"]', { timeout: 30_000 });
  await screenshot(page, 'widget-retried');

  // Assess: one Retry offered; it asked the same question again through the page's ask
  expect(failedAnswers).toHaveLength(1);
  expect(lexCalls).toBe(2);
  const questions = await page.$$eval('[data-testid="qs-question"]', (elements) =>
    elements.map((element) => element.textContent),
  );
  expect(questions).toEqual([SHORT_QUESTION, SHORT_QUESTION]);
  await expect(page.textContent('[data-testid="qs-final-answer"][data-state="ok"]')).resolves.toContain(
    'stop control sends',
  );
  // The used Retry is gone, and a good answer offers none
  expect(await page.$$('[data-testid="qs-retry-button"]')).toHaveLength(0);
}, 60_000);

it('shows the status line before the first words: thinking, then still working when the model is slow', async () => {
  // Prepare: a model that takes longer than STILL_WORKING_AFTER_MS to its first token
  stack.bedrock?.setBehaviour({ timeToFirstTokenMs: STILL_WORKING_AFTER_MS + 1500 });
  const { page, pageErrors } = await openDemo();

  // Act
  await ask(page, SHORT_QUESTION);
  let shot: string | undefined;
  const seen = await sampleUntil(
    async () => {
      const status = await readStatus(page);
      if (!shot && status.text === STATUS_MESSAGES.working)
        shot = await screenshot(page, 'widget-status-working');
      return { status, streamed: (await readAnswer(page)).streamed };
    },
    (view) => view.streamed.length > 0,
    { timeoutMs: 20_000, intervalMs: 30 },
  );
  const afterText = await readStatus(page);

  // Assess: before any text, the indicator said what is happening, in the server's words
  const before = seen
    .filter((view) => view.streamed === '' && view.status.shown)
    .map((view) => view.status.text);
  expect(before[0]).toBe(STATUS_MESSAGES.thinking);
  expect(before).toContain(STATUS_MESSAGES.working);
  // … and it is hidden once the words show
  expect(afterText.shown).toBe(false);
  expect(pageErrors).toEqual([]);
}, 60_000);

it('marks an answer whose socket dropped mid-answer as interrupted and offers Retry', async () => {
  // Prepare
  const others = new Set(stack.gateway.connectionIds());
  const { page, pageErrors } = await openDemo();
  const own = stack.gateway.connectionIds().filter((id) => !others.has(id));
  await ask(page, HOOK_QUESTION);
  await sampleUntil(
    () => readAnswer(page),
    (view) => view.streamed.length > 40,
  );

  // Act: the gateway drops the page's socket while the answer streams
  for (const id of own) stack.gateway.closeConnection(id);
  const views = await sampleUntil(
    () => readAnswer(page),
    (view) => view.finalShown,
    { timeoutMs: 40_000 },
  );

  // Assess: the streamed text said it was cut; Lex's answer came, and Retry is there to ask again
  expect(own).toHaveLength(1);
  expect(views.map((view) => view.streamedState)).toContain('interrupted');
  expect(views[views.length - 1]?.finalState).toBe('ok');
  expect(await page.isVisible('[data-testid="qs-retry-button"]')).toBe(true);
  expect(pageErrors).toEqual([]);
}, 60_000);
