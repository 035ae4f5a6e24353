/**
 * The Lex Web UI adapter in real headless Chromium, in a page built the way Lex Web UI 0.24.1's
 * build is (Vue 3.5.13 and Vuex 4.1.0 globals, the app mounted by a loader that keeps no reference,
 * a Content-Security-Policy without inline scripts; test/browser/lex-web-ui-page.ts), attached with
 * exactly the two script tags the adapter's doc comment tells a deployment to add, against the whole
 * local stack with real Lex round trips.
 *
 * What the user sees is read from the DOM as it renders (scripts/compat/bubble-observer.ts). The
 * local model is slowed down (300 ms to the first token, 20 tokens/s) so the answer visibly grows
 * before Lex answers. Screenshots go to build/test-artifacts/.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import type { Browser, BrowserContext, Frame, Page, WebSocket as PageWebSocket } from 'playwright-core';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { buildWebPlugin } from '../../scripts/build-web-plugin';
import {
  BUBBLE_OBSERVER_SCRIPT,
  type BubbleLogEntry,
  type BubbleSummary,
  readable,
  summarizeBubble,
} from '../../scripts/compat/bubble-observer';
import { REPO_ROOT } from '../../templates/lambda-assets';
import { launchChromium, screenshot } from './chromium';
import type { StandInConfig } from './lex-web-ui-page';

const QUESTION = 'How does the browser authenticate to the WebSocket API?';
const SECOND_QUESTION = 'What happens to the streamed text when the Lex answer arrives?';
/** Where the stand-in is served on the stack's web server (the demo page owns `/`). */
const BASE = '/lex-web-ui/';

/** The lines the adapter's doc comment tells a deployment to add, verbatim. */
const ATTACH_FILE = 'QnaStreaming.attachToLexWebUiPage();\n';
const ADDED_SCRIPT_TAGS =
  '<script src="./qna-streaming.js"></script>\n<script src="./qna-streaming-lex-web-ui.js"></script>';

let stack: LocalStack;
let browser: Browser;
let bundleDir: string;
const contexts: BrowserContext[] = [];

function indexHtml(gatewayPort: number): string {
  // Lex Web UI's index.html has the same script-src; connect-src names the local doubles instead of AWS.
  return `<!DOCTYPE html>
<html>
  <head>
    <meta charset="utf-8">
    <meta http-equiv="Content-Security-Policy"
      content="default-src 'self'; script-src 'self' 'unsafe-eval'; style-src 'self' 'unsafe-inline';
        connect-src 'self' http://127.0.0.1:* ws://127.0.0.1:${gatewayPort}">
    <title>Lex Web UI stand-in</title>
    <style>
      body { font-family: sans-serif; margin: 0; }
      .message-list { padding: 16px; }
      .message-bubble { max-width: 80%; margin: 8px 0; padding: 10px 14px; border-radius: 18px; }
      .message-bubble-row-human { margin-left: auto; background: #e8eaf6; }
      .message-bot .message-bubble { background: #ffebee; }
      .input-container { display: flex; gap: 8px; padding: 16px; }
      .input-container input { flex: 1; }
    </style>
  </head>
  <body>
    <script src="./3.5.13_dist_vue.global.prod.js"></script>
    <script src="./4.1.0_dist_vuex.min.js"></script>
    <script src="./lex-web-ui.min.js"></script>
    ${ADDED_SCRIPT_TAGS}
  </body>
</html>
`;
}

const PARENT_HTML = `<!DOCTYPE html>
<html>
  <head><meta charset="utf-8"><title>Parent page</title></head>
  <body>
    <h1>Parent page</h1>
    <iframe src="${BASE}index.html#/?lexWebUiEmbed=true" width="900" height="700" title="chatbot"></iframe>
  </body>
</html>
`;

