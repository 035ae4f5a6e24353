import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import {
  AI_SDK_GZIP_BUDGET_BYTES,
  AI_SDK_PLUGIN_IMPORT,
  buildWebPlugin,
  GLOBAL_NAME,
  GZIP_BUDGET_BYTES,
  STYLESHEET_GZIP_BUDGET_BYTES,
} from '../../scripts/build-web-plugin';
import { verifyPresignedUrl } from './sigv4-reference';

let outdir: string;
let reports: Awaited<ReturnType<typeof buildWebPlugin>>;

beforeAll(async () => {
  outdir = mkdtempSync(join(tmpdir(), 'qna-streaming-web-plugin-'));
  reports = await buildWebPlugin(outdir);
}, 60_000);

afterAll(() => {
  rmSync(outdir, { recursive: true, force: true });
});

it('builds an ES module, a script-tag bundle, the widget stylesheet and the AI SDK transport, each within its gzip budget', () => {
  expect(reports.map((r) => r.file.slice(outdir.length + 1)).sort()).toEqual([
    'qna-streaming-ai-sdk.mjs',
    'qna-streaming.css',
    'qna-streaming.js',
    'qna-streaming.mjs',
  ]);
  const budget = (file: string) =>
    file.endsWith('.css')
      ? STYLESHEET_GZIP_BUDGET_BYTES
      : file.endsWith('ai-sdk.mjs')
        ? AI_SDK_GZIP_BUDGET_BYTES
        : GZIP_BUDGET_BYTES;
  for (const report of reports) {
    expect(report.gzipBytes).toBeGreaterThan(0);
    expect(report.gzipBytes).toBeLessThanOrEqual(budget(report.file));
  }
});

it('keeps React and the AI SDK out of every bundle, and the AI SDK transport out of the core ones', () => {
  // Prepare: marks of React (its element symbols), of the AI SDK (its stream processing error, its
  // chunk validation) and of the transport (the chunk types only it writes)
  const read = (name: string) => readFileSync(join(outdir, name), 'utf8');
  const react = /react\.(transitional\.)?element|__CLIENT_INTERNALS|useSyncExternalStore/;
  const aiSdk = /vercel\.ai\.error|AI_[A-Za-z]+Error/;
  const transport = /"text-delta"|"source-url"/;

  // Act
  const core = [read('qna-streaming.js'), read('qna-streaming.mjs')];
  const aiSdkModule = read('qna-streaming-ai-sdk.mjs');

  // Assess
  for (const code of core) {
    expect(code).not.toMatch(react);
    expect(code).not.toMatch(aiSdk);
    expect(code).not.toMatch(transport);
  }
  expect(aiSdkModule).toMatch(transport);
  expect(aiSdkModule).not.toMatch(react);
  expect(aiSdkModule).not.toMatch(aiSdk);
  // Its only import is the plugin's module (for the error class), none of a package.
  expect([...aiSdkModule.matchAll(/\bfrom\s*"([^"]+)"/g)].map((match) => match[1])).toEqual([
    AI_SDK_PLUGIN_IMPORT,
  ]);
});

it('the script-tag bundle defines the QnaStreaming global and signs in a bare browser-like context', async () => {
  // Prepare: only what a browser offers; no require, no process, no Buffer.
  const code = readFileSync(join(outdir, 'qna-streaming.js'), 'utf8');
  const context = { URL, URLSearchParams, TextEncoder, TextDecoder, setTimeout, clearTimeout, console };

  // Act
  const api = runInNewContext(`${code};${GLOBAL_NAME}`, context) as Record<string, unknown>;
  const presign = api.presignWebSocketUrl as (options: object) => Promise<string>;
  const url = await presign({
    endpoint: 'wss://abc123defg.execute-api.us-west-2.amazonaws.com/Prod',
    sessionId: 'us-west-2:identity',
    credentials: { accessKeyId: 'AKIDBUNDLE', secretAccessKey: 'bundle-secret' },
    signingDate: new Date('2025-05-05T05:05:05Z'),
  });

  // Assess
  expect(Object.keys(api)).toEqual(
    expect.arrayContaining([
      'StreamingClient',
      'createChatWidget',
      'attachToLexWebUi',
      'presignWebSocketUrl',
      'recognizeText',
    ]),
  );
  expect(
    verifyPresignedUrl(url, {
      secretAccessKey: 'bundle-secret',
      service: 'execute-api',
      region: 'us-west-2',
      nowMs: Date.parse('2025-05-05T05:05:05Z'),
    }).valid,
  ).toBe(true);
});
