/**
 * The AI SDK example page (docs/examples/ai-sdk-chat.tsx: React, useChat and QnaStreamingTransport)
 * bundled with esbuild for the browser and run in headless Chromium against the local stack, whose
 * web server serves it on a port chosen at run time. The page gets its visitor's credentials from
 * the Cognito double and asks through the Lex double, as a real page does on AWS.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser, Page } from 'playwright-core';
import ts from 'typescript';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { launchChromium, normalize, sampleUntil } from './chromium';

const ROOT = path.join(__dirname, '..', '..');
const EXAMPLES = path.join(ROOT, 'docs', 'examples');
const EXAMPLE_TSCONFIG = path.join(EXAMPLES, 'tsconfig.ai-sdk.json');
const SCREENS = path.join(ROOT, 'build', 'screens');
/** The local model's pace: slow enough to watch an answer grow, as a real model's is. */
const MODEL = {
  timeToFirstTokenMs: 300,
  tokensPerSecond: 25,
  failAfterTokens: undefined,
  answerTokens: undefined,
};

let stack: LocalStack;
let browser: Browser;
let outdir: string;

/** The example, bundled for the browser with a two-line entry that starts it with the page's config. */
async function bundleExample(): Promise<string> {
  const result = await build({
    stdin: {
      contents:
        "import { startChat } from './ai-sdk-chat';\n" +
        "void startChat(document.getElementById('root') as HTMLElement, (window as any).chatConfig);\n",
      resolveDir: EXAMPLES,
      loader: 'tsx',
      sourcefile: 'page-entry.tsx',
    },
    tsconfig: EXAMPLE_TSCONFIG,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2020',
    write: false,
    outfile: path.join(outdir, 'ai-sdk-chat.js'),
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  return result.outputFiles[0]?.text ?? '';
}

beforeAll(async () => {
  outdir = mkdtempSync(path.join(tmpdir(), 'qna-streaming-ai-sdk-'));
  const [code] = await Promise.all([
    bundleExample(),
    startLocalStack({ demo: false, modelBehaviour: MODEL }).then((started) => {
      stack = started;
    }),
  ]);
  const { endpoints } = stack;
  const config = {
    region: endpoints.region,
    streamingEndpoint: endpoints.webSocketUrl,
    cognitoEndpoint: endpoints.cognitoIdentity,
    identityPoolId: endpoints.identityPoolId,
    lexEndpoint: endpoints.lexRuntime,
    bot: { botId: endpoints.botId, botAliasId: endpoints.botAliasId, localeId: endpoints.localeId },
  };
  stack.web.setAsset('/ai-sdk-chat.js', { contentType: 'text/javascript; charset=utf-8', body: () => code });
  stack.web.setAsset('/ai-sdk.html', {
    contentType: 'text/html; charset=utf-8',
    body: () =>
      '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>AI SDK chat</title>' +
      '<style>body{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto}article{margin:.5rem 0;padding:.5rem .75rem;border-radius:8px}' +
      '[data-role=user]{background:#e8f0fe}[data-role=assistant]{background:#f4f4f4}a{display:block}</style></head>' +
      `<body><div id="root"></div><script>window.chatConfig = ${JSON.stringify(config)};</script>` +
      '<script type="module" src="/ai-sdk-chat.js"></script></body></html>',
  });
  browser = await launchChromium();
}, 120_000);

afterEach(() => {
  stack.bedrock?.setBehaviour(MODEL);
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  rmSync(outdir, { recursive: true, force: true });
});

interface ChatView {
  /** Text of the last assistant message. */
  answer: string;
  /** useChat's status. */
  status: string;
  alert: string | null;
  links: { text: string; href: string }[];
}

function readChat(page: Page): Promise<ChatView> {
  return page.evaluate(() => {
    const answers = document.querySelectorAll('article[data-role="assistant"]');
    const last = answers[answers.length - 1];
    return {
      answer: last?.querySelector('p')?.textContent ?? '',
      status: document.querySelector('output')?.textContent ?? '',
      alert: document.querySelector('[role="alert"]')?.textContent ?? null,
      links: Array.from(last?.querySelectorAll('a') ?? []).map((a) => ({
        text: a.textContent ?? '',
        href: a.getAttribute('href') ?? '',
      })),
    };
  });
}

async function openChat(): Promise<{ page: Page; pageErrors: string[] }> {
  const context = await browser.newContext({ viewport: { width: 900, height: 700 } });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  const connectsBefore = stack.gateway.stats().connects;
  await page.goto(`${stack.endpoints.webUrl}ai-sdk.html`);
  await page.waitForSelector('input[aria-label="Your question"]', { timeout: 15_000 });
  await sampleUntil(
    async () => stack.gateway.stats().connects,
    (connects) => connects > connectsBefore,
    { timeoutMs: 15_000 },
  );
  return { page, pageErrors };
}

async function ask(page: Page, question: string): Promise<void> {
  await page.fill('input[aria-label="Your question"]', question);
  await page.click('button[type="submit"]');
}

/** Lex's answer to the next question: the messages of the RecognizeText response. */
function lexAnswer(page: Page): Promise<string> {
  return page
    .waitForResponse((response) => response.url().endsWith('/text'), { timeout: 30_000 })
    .then(async (response) => {
      const body = (await response.json()) as { messages: { content: string }[] };
      return body.messages.map((message) => message.content).join('\n\n');
    });
}

it('the front-end guide shows the example verbatim', () => {
  // Prepare
  const guide = readFileSync(path.join(ROOT, 'docs', 'front-end-guide.md'), 'utf8');
  const example = readFileSync(path.join(EXAMPLES, 'ai-sdk-chat.tsx'), 'utf8');

  // Act
  const included = /<!-- include: examples\/ai-sdk-chat\.tsx -->\n```tsx\n([\s\S]*?)^```$/m.exec(guide)?.[1];

  // Assess
  expect(included).toBe(example);
});

it('the example type-checks strict with JSX (docs/examples/tsconfig.ai-sdk.json)', () => {
  // Prepare
  const config = ts.readConfigFile(EXAMPLE_TSCONFIG, (name) => ts.sys.readFile(name));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, EXAMPLES);

  // Act
  const program = ts.createProgram(parsed.fileNames, { ...parsed.options, noEmit: true });
  const messages = ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));

  // Assess
  expect(parsed.fileNames.map((file) => path.basename(file))).toEqual(['ai-sdk-chat.tsx']);
  expect(messages).toEqual([]);
}, 120_000);

