import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import {
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

it('builds an ES module, a script-tag bundle and the widget stylesheet, each within its gzip budget', () => {
  expect(reports.map((r) => r.file.slice(outdir.length + 1)).sort()).toEqual([
    'qna-streaming.css',
    'qna-streaming.js',
    'qna-streaming.mjs',
  ]);
  for (const report of reports) {
    expect(report.gzipBytes).toBeGreaterThan(0);
    expect(report.gzipBytes).toBeLessThanOrEqual(
      report.file.endsWith('.css') ? STYLESHEET_GZIP_BUDGET_BYTES : GZIP_BUDGET_BYTES,
    );
  }
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