beforeAll(async () => {
  browser = await launchChromium();
  stack = await startLocalStack({ modelBehaviour: { timeToFirstTokenMs: 300, tokensPerSecond: 20 } });
  bundleDir = mkdtempSync(path.join(tmpdir(), 'qna-streaming-lwu-'));
  await buildWebPlugin(bundleDir);
  const page = await build({
    entryPoints: [path.join(__dirname, 'lex-web-ui-page.ts')],
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2020',
    write: false,
    logLevel: 'silent',
  });
  const endpoints = stack.endpoints;
  const config: StandInConfig = {
    region: endpoints.region,
    cognito: { poolId: endpoints.identityPoolId, region: endpoints.region },
    lex: {
      allowStreamingResponses: true,
      streamingWebSocketEndpoint: endpoints.webSocketUrl,
      streamingDynamoDbTable: endpoints.tableName,
    },
    local: {
      cognitoEndpoint: endpoints.cognitoIdentity,
      lexEndpoint: endpoints.lexRuntime,
      botId: endpoints.botId,
      botAliasId: endpoints.botAliasId,
      localeId: endpoints.localeId,
    },
  };
  const js = 'text/javascript; charset=utf-8';
  const file =
    (...parts: string[]) =>
    () =>
      readFileSync(path.join(...parts));
  const assets: Record<string, { contentType: string; body: () => string | Buffer }> = {
    'index.html': { contentType: 'text/html; charset=utf-8', body: () => indexHtml(stack.gateway.port) },
    'parent.html': { contentType: 'text/html; charset=utf-8', body: () => PARENT_HTML },
    'lex-web-ui-loader-config.json': { contentType: 'application/json', body: () => JSON.stringify(config) },
    '3.5.13_dist_vue.global.prod.js': {
      contentType: js,
      body: file(REPO_ROOT, 'node_modules', 'vue', 'dist', 'vue.global.prod.js'),
    },
    '4.1.0_dist_vuex.min.js': {
      contentType: js,
      body: file(REPO_ROOT, 'node_modules', 'vuex', 'dist', 'vuex.global.prod.js'),
    },
    'lex-web-ui.min.js': { contentType: js, body: () => page.outputFiles[0]?.text ?? '' },
    'qna-streaming.js': { contentType: js, body: file(bundleDir, 'qna-streaming.js') },
    'qna-streaming-lex-web-ui.js': { contentType: js, body: () => ATTACH_FILE },
  };
  for (const [name, asset] of Object.entries(assets)) stack.web.setAsset(`${BASE}${name}`, asset);
}, 120_000);

afterAll(async () => {
  for (const context of contexts) await context.close().catch(() => {});
  await browser?.close();
  await stack?.stop();
  if (bundleDir) rmSync(bundleDir, { recursive: true, force: true });
});

interface Chat {
  page: Page;
  /** The frame Lex Web UI runs in (the page itself, or the iframe). */
  frame: Frame;
  pageErrors: string[];
  /** The page's sockets to the gateway, with the frames they received. */
  sockets: { url: URL; received: string[]; closed: boolean }[];
}

async function openChat(pathAndQuery: string): Promise<Chat> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 800 } });
  contexts.push(context);
  await context.addInitScript({ content: BUBBLE_OBSERVER_SCRIPT });
  const page = await context.newPage();
  const pageErrors: string[] = [];
  const sockets: Chat['sockets'] = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('websocket', (socket: PageWebSocket) => {
    const entry = { url: new URL(socket.url()), received: [] as string[], closed: false };
    sockets.push(entry);
    socket.on('framereceived', (frame) => entry.received.push(String(frame.payload)));
    socket.on('close', () => {
      entry.closed = true;
    });
  });
  await page.goto(`${stack.endpoints.webUrl.replace(/\/$/, '')}${pathAndQuery}`);
  const deadline = Date.now() + 20_000;
  let frame: Frame | undefined;
  for (;;) {
    frame = page.frames().find((candidate) => candidate.url().includes(`${BASE}index.html`));
    const ready =
      frame &&
      (await frame.evaluate(() => window.__lexWebUiLike?.ownSocket !== undefined).catch(() => false)) &&
      sockets.some((socket) => socket.url.searchParams.get('protocol') === 'json' && !socket.closed);
    if (ready && frame) break;
    if (Date.now() > deadline)
      throw new Error('Lex Web UI and the adapter did not open their sockets within 20 s');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Both sockets are created; give their handshakes a moment before asking.
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { page, frame, pageErrors, sockets };
}

