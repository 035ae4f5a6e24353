/**
 * The real Lex Web UI build (its dist/: index.html, the loader, lex-web-ui.min.js, Vue, Vuex,
 * Vuetify) against a running `npm start`, stock and with the adapter, side by side: what a visitor
 * sees while one long answer streams. Not part of `npm test` (it needs the dist and a running stack).
 *
 *   git -C <aws-lex-web-ui clone> archive <tag> dist | tar -x -C /tmp/lwu   # or copy dist/ by hand
 *   (a clone without its largest blobs fails that archive on dist/lex-web-ui.js; copy the other
 *   files one by one with `git show <tag>:dist/<file>`: the loader loads only the .min.js files)
 *   npm start                                                              # another terminal
 *   npx tsx scripts/compat/real-lex-web-ui.ts /tmp/lwu/dist [--question "…"] [--modes stock,adapter]
 *
 * For each mode the dist is copied to a temporary folder outside the repository with a
 * lex-web-ui-loader-config.json pointing at the local stack (build/local/endpoints.json, or
 * --endpoints). The adapter mode adds exactly what web-plugin/lex-web-ui.ts tells a deployment to
 * add: qna-streaming.js, the one-line qna-streaming-lex-web-ui.js and their two script tags in
 * index.html. The folder is served on 127.0.0.1 and opened in Debian's Chromium (playwright-core):
 * - Lex Web UI's SDK calls go to https://cognito-identity.<region>.amazonaws.com and
 *   https://runtime-v2-lex.<region>.amazonaws.com; page.route forwards them to the local doubles
 *   with their `host` header kept (the Lex request is SigV4-signed for it) and Content-Length
 *   re-added (the browser computes it, the intercepted request does not carry it);
 * - its socket goes straight to the local gateway (ws://127.0.0.1:…); its index.html
 *   Content-Security-Policy allows only wss://*.amazonaws.com, so the context bypasses CSP;
 * - any other outside request (fonts) is refused, so the run needs no network.
 *
 * Printed per mode: time from pressing Enter to the first streamed words in the bubble, how many
 * distinct texts the bubble showed before Lex's answer, whether the answer's last words were shown
 * before Lex's answer replaced the bubble, whether every streamed text was the start of the answer
 * (nothing doubled), when Lex answered, and the session ids. Screenshots (mid-stream and final) go
 * to build/test-artifacts/real-lex-web-ui-<mode>-*.png.
 */
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { type Browser, chromium, type Route } from 'playwright-core';
import type { LocalEndpoints } from '../../cli/local-stack/endpoints';
import { LONG_ANSWER_QUESTIONS } from '../../cli/local-stack/knowledge-base/entries';
import { REPO_ROOT } from '../../templates/lambda-assets';
import { buildWebPlugin } from '../build-web-plugin';
import {
  BUBBLE_OBSERVER_SCRIPT,
  type BubbleLogEntry,
  type BubbleSummary,
  summarizeBubble,
} from './bubble-observer';

const USAGE = `Usage: npx tsx scripts/compat/real-lex-web-ui.ts <lex-web-ui dist folder> [flags]

  --endpoints=build/local/endpoints.json   the running npm start's endpoints
  --question="…"                           default: the first of the local knowledge base's long answers
  --modes=stock,adapter                    which runs, in order
  --label=<text>                           added to the screenshot names (e.g. tps15)
  --chromium=/usr/bin/chromium
  --timeout-ms=120000                      per question
`;

type Mode = 'stock' | 'adapter';

interface Options {
  dist: string;
  endpointsFile: string;
  question: string;
  modes: Mode[];
  label: string;
  chromium: string;
  timeoutMs: number;
}

function parseArguments(argv: string[]): Options {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (const argument of argv) {
    if (argument === '--help' || argument === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    }
    const match = /^--([a-z-]+)=(.*)$/s.exec(argument);
    if (match) flags.set(match[1] as string, match[2] as string);
    else if (argument.startsWith('--')) throw new Error(`unknown flag ${argument}\n\n${USAGE}`);
    else positional.push(argument);
  }
  const dist = positional[0];
  if (!dist) throw new Error(`the Lex Web UI dist folder is missing\n\n${USAGE}`);
  const modes = (flags.get('modes') ?? 'stock,adapter').split(',').map((mode) => mode.trim());
  for (const mode of modes) {
    if (mode !== 'stock' && mode !== 'adapter') throw new Error(`--modes: unknown mode "${mode}"`);
  }
  return {
    dist: path.resolve(dist),
    endpointsFile: path.resolve(
      flags.get('endpoints') ?? path.join(REPO_ROOT, 'build', 'local', 'endpoints.json'),
    ),
    question: flags.get('question') ?? (LONG_ANSWER_QUESTIONS[0] as string),
    modes: modes as Mode[],
    label: flags.get('label') ?? '',
    chromium: flags.get('chromium') ?? '/usr/bin/chromium',
    timeoutMs: Number(flags.get('timeout-ms') ?? 120_000),
  };
}

