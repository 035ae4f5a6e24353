/**
 * The demo chat page in real headless Chromium against the whole local stack: Cognito credentials,
 * a presigned socket, Lex RecognizeText signed in the page, the answer streamed word by word.
 *
 * The local model is slowed down (300 ms to the first token, 20 tokens/s) so a user, and these
 * tests, can watch the answer grow. Screenshots go to build/test-artifacts/.
 */
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { SessionTable } from '../../functions/shared/session-table';
import { STOPPED_NOTE } from '../../functions/streaming/pipeline/answer-notes';
import { CONNECTION_REFUSED_MESSAGE } from '../../web-plugin/client';
import {
  type AnswerView,
  launchChromium,
  normalize,
  readAnswer,
  readMirroredAnswer,
  sampleUntil,
  screenshot,
} from './chromium';

const AUTH_QUESTION = 'How does the browser authenticate to the WebSocket API?';
const CANCEL_QUESTION = 'Can a user stop an answer while it is streaming?';
const FINAL_QUESTION = 'What happens to the streamed text when the Lex answer arrives?';

let stack: LocalStack;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startLocalStack({ modelBehaviour: { timeToFirstTokenMs: 300, tokensPerSecond: 20 } });
}, 90_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await stack?.stop();
});

interface DemoTab {
  page: Page;
  /** Uncaught exceptions in the page. */
  pageErrors: string[];
  /** Browser console lines (Chromium logs a refused WebSocket handshake with its status). */
  consoleLines: string[];
  identityId: string;
}

/** Opens the demo in a new tab and waits until it shows its identity (and, unless told, an open socket). */
async function openDemo(
  context: BrowserContext,
  query = '',
  expectState: 'open' | 'refused' = 'open',
): Promise<DemoTab> {
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const consoleLines: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => consoleLines.push(message.text()));
  await page.goto(`${stack.endpoints.webUrl}${query}`);
  await page.waitForSelector(`[data-testid="demo-connection"][data-state="${expectState}"]`, {
    timeout: 15_000,
  });
  const identityId = (await page.textContent('[data-testid="demo-identity"]')) ?? '';
  return { page, pageErrors, consoleLines, identityId };
}

async function newContext(): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 820 } });
  contexts.push(context);
  return context;
}

async function ask(page: Page, question: string): Promise<void> {
  await page.fill('[data-testid="qs-question-input"]', question);
  await page.click('[data-testid="qs-ask-button"]');
}

/** The Lex answer the page received for its next RecognizeText call. */
function nextLexAnswer(page: Page): Promise<string> {
  return page
    .waitForResponse(
      (response) => response.url().endsWith('/text') && response.request().method() === 'POST',
      {
        timeout: 30_000,
      },
    )
    .then(async (response) => {
      const body = (await response.json()) as { messages?: { content?: string }[] };
      return body.messages?.map((message) => message.content ?? '').join('\n\n') ?? '';
    });
}

/** Distinct streamed texts seen before the final answer replaced them. */
async function streamedStates(page: Page, onSample?: (view: AnswerView) => Promise<void>) {
  const views = await sampleUntil(
    async () => {
      const view = await readAnswer(page);
      await onSample?.(view);
      return view;
    },
    (view) => view.finalShown,
    { timeoutMs: 30_000 },
  );
  return views.filter((view) => !view.finalShown).map((view) => view.streamed);
}

function expectGrowingPrefixes(states: string[]): void {
  const nonEmpty = states.filter((state) => state !== '');
  expect(nonEmpty.length).toBeGreaterThanOrEqual(3);
  for (let index = 1; index < nonEmpty.length; index += 1) {
    const previous = nonEmpty[index - 1] as string;
    const current = nonEmpty[index] as string;
    expect(current.length).toBeGreaterThan(previous.length);
    expect(current.startsWith(previous)).toBe(true);
  }
}

async function connectionsOf(sessionId: string): Promise<string[]> {
  const client = stack.dynamodb.client();
  try {
    const table = new SessionTable({ client, tableName: stack.endpoints.tableName, ttlSeconds: 7800 });
    return (await table.listConnections(sessionId)).map((record) => record.connectionId);
  } finally {
    client.destroy();
  }
}

