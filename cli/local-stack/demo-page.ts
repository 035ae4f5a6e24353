/**
 * The demo chat page of the local stack: `/` (the page), `/demo.js` (web-plugin/demo bundled with
 * esbuild when the stack starts, in memory, about a tenth of a second), `/qna-streaming.css` (the
 * widget's stylesheet as the plugin ships it), `/demo.css` (the page's own), and `/status` (what
 * runs where). `startLocalStack` serves it unless `demo: false`.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { QnaStreamingError } from '../../functions/protocol/errors';
import { REPO_ROOT } from '../../templates/lambda-assets';
import type { LocalEndpoints } from './endpoints';
import { escapeHtml } from './html';
import { renderStatusPage } from './status-page';
import type { LocalWebServer } from './web-server';

export const DEMO_ENTRY = path.join(REPO_ROOT, 'web-plugin', 'demo', 'main.ts');
export const DEMO_STYLESHEET = path.join(REPO_ROOT, 'web-plugin', 'demo', 'demo.css');
export const WIDGET_STYLESHEET = path.join(REPO_ROOT, 'web-plugin', 'widget.css');
/** Paths the demo registers on the web server. */
export const DEMO_PATHS = {
  page: '/',
  script: '/demo.js',
  stylesheet: '/demo.css',
  widgetStylesheet: '/qna-streaming.css',
  status: '/status',
} as const;

/** The demo could not be bundled. */
export class DemoPageError extends QnaStreamingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DemoPageError';
  }
}

export interface DemoBundle {
  script: string;
  stylesheet: string;
  /** The widget's default stylesheet (web-plugin/widget.css). */
  widgetStylesheet: string;
  /** Size of the script, minified. */
  rawBytes: number;
  gzipBytes: number;
  buildMs: number;
}

/** Bundles the demo's browser entry (IIFE, minified) and reads its stylesheet. */
export async function buildDemoBundle(): Promise<DemoBundle> {
  const started = performance.now();
  let script: string;
  try {
    const result = await build({
      entryPoints: [DEMO_ENTRY],
      bundle: true,
      minify: true,
      format: 'iife',
      platform: 'browser',
      target: 'es2020',
      write: false,
      logLevel: 'silent',
      legalComments: 'none',
      define: { 'process.env.NODE_ENV': '"production"' },
    });
    const [output] = result.outputFiles;
    if (!output) throw new Error('esbuild produced no output');
    script = output.text;
  } catch (error) {
    throw new DemoPageError(
      `the demo page could not be bundled from ${DEMO_ENTRY}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const stylesheet = readFileSync(DEMO_STYLESHEET, 'utf8');
  const widgetStylesheet = readFileSync(WIDGET_STYLESHEET, 'utf8');
  return {
    script,
    stylesheet,
    widgetStylesheet,
    rawBytes: Buffer.byteLength(script),
    gzipBytes: gzipSync(script, { level: 9 }).length,
    buildMs: Math.round(performance.now() - started),
  };
}

/** The page's HTML: a header and the mount point; demo.js builds the rest. */
export function renderDemoPage(endpoints: Pick<LocalEndpoints, 'modelId'>): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>qna-streaming demo</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${DEMO_PATHS.widgetStylesheet}">
<link rel="stylesheet" href="${DEMO_PATHS.stylesheet}">
</head>
<body>
<header class="demo-header"><div class="demo-header-inner">
<h1>qna-streaming demo</h1>
<p>Lex answers streamed word by word over an IAM-authorized WebSocket, all on this machine (model <code>${escapeHtml(endpoints.modelId)}</code>).</p>
<nav><a href="${DEMO_PATHS.status}">What runs where</a><a href="/endpoints.json">endpoints.json</a></nav>
</div></header>
<main class="demo-main">
<div id="qna-streaming-demo"><p>Loading the demo…</p></div>
<noscript>The demo needs JavaScript. The endpoints are listed on <a href="${DEMO_PATHS.status}">the status page</a>.</noscript>
</main>
<script src="${DEMO_PATHS.script}" defer></script>
</body>
</html>
`;
}

/** Bundles the demo and registers its page, script, stylesheet and the status page. */
export async function serveDemo(web: LocalWebServer, endpoints: LocalEndpoints): Promise<DemoBundle> {
  const bundle = await buildDemoBundle();
  web.setAsset(DEMO_PATHS.page, {
    contentType: 'text/html; charset=utf-8',
    body: () => renderDemoPage(endpoints),
  });
  web.setAsset(DEMO_PATHS.script, {
    contentType: 'text/javascript; charset=utf-8',
    body: () => bundle.script,
  });
  web.setAsset(DEMO_PATHS.stylesheet, {
    contentType: 'text/css; charset=utf-8',
    body: () => bundle.stylesheet,
  });
  web.setAsset(DEMO_PATHS.widgetStylesheet, {
    contentType: 'text/css; charset=utf-8',
    body: () => bundle.widgetStylesheet,
  });
  web.setAsset(DEMO_PATHS.status, {
    contentType: 'text/html; charset=utf-8',
    body: () => renderStatusPage(endpoints),
  });
  return bundle;
}