/** Lex Web UI's loader config for the local stack (its keys as in src/config/default-lex-web-ui-loader-config.json). */
function loaderConfig(endpoints: LocalEndpoints) {
  return {
    region: endpoints.region,
    cognito: {
      poolId: endpoints.identityPoolId,
      aws_cognito_region: endpoints.region,
      region: endpoints.region,
    },
    lex: {
      initialText: 'Ask me about streaming.',
      region: endpoints.region,
      v2BotId: endpoints.botId,
      v2BotAliasId: endpoints.botAliasId,
      v2BotLocaleId: endpoints.localeId,
      allowStreamingResponses: true,
      streamingWebSocketEndpoint: endpoints.webSocketUrl,
      // Empty, as the admin guide says: QnABot streams its own answers only then.
      streamingDynamoDbTable: '',
    },
    ui: {
      parentOrigin: '',
      toolbarTitle: 'Lex Web UI 0.24 (local stack)',
      enableLogin: false,
      saveHistory: false,
      enableLiveChat: false,
      enableSFX: false,
      // As the loader's default config (src/config/default-lex-web-ui-loader-config.json); the app's
      // own default (lex-web-ui/src/config/index.js) is true, and then reInitBot (store/actions.js)
      // pushes initialText again below every fulfilled answer.
      pushInitialTextOnRestart: false,
    },
    recorder: { enable: false },
  };
}

/** The lines web-plugin/lex-web-ui.ts tells a deployment to add to index.html. */
const INITIATE_LOADER_TAG = '<script src="./initiate-loader.js"></script>';
const ADAPTER_TAGS =
  '<script src="./qna-streaming.js"></script>\n    <script src="./qna-streaming-lex-web-ui.js"></script>';
const ATTACH_FILE = 'QnaStreaming.attachToLexWebUiPage();\n';

async function prepareFolder(options: Options, mode: Mode, endpoints: LocalEndpoints, plugin: string) {
  const folder = mkdtempSync(path.join(tmpdir(), `qna-streaming-real-lwu-${mode}-`));
  cpSync(options.dist, folder, { recursive: true });
  writeFileSync(
    path.join(folder, 'lex-web-ui-loader-config.json'),
    JSON.stringify(loaderConfig(endpoints), null, 2),
  );
  if (mode === 'adapter') {
    cpSync(path.join(plugin, 'qna-streaming.js'), path.join(folder, 'qna-streaming.js'));
    writeFileSync(path.join(folder, 'qna-streaming-lex-web-ui.js'), ATTACH_FILE);
    const indexFile = path.join(folder, 'index.html');
    const index = readFileSync(indexFile, 'utf8');
    if (!index.includes(INITIATE_LOADER_TAG)) {
      throw new Error(`${indexFile} has no ${INITIATE_LOADER_TAG}; is this Lex Web UI's dist?`);
    }
    writeFileSync(
      indexFile,
      index.replace(INITIATE_LOADER_TAG, `${INITIATE_LOADER_TAG}\n    ${ADAPTER_TAGS}`),
    );
  }
  return folder;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
};

async function serveFolder(folder: string): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname);
    const file = path.join(folder, pathname === '/' ? 'index.html' : pathname);
    if (!file.startsWith(folder) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, {
      'content-type': CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-store',
    });
    response.end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

/** Sends an intercepted AWS call to a local double, keeping the signed `host`; returns the answer body. */
async function forward(route: Route, target: string): Promise<Buffer> {
  const request = route.request();
  const original = new URL(request.url());
  const destination = new URL(`${original.pathname}${original.search}`, target);
  const body = request.postDataBuffer() ?? Buffer.alloc(0);
  const headers: Record<string, string> = { ...(await request.allHeaders()) };
  headers.host = original.host;
  if (request.method() !== 'GET' && request.method() !== 'HEAD')
    headers['content-length'] = String(body.length);
  const answer = await new Promise<{ status: number; headers: Record<string, string>; body: Buffer }>(
    (resolve, reject) => {
      const outgoing = httpRequest(
        destination,
        { method: request.method(), headers, setHost: false },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('end', () => {
            const responseHeaders: Record<string, string> = {};
            for (const [name, value] of Object.entries(incoming.headers)) {
              if (value !== undefined)
                responseHeaders[name] = Array.isArray(value) ? value.join(', ') : value;
            }
            resolve({
              status: incoming.statusCode ?? 502,
              headers: responseHeaders,
              body: Buffer.concat(chunks),
            });
          });
          incoming.on('error', reject);
        },
      );
      outgoing.on('error', reject);
      outgoing.end(body);
    },
  );
  await route.fulfill({ status: answer.status, headers: answer.headers, body: answer.body });
  return answer.body;
}

