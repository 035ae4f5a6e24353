/**
 * The chat widget page of docs/front-end-guide.md, run as written in headless Chromium against the
 * local stack: only its `config` block is swapped for the local stack's endpoints.json values, as
 * the guide tells a reader to do, and the three files it loads are the plugin's build output. It
 * covers what the guide promises: region on a 127.0.0.1 endpoint, Cognito's epoch-second
 * Expiration, the plugin's Lex RecognizeText helper, the shipped stylesheet and its custom
 * properties, and a failed question shown with its reason and logged.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { buildWebPlugin } from '../../scripts/build-web-plugin';
import { launchChromium, normalize, readAnswer, sampleUntil, screenshot } from './chromium';

const GUIDE = path.join(__dirname, '..', '..', 'docs', 'front-end-guide.md');
const QUESTION = 'How does the browser authenticate to the WebSocket API?';
const CONFIG_BLOCK = /^ {2}const config = \{\n[\s\S]*?\n {2}\};$/m;

let stack: LocalStack;
let browser: Browser;
let outdir: string;

/** The guide's widget page: the html block that loads qna-streaming.css. */
function guidePage(): string {
  const blocks = [...readFileSync(GUIDE, 'utf8').matchAll(/^```html\n([\s\S]*?)^```$/gm)].map(
    (match) => match[1] as string,
  );
  const page = blocks.find((block) => block.includes('qna-streaming.css'));
  if (!page) throw new Error('docs/front-end-guide.md has no html block loading qna-streaming.css');
  return page;
}

/** The page with `config` holding the local stack's values (the mapping the guide gives). */
function localPage(): string {
  const page = guidePage();
  expect(page).toMatch(CONFIG_BLOCK);
  const { endpoints } = stack;
  const config = {
    region: endpoints.region,
    streamingEndpoint: endpoints.webSocketUrl,
    cognitoEndpoint: endpoints.cognitoIdentity,
    identityPoolId: endpoints.identityPoolId,
    lexEndpoint: endpoints.lexRuntime,
    bot: { botId: endpoints.botId, botAliasId: endpoints.botAliasId, localeId: endpoints.localeId },
  };
  return page.replace(CONFIG_BLOCK, `  const config = ${JSON.stringify(config)};`);
}