it('streams the answer word by word before Lex returns, then the final Lex answer replaces it', async () => {
  // Prepare
  const { page, pageErrors } = await openDemo(await newContext());
  const lexAnswer = nextLexAnswer(page);
  let midStreamShot: string | undefined;
  const suggestionsTop = () =>
    page.$eval('.demo-suggestions', (element) => element.getBoundingClientRect().top + window.scrollY);
  const suggestionsBefore = await suggestionsTop();

  // Act
  await ask(page, AUTH_QUESTION);
  const states = await streamedStates(page, async (view) => {
    if (!midStreamShot && view.streamed.length > 150 && !view.finalShown) {
      midStreamShot = await screenshot(page, 'demo-mid-stream');
    }
  });
  const final = await readAnswer(page);
  const finalAnswer = await lexAnswer;
  await screenshot(page, 'demo-final-answer');

  // Assess: several growing states while Lex had not answered yet
  expectGrowingPrefixes(states);
  expect(midStreamShot).toBeDefined();
  // … then the final answer, which is Lex's, replaces the streamed text
  expect(finalAnswer).toMatch(/Signature Version 4/);
  expect(final.finalState).toBe('ok');
  expect(normalize(final.finalText)).toBe(normalize(finalAnswer));
  expect(final.streamedState).toBe('replaced');
  expect(final.streamed).toBe(finalAnswer);
  await expect(page.textContent('[data-testid="qs-ttft"]')).resolves.toMatch(
    /^First words on screen \d+ ms after asking$/,
  );
  await expect(page.textContent('[data-testid="demo-stats"]')).resolves.toMatch(/stop reason end_turn/);
  // The suggestions stay where they were once the answer and its timing line are shown
  expect(await suggestionsTop()).toBe(suggestionsBefore);
  expect(pageErrors).toEqual([]);
}, 60_000);

it('stops the answer within a second when the user presses Stop; the final answer is marked as stopped', async () => {
  // Prepare
  const { page, pageErrors } = await openDemo(await newContext());
  const lexAnswer = nextLexAnswer(page);
  await ask(page, CANCEL_QUESTION);
  await sampleUntil(
    () => readAnswer(page),
    (view) => view.streamed.length > 20,
  );

  // Act
  const stoppedAt = Date.now();
  await page.click('[data-testid="qs-cancel-button"]');
  const shownAtStop = (await readAnswer(page)).streamed;
  const afterStop = await sampleUntil(
    () => readAnswer(page),
    (view) => view.finalShown,
    { timeoutMs: 10_000 },
  );
  const finalAfterMs = Date.now() - stoppedAt;
  const final = await readAnswer(page);
  const partial = await lexAnswer;

  // Assess: nothing more was shown after Stop …
  for (const view of afterStop) expect(view.streamed).toBe(shownAtStop);
  // … the server stopped too: Lex returned soon with the partial answer, marked as stopped
  expect(finalAfterMs).toBeLessThan(1500);
  expect(partial.endsWith(STOPPED_NOTE)).toBe(true);
  expect(final.finalText).toContain('Answer stopped before it was complete');
  const partialText = partial.slice(0, -STOPPED_NOTE.length).trim();
  expect(partialText.startsWith(shownAtStop.trim())).toBe(true);
  // The whole answer is about 70 words; at most a second of model output (20 tokens) followed Stop.
  expect(partialText.split(/\s+/).length).toBeLessThan(shownAtStop.split(/\s+/).length + 25);
  expect(pageErrors).toEqual([]);
}, 60_000);

it('reconnects when the socket is killed mid-answer, and the next question streams again', async () => {
  // Prepare
  const { page, pageErrors, identityId } = await openDemo(await newContext());
  await ask(page, AUTH_QUESTION);
  await sampleUntil(
    () => readAnswer(page),
    (view) => view.streamed.length > 10,
  );

  // Act: the gateway drops the page's sockets mid-answer
  const killed = await connectionsOf(identityId);
  for (const connectionId of killed) stack.gateway.closeConnection(connectionId);
  const interrupted = await sampleUntil(
    () => readAnswer(page),
    (view) => view.finalShown,
    { timeoutMs: 30_000 },
  );
  await page.waitForSelector('[data-testid="demo-connection"][data-state="open"][data-opens="2"]', {
    timeout: 15_000,
  });
  await ask(page, FINAL_QUESTION);
  const states = await streamedStates(page);

  // Assess
  expect(killed).toHaveLength(1);
  expect(interrupted[interrupted.length - 1]?.finalState).toBe('ok');
  expect(await connectionsOf(identityId)).not.toContain(killed[0]);
  expectGrowingPrefixes(states);
  await expect(page.textContent('[data-testid="demo-connection"]')).resolves.toContain('reconnected');
  expect(pageErrors).toEqual([]);
}, 60_000);