interface RunResult {
  mode: Mode;
  summary: BubbleSummary;
  lexSessionId: string;
  lexAnswer: string;
  sockets: { sessionId: string; protocol: string; frames: number; closed: boolean }[];
  screenshots: string[];
  consoleErrors: string[];
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function runMode(
  browser: Browser,
  options: Options,
  mode: Mode,
  endpoints: LocalEndpoints,
  siteUrl: string,
): Promise<RunResult> {
  const context = await browser.newContext({ bypassCSP: true, viewport: { width: 1100, height: 900 } });
  await context.addInitScript({ content: BUBBLE_OBSERVER_SCRIPT });
  const region = endpoints.region;
  let lexSessionId = '';
  let lexAnswer = '';
  await context.route(`https://cognito-identity.${region}.amazonaws.com/**`, (route) =>
    forward(route, endpoints.cognitoIdentity).then(() => undefined),
  );
  await context.route(`https://runtime-v2-lex.${region}.amazonaws.com/**`, async (route) => {
    const match = /\/sessions\/([^/]+)\/text$/.exec(new URL(route.request().url()).pathname);
    const body = await forward(route, endpoints.lexRuntime);
    if (match && route.request().method() === 'POST') {
      lexSessionId = decodeURIComponent(match[1] as string);
      try {
        const parsed = JSON.parse(body.toString('utf8')) as { messages?: { content?: string }[] };
        lexAnswer = (parsed.messages ?? []).map((message) => message.content ?? '').join('\n\n');
      } catch {
        lexAnswer = '';
      }
    }
  });
  await context.route(
    (url) => !['127.0.0.1', 'localhost'].includes(url.hostname) && !url.hostname.endsWith('.amazonaws.com'),
    (route) => route.abort(),
  );
  const page = await context.newPage();
  const consoleErrors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') consoleErrors.push(message.text());
  });
  page.on('pageerror', (error) => consoleErrors.push(error.message));
  const sockets: RunResult['sockets'] = [];
  page.on('websocket', (socket) => {
    const url = new URL(socket.url());
    const entry = {
      sessionId: url.searchParams.get('sessionId') ?? '',
      protocol: url.searchParams.get('protocol') ?? 'text',
      frames: 0,
      closed: false,
    };
    sockets.push(entry);
    socket.on('framereceived', () => {
      entry.frames += 1;
    });
    socket.on('close', () => {
      entry.closed = true;
    });
  });

  await page.goto(`${siteUrl}index.html`);
  await page.waitForSelector('#text-input', { timeout: 30_000 });
  // Lex Web UI opens its socket once its Lex client has credentials; the adapter opens its own.
  const wanted = mode === 'adapter' ? 2 : 1;
  const deadline = Date.now() + 30_000;
  while (sockets.filter((socket) => !socket.closed).length < wanted && Date.now() < deadline)
    await pause(100);
  await pause(1000);

  await page.fill('#text-input', options.question);
  await page.evaluate(() => window.__qsMark?.('asked'));
  await page.press('#text-input', 'Enter');
  const screenshots: string[] = [];
  const artifacts = path.join(REPO_ROOT, 'build', 'test-artifacts');
  mkdirSync(artifacts, { recursive: true });
  const name = (what: string) =>
    path.join(artifacts, `real-lex-web-ui-${mode}${options.label ? `-${options.label}` : ''}-${what}.png`);
  const stopAt = Date.now() + options.timeoutMs;
  let summary: BubbleSummary;
  for (;;) {
    const log = (await page.evaluate(() => window.__qsBubbleLog ?? [])) as BubbleLogEntry[];
    summary = summarizeBubble(log, { answer: comparedAnswer(mode, lexAnswer) });
    const streamed = summary.progressive[summary.progressive.length - 1] ?? '';
    if (screenshots.length === 0 && summary.finalMs === undefined && streamed.length > 400) {
      const file = name('mid-stream');
      await page.screenshot({ path: file });
      screenshots.push(file);
    }
    if (summary.finalMs !== undefined && lexAnswer) break;
    if (Date.now() > stopAt) throw new Error(`${mode}: no Lex answer within ${options.timeoutMs} ms`);
    await pause(100);
  }
  await pause(500);
  const finalFile = name('final');
  await page.screenshot({ path: finalFile });
  screenshots.push(finalFile);
  const log = (await page.evaluate(() => window.__qsBubbleLog ?? [])) as BubbleLogEntry[];
  summary = summarizeBubble(log, { answer: comparedAnswer(mode, lexAnswer) });
  await context.close();
  return { mode, summary, lexSessionId, lexAnswer, sockets, screenshots, consoleErrors };
}