it('the assistant message grows as the answer streams and ends as Lex’s answer', async () => {
  // Prepare
  const { page, pageErrors } = await openChat();
  const lex = lexAnswer(page);
  let shot = false;

  // Act
  await ask(page, 'How does the browser authenticate to the WebSocket API?');
  const views = await sampleUntil(
    async () => {
      const view = await readChat(page);
      if (!shot && view.status === 'streaming' && view.answer.length > 80) {
        shot = true;
        mkdirSync(SCREENS, { recursive: true });
        await page.screenshot({ path: path.join(SCREENS, 'ai-sdk-mid.png') });
      }
      return view;
    },
    (view) => view.status === 'ready' && view.answer !== '',
    { timeoutMs: 30_000 },
  );
  const final = await readChat(page);

  // Assess: several distinct partial texts, each the start of the next, before the final one
  const partial = views
    .filter((view) => view.status === 'streaming' && view.answer)
    .map((view) => view.answer);
  expect(new Set(partial.map((text) => text.length)).size).toBeGreaterThan(1);
  for (let index = 1; index < partial.length; index += 1) {
    expect(partial[index]?.startsWith(partial[index - 1] as string)).toBe(true);
  }
  expect(normalize(final.answer)).toBe(normalize(await lex));
  expect(final.alert).toBeNull();
  expect(shot).toBe(true);
  expect(pageErrors).toEqual([]);
}, 60_000);

it('shows the status frames while no text arrives, and drops them when the text comes', async () => {
  // Prepare: a model slow to its first token
  stack.bedrock?.setBehaviour({ timeToFirstTokenMs: 1500 });
  const { page } = await openChat();

  // Act
  await ask(page, 'What is QnABot on AWS?');
  const shown = await page.waitForSelector('[role="status"]', { timeout: 15_000 });
  const statusText = await shown.textContent();
  const answerWhileShown = (await readChat(page)).answer;
  await sampleUntil(
    () => readChat(page),
    (view) => view.status === 'ready' && view.answer !== '',
    { timeoutMs: 30_000 },
  );

  // Assess
  expect(statusText).toBe('Thinking…');
  expect(answerWhileShown).toBe('');
  await expect(page.$('[role="status"]')).resolves.toBeNull();
}, 60_000);

it('Stop ends the answer: the text stops growing and useChat is ready again', async () => {
  // Prepare: a long answer
  stack.bedrock?.setBehaviour({ answerTokens: 600 });
  const { page } = await openChat();
  const abortedBefore = stack.bedrock?.stats().streamsAborted ?? 0;

  // Act
  await ask(page, 'Tell me about the WebSocket frames.');
  await sampleUntil(
    () => readChat(page),
    (view) => view.answer.length > 40,
    { timeoutMs: 30_000 },
  );
  await page.click('button:has-text("Stop")');
  await sampleUntil(
    () => readChat(page),
    (view) => view.status === 'ready',
    { timeoutMs: 10_000 },
  );
  const stopped = await readChat(page);
  // The model's stream is stopped too (the transport's client.cancel()), not only the page's view.
  await sampleUntil(
    async () => stack.bedrock?.stats().streamsAborted ?? 0,
    (aborted) => aborted > abortedBefore,
    { timeoutMs: 10_000 },
  );
  await page.waitForTimeout(1000);
  const later = await readChat(page);

  // Assess
  expect(later.answer).toBe(stopped.answer);
  expect(later.status).toBe('ready');
  expect(later.alert).toBeNull();
  expect(stopped.answer.length).toBeGreaterThan(40);
}, 60_000);

it('a model failure mid-answer shows the partial answer, Lex’s note and the error', async () => {
  // Prepare: the model stream breaks after 20 tokens
  stack.bedrock?.setBehaviour({ failAfterTokens: 20, answerTokens: 150 });
  const { page } = await openChat();
  const lex = lexAnswer(page);

  // Act
  await ask(page, 'How do I enable streaming on my stack?');
  const view = (
    await sampleUntil(
      () => readChat(page),
      (current) => current.status === 'error',
      { timeoutMs: 30_000 },
    )
  ).at(-1) as ChatView;

  // Assess
  expect(view.alert).toBe(
    '[Answer incomplete: the model failed while answering (ModelStreamErrorException). Please ask again.]',
  );
  expect(normalize(view.answer)).toBe(normalize(await lex));
  expect(view.answer).toMatch(/\[Answer incomplete: the model failed while answering/);
}, 60_000);