/** Asks as a user does and reads the chat until Lex's answer shows; a screenshot mid-stream when named. */
async function askAndWatch(chat: Chat, question: string, midStreamShot?: string): Promise<BubbleSummary> {
  await chat.frame.fill('[data-testid="lwu-input"]', question);
  await chat.frame.evaluate(() => window.__qsMark?.('asked'));
  await chat.frame.click('[data-testid="lwu-send"]');
  const deadline = Date.now() + 40_000;
  let shot = midStreamShot;
  for (;;) {
    const log = (await chat.frame.evaluate(() => window.__qsBubbleLog ?? [])) as BubbleLogEntry[];
    const summary = summarizeBubble(log);
    if (summary.finalMs !== undefined) return summary;
    if (shot && (summary.progressive.at(-1)?.length ?? 0) > 120) {
      await screenshot(chat.page, shot);
      shot = undefined;
    }
    if (Date.now() > deadline) throw new Error(`no Lex answer within 40 s: ${JSON.stringify(summary)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The visitor's Cognito identity id, as the stand-in (like the SDK) keeps it in the browser. */
const identityOf = (chat: Chat) =>
  chat.frame.evaluate(
    (poolId) => window.localStorage.getItem(`aws:cognito-identity-credentials:${poolId}:ANONYMOUS`) ?? '',
    stack.endpoints.identityPoolId,
  );

function expectStreamedThenReplaced(summary: BubbleSummary): void {
  // Several growing texts before Lex answered, each the start of the final answer: nothing doubled.
  expect(summary.progressive.length).toBeGreaterThanOrEqual(5);
  expect(summary.allPrefixesOfFinal).toBe(true);
  for (let index = 1; index < summary.progressive.length; index += 1) {
    expect((summary.progressive[index] as string).length).toBeGreaterThan(
      (summary.progressive[index - 1] as string).length,
    );
  }
  // The last words were on screen before Lex's answer replaced the bubble.
  expect(summary.lastWordsShown).toBe(true);
  expect(summary.firstWordsMs).toBeLessThan((summary.finalMs ?? 0) - 1000);
}

it('streams into the full-page build: chunks at once, the last words too, nothing doubled, Lex replaces it', async () => {
  // Prepare: Lex Web UI's own socket opens after the adapter has the credentials, so it joins the
  // same session and receives the same text (raw) as the adapter's socket (json)
  const chat = await openChat(`${BASE}index.html?ownSocketDelayMs=1500`);
  const identityId = await identityOf(chat);

  // Act
  const summary = await askAndWatch(chat, QUESTION, 'lex-web-ui-adapter-mid-stream');
  await screenshot(chat.page, 'lex-web-ui-adapter-final');
  const second = await askAndWatch(chat, SECOND_QUESTION);

  // Assess: one session id everywhere, the visitor's Cognito identity id
  const sessionIds = new Set(chat.sockets.map((socket) => socket.url.searchParams.get('sessionId')));
  expect(identityId).toMatch(/^us-east-1:/);
  expect([...sessionIds]).toEqual([identityId]);
  expect(await chat.frame.evaluate(() => window.__lexWebUiLike?.userId)).toBe(identityId);
  // Lex Web UI's own socket got the text too (its frames are raw text), yet nothing shows twice
  const own = chat.sockets.find((socket) => !socket.url.searchParams.has('protocol'));
  expect(readable(own?.received.filter((frame) => !frame.startsWith('{')).join('') ?? '')).toContain(
    readable(summary.finalText).slice(0, 40),
  );
  expectStreamedThenReplaced(summary);
  expect(readable(summary.finalText)).toMatch(/Signature Version 4/);
  expectStreamedThenReplaced(second);
  expect(chat.pageErrors).toEqual([]);
}, 120_000);

it('streams into the iframe build: the same lines in index.html reach the app inside the iframe', async () => {
  // Prepare: the parent page adds nothing; the config reaches the app late, as from the parent
  const chat = await openChat(`${BASE}parent.html`);

  // Act
  const summary = await askAndWatch(chat, QUESTION);
  await screenshot(chat.page, 'lex-web-ui-adapter-iframe');

  // Assess
  expect(chat.frame).not.toBe(chat.page.mainFrame());
  expectStreamedThenReplaced(summary);
  expect(chat.pageErrors).toEqual([]);
}, 120_000);

it('shows the streamed answer formatted while it streams, as Lex Web UI renders its markdown, then Lex’s message', async () => {
  // Prepare: an answer with bold, inline code, lists and a code block
  const chat = await openChat(`${BASE}index.html`);
  const bots = () => chat.frame.locator('.message-bubble.message-bubble-row-bot').count();
  const botsBefore = await bots();
  const streamed: string[] = [];
  let shot = false;

  // Act: ask as a user does and read the typing bubble until Lex's answer shows
  await chat.frame.fill('[data-testid="lwu-input"]', 'Explain how the session table works');
  await chat.frame.click('[data-testid="lwu-send"]');
  const deadline = Date.now() + 90_000;
  while ((await bots()) === botsBefore) {
    if (Date.now() > deadline) throw new Error('no Lex answer within 90 s');
    const view = await chat.frame.evaluate(() => {
      const formatted = document.querySelector('.messsge-loading [data-qna-streaming]');
      const bubble = document.querySelector<HTMLElement>(
        '.messsge-loading .message-bubble:not([data-qna-streaming])',
      );
      return {
        html: formatted?.innerHTML ?? '',
        plainHidden: bubble ? getComputedStyle(bubble).display === 'none' : true,
      };
    });
    if (view.html) {
      streamed.push(view.html);
      expect(view.plainHidden).toBe(true);
    }
    if (!shot && /<li>/.test(view.html)) {
      await screenshot(chat.page, 'lex-web-ui-adapter-formatted-mid-stream');
      shot = true;
    }
    await new Promise((resolve) => setTimeout(resolve, 150));
  }

  // Assess: formatted while streaming (bold, code, list items, a code block appear before Lex answered),
  // markers hidden, only the subset's elements, and Lex's own message replaces it
  const seen = streamed.join('\n');
  expect(streamed.length).toBeGreaterThanOrEqual(5);
  expect(seen).toMatch(/<strong>The pointer<\/strong>/);
  expect(seen).toMatch(/<code>connectionId<\/code>/);
  expect(seen).toMatch(/<ul><li>/);
  expect(seen).toMatch(/<ol><li>/);
  expect(seen).toMatch(/<pre><code>const \{ Item \}/);
  expect(seen).not.toMatch(/\*\*The pointer/);
  const tags = new Set([...seen.matchAll(/<([a-z0-9]+)/g)].map((match) => match[1]));
  expect(
    [...tags].filter(
      (tag) => !['p', 'strong', 'em', 'code', 'pre', 'a', 'ul', 'ol', 'li', 'br'].includes(String(tag)),
    ),
  ).toEqual([]);
  expect(await chat.frame.locator('[data-qna-streaming]').count()).toBe(0);
  expect(await chat.frame.locator('.message-bubble.message-bubble-row-bot').last().textContent()).toMatch(
    /session table/,
  );
  expect(chat.pageErrors).toEqual([]);
}, 150_000);

it('keeps the streamed answer plain where Lex Web UI shows answers plain (ui.AllowSuperDangerousHTMLInMessage false)', async () => {
  // Prepare: a deployment whose config turns Lex Web UI's markdown rendering off (its mergeConfig)
  const chat = await openChat(`${BASE}index.html`);
  await chat.frame.evaluate(() => {
    const mount = document.getElementById('lex-web-ui-fullpage') as unknown as {
      __vue_app__: {
        config: { globalProperties: { $store: { commit(type: string, payload: unknown): void } } };
      };
    };
    mount.__vue_app__.config.globalProperties.$store.commit('mergeConfig', {
      ui: { AllowSuperDangerousHTMLInMessage: false },
    });
  });
  const bots = () => chat.frame.locator('.message-bubble.message-bubble-row-bot').count();
  const botsBefore = await bots();
  const plain: string[] = [];
  let formattedSeen = 0;

  // Act
  await chat.frame.fill('[data-testid="lwu-input"]', 'Explain how the session table works');
  await chat.frame.click('[data-testid="lwu-send"]');
  const deadline = Date.now() + 90_000;
  while ((await bots()) === botsBefore) {
    if (Date.now() > deadline) throw new Error('no Lex answer within 90 s');
    const view = await chat.frame.evaluate(() => ({
      formatted: document.querySelectorAll('[data-qna-streaming]').length,
      bubble: document.querySelector('.messsge-loading .message-bubble')?.textContent ?? '',
    }));
    formattedSeen += view.formatted;
    if (view.bubble) plain.push(view.bubble);
    await new Promise((resolve) => setTimeout(resolve, 150));
  }

  // Assess: the bubble showed the streamed markdown source as text, never a formatted copy
  expect(formattedSeen).toBe(0);
  expect(plain.length).toBeGreaterThanOrEqual(5);
  expect(plain.join('\n')).toMatch(/\*\*The pointer\*\*/);
  expect(chat.pageErrors).toEqual([]);
}, 150_000);