/**
 * What the streamed text is compared with: stock Lex Web UI's bubble shows the streamed markdown
 * source, so Lex's answer as returned; the adapter renders it as it streams (formatStreamedText),
 * list markers and fences gone as in Lex Web UI's rendered message, so that message.
 */
function comparedAnswer(mode: Mode, lexAnswer: string): string | undefined {
  return mode === 'stock' && lexAnswer ? lexAnswer : undefined;
}

function report(results: RunResult[], options: Options, endpoints: LocalEndpoints): string {
  const timing = endpoints.modelTiming
    ? `local model: ${endpoints.modelTiming.timeToFirstTokenMs} ms to the first token, ${endpoints.modelTiming.tokensPerSecond} tokens/s`
    : `model: ${endpoints.modelId}`;
  const lines = [
    `Lex Web UI from ${options.dist} against ${endpoints.webUrl} (${timing})`,
    `question: "${options.question}"`,
    '',
  ];
  const rows = [
    ['', ...results.map((result) => result.mode)],
    [
      'first streamed words in the bubble',
      ...results.map((r) =>
        r.summary.firstWordsMs === undefined ? 'never' : `${r.summary.firstWordsMs} ms`,
      ),
    ],
    ['distinct bubble texts before the answer', ...results.map((r) => String(r.summary.progressive.length))],
    [
      "last streamed words shown before Lex's answer",
      ...results.map((r) => (r.summary.lastWordsShown ? 'yes' : 'no')),
    ],
    [
      'streamed text at its last (characters / answer)',
      ...results.map((r) => `${r.summary.streamedChars} / ${r.summary.answerChars}`),
    ],
    [
      'every streamed text a start of the answer',
      ...results.map((r) => (r.summary.allPrefixesOfFinal ? 'yes' : 'NO')),
    ],
    ["Lex's answer shown after", ...results.map((r) => `${r.summary.finalMs} ms`)],
    ['Lex session id', ...results.map((r) => r.lexSessionId)],
    [
      'sockets (session id, protocol, frames received)',
      ...results.map((r) =>
        r.sockets
          .map((s) => `${s.sessionId} ${s.protocol} ${s.frames}${s.closed ? ' closed' : ''}`)
          .join('; '),
      ),
    ],
  ];
  const widths =
    rows[0]?.map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length))) ?? [];
  for (const row of rows)
    lines.push(
      row
        .map((cell, column) => cell.padEnd(widths[column] ?? 0))
        .join('  ')
        .trimEnd(),
    );
  lines.push('');
  for (const result of results) {
    lines.push(
      `${result.mode} screenshots: ${result.screenshots.map((file) => path.relative(REPO_ROOT, file)).join(', ')}`,
    );
    if (result.consoleErrors.length > 0) {
      lines.push(`${result.mode} console errors: ${result.consoleErrors.slice(0, 5).join(' | ')}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

async function main(): Promise<void> {
  const options = parseArguments(process.argv.slice(2));
  for (const file of ['index.html', 'initiate-loader.js', 'lex-web-ui-loader.min.js', 'lex-web-ui.min.js']) {
    if (!existsSync(path.join(options.dist, file))) {
      throw new Error(`${options.dist} has no ${file}: pass Lex Web UI's dist folder`);
    }
  }
  if (!existsSync(options.endpointsFile)) {
    throw new Error(`${options.endpointsFile} is missing: start the local stack with npm start first`);
  }
  const endpoints = JSON.parse(readFileSync(options.endpointsFile, 'utf8')) as LocalEndpoints;
  try {
    await fetch(`${endpoints.webUrl.replace(/\/$/, '')}/endpoints.json`);
  } catch (error) {
    throw new Error(
      `the local stack at ${endpoints.webUrl} does not answer (${String(error)}); is npm start running?`,
    );
  }
  const pluginFolder = mkdtempSync(path.join(tmpdir(), 'qna-streaming-plugin-'));
  const folders: string[] = [pluginFolder];
  const servers: Server[] = [];
  let browser: Browser | undefined;
  try {
    await buildWebPlugin(pluginFolder);
    browser = await chromium.launch({
      executablePath: options.chromium,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    const results: RunResult[] = [];
    for (const mode of options.modes) {
      const folder = await prepareFolder(options, mode, endpoints, pluginFolder);
      folders.push(folder);
      const site = await serveFolder(folder);
      servers.push(site.server);
      results.push(await runMode(browser, options, mode, endpoints, site.url));
    }
    process.stdout.write(report(results, options, endpoints));
  } finally {
    await browser?.close();
    for (const server of servers) server.close();
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