it('streams the same answer to two tabs of one session; the link carries a join code, never the identity', async () => {
  // Prepare
  const context = await newContext();
  const first = await openDemo(context);
  const shareLink = (await first.page.getAttribute('[data-testid="demo-share-link"]', 'href')) ?? '';
  const second = await openDemo(context, new URL(shareLink).search);

  // Act
  await ask(first.page, AUTH_QUESTION);
  const mirroredStates = await sampleUntil(
    () => readMirroredAnswer(second.page),
    (mirrored) => mirrored.state === 'done',
    { timeoutMs: 30_000 },
  );
  await sampleUntil(
    () => readAnswer(first.page),
    (view) => view.finalShown,
  );
  const firstView = await readAnswer(first.page);
  const mirrored = await readMirroredAnswer(second.page);
  await screenshot(second.page, 'demo-second-tab');

  // Assess: the identity went from tab to tab inside the browser, not through the URL
  expect(shareLink).toMatch(new RegExp(`^${stack.endpoints.webUrl}\\?join=[0-9a-f]{32}$`));
  expect(shareLink).not.toContain(encodeURIComponent(first.identityId));
  expect(shareLink).not.toContain(first.identityId.split(':')[1]);
  expect(second.identityId).toBe(first.identityId);
  await expect(second.page.getAttribute('[data-testid="demo-join"]', 'data-state')).resolves.toBe('joined');
  expect(await connectionsOf(first.identityId)).toHaveLength(2);
  expectGrowingPrefixes(
    mirroredStates.filter((state) => state.state === 'streaming').map((state) => state.text),
  );
  expect(mirrored.text).toBe(firstView.streamed);
  expect(mirrored.text.length).toBeGreaterThan(100);
  expect(first.pageErrors).toEqual([]);
  expect(second.pageErrors).toEqual([]);
}, 60_000);

it('a copied second-tab link opened in another browser joins nothing: a new visitor, and the page says why', async () => {
  // Prepare
  const owner = await openDemo(await newContext());
  const shareLink = (await owner.page.getAttribute('[data-testid="demo-share-link"]', 'href')) ?? '';

  // Act: someone else (another browser profile) opens the link
  const stranger = await openDemo(await newContext(), new URL(shareLink).search);
  const notice = await stranger.page.textContent('[data-testid="demo-join"]');

  // Assess
  expect(stranger.identityId).not.toBe(owner.identityId);
  expect(stranger.identityId).toMatch(/^[a-z]{2}-[a-z]+-\d:[0-9a-f-]{36}$/);
  await expect(stranger.page.getAttribute('[data-testid="demo-join"]', 'data-state')).resolves.toBe(
    'not-joined',
  );
  expect(notice).toContain('this tab is a new visitor');
  expect(await connectionsOf(owner.identityId)).toHaveLength(1);
  expect(stranger.pageErrors).toEqual([]);
}, 60_000);

it("refuses a socket signed for another identity's session (403) and says so on the page", async () => {
  // Prepare
  const owner = await openDemo(await newContext());

  // Act: a different visitor's page asks for the owner's session id
  const intruder = await openDemo(
    await newContext(),
    `?sessionId=${encodeURIComponent(owner.identityId)}`,
    'refused',
  );
  const alert = await intruder.page.textContent('[data-testid="demo-alert"]');
  await screenshot(intruder.page, 'demo-refused');

  // Assess
  expect(intruder.identityId).not.toBe(owner.identityId);
  expect(await intruder.page.isVisible('[data-testid="demo-alert"]')).toBe(true);
  expect(alert?.toLowerCase()).toContain(CONNECTION_REFUSED_MESSAGE.toLowerCase());
  expect(alert).toContain('No streaming for this page');
  expect(alert?.match(/refused/gi)).toHaveLength(1);
  expect(alert).toContain(`its Cognito identity is "${intruder.identityId}"`);
  expect(intruder.consoleLines.some((line) => /WebSocket.*403/.test(line))).toBe(true);
  expect(await connectionsOf(owner.identityId)).toHaveLength(1);
  expect(stack.gateway.stats().rejectedConnects).toBeGreaterThanOrEqual(1);
}, 60_000);