beforeAll(async () => {
  outdir = mkdtempSync(path.join(tmpdir(), 'qna-streaming-guide-'));
  const [reports] = await Promise.all([
    buildWebPlugin(outdir),
    startLocalStack({ demo: false, modelBehaviour: { timeToFirstTokenMs: 300, tokensPerSecond: 20 } }).then(
      (started) => {
        stack = started;
      },
    ),
  ]);
  for (const { file } of reports) {
    const name = path.basename(file);
    const body = readFileSync(file, 'utf8');
    stack.web.setAsset(`/${name}`, {
      contentType: name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8',
      body: () => body,
    });
  }
  stack.web.setAsset('/guide.html', {
    contentType: 'text/html; charset=utf-8',
    body: () =>
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>guide</title></head><body>\n${localPage()}</body></html>`,
  });
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

interface GuideTab {
  page: Page;
  pageErrors: string[];
  consoleErrors: string[];
}

async function openGuidePage(): Promise<GuideTab> {
  const context = await browser.newContext({ viewport: { width: 800, height: 700 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const consoleErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  const connectsBefore = stack.gateway.stats().connects;
  await page.goto(`${stack.endpoints.webUrl}guide.html`);
  await page.waitForSelector('[data-testid="qs-question-input"]', { timeout: 15_000 });
  // The socket is open (signed with region and Cognito's epoch-second expiration) before a question.
  await sampleUntil(
    async () => stack.gateway.stats().connects,
    (connects) => connects > connectsBefore,
    { timeoutMs: 15_000 },
  );
  return { page, pageErrors, consoleErrors };
}

async function ask(page: Page, question: string): Promise<void> {
  await page.fill('[data-testid="qs-question-input"]', question);
  await page.click('[data-testid="qs-ask-button"]');
}

it('streams the answer word by word, then shows the answer of the Lex helper', async () => {
  // Prepare
  const { page, pageErrors } = await openGuidePage();
  const lexAnswer = page.waitForResponse((response) => response.url().endsWith('/text'), { timeout: 30_000 });

  // Act
  await ask(page, QUESTION);
  const views = await sampleUntil(
    () => readAnswer(page),
    (view) => view.finalShown,
    { timeoutMs: 30_000 },
  );
  const body = (await (await lexAnswer).json()) as { messages: { content: string }[] };
  await screenshot(page, 'front-end-guide-answer');

  // Assess: several growing texts before Lex answered, then Lex's answer
  const streamed = views.filter((view) => !view.finalShown && view.streamed).map((view) => view.streamed);
  expect(streamed.length).toBeGreaterThanOrEqual(3);
  for (let index = 1; index < streamed.length; index += 1) {
    expect(streamed[index]?.startsWith(streamed[index - 1] as string)).toBe(true);
  }
  const final = await readAnswer(page);
  expect(final.finalState).toBe('ok');
  expect(normalize(final.finalText)).toBe(normalize(body.messages.map((m) => m.content).join('\n\n')));
  expect(final.streamed).toBe(body.messages[0]?.content);
  await expect(page.textContent('[data-testid="qs-ttft"]')).resolves.toMatch(
    /^First words on screen \d+ ms after asking$/,
  );
  expect(pageErrors).toEqual([]);
}, 60_000);

it('is styled by the shipped stylesheet and takes its theme from the custom properties', async () => {
  // Prepare
  const { page } = await openGuidePage();
  const askStyle = () =>
    page.$eval('[data-testid="qs-ask-button"]', (button) => {
      const style = getComputedStyle(button);
      return { background: style.backgroundColor, radius: style.borderTopLeftRadius };
    });
  const before = await askStyle();

  // Act
  await page.$eval('#chat', (chat) => {
    (chat as HTMLElement).style.setProperty('--qna-streaming-accent', 'rgb(122, 31, 162)');
    (chat as HTMLElement).style.setProperty('--qna-streaming-radius', '0px');
  });
  const themed = await askStyle();
  const frame = await page.$eval('.qs-widget', (widget) => getComputedStyle(widget).borderTopLeftRadius);

  // Assess
  expect(before).toEqual({ background: 'rgb(11, 102, 214)', radius: '8px' });
  expect(themed).toEqual({ background: 'rgb(122, 31, 162)', radius: '0px' });
  expect(frame).toBe('0px');
}, 60_000);

it('shows why a question failed in the answer and logs the error', async () => {
  // Prepare: the visitor's credentials stop being accepted (Lex answers 403)
  const { page, consoleErrors } = await openGuidePage();
  const issued = stack.cognito.issued();
  const visitorKey = issued[issued.length - 1]?.accessKeyId as string;

  // Act
  stack.credentials.revoke(visitorKey);
  await ask(page, 'Will this be answered?');
  await page.waitForSelector('[data-testid="qs-error-reason"]', { timeout: 15_000 });
  const shown = await page.textContent('[data-testid="qs-final-answer"]');
  const reason = await page.textContent('[data-testid="qs-error-reason"]');
  await screenshot(page, 'front-end-guide-ask-failed');

  // Assess
  expect(shown).toMatch(/^Sorry, the answer could not be fetched\. Lex RecognizeText failed with HTTP 403/);
  expect(reason).not.toMatch(/\n\s+at /);
  expect(consoleErrors).toEqual(
    expect.arrayContaining([
      expect.stringMatching(
        /^\[qna-streaming\] the answer could not be fetched: LexRuntimeError: Lex RecognizeText failed with HTTP 403/,
      ),
    ]),
  );
}, 60_000);
