/**
 * Why a socket did not open, as the shipped script-tag bundle reports it in real headless Chromium.
 * A browser shows a page only a close (1006) for a host name that does not resolve, a closed port
 * and a 403 alike; the client then asks the host once over plain HTTP (no-cors) and tells
 * "unreachable" (no answer) from "refused" (the gateway answered). A page whose
 * Content-Security-Policy blocks that probe cannot tell, and the message says so. The page is served
 * from 127.0.0.1, the gateway is the local stack's.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { buildWebPlugin, GLOBAL_NAME } from '../../scripts/build-web-plugin';
import { CONNECTION_REFUSED_MESSAGE } from '../../web-plugin/errors';
import { launchChromium } from '../browser/chromium';

let browser: Browser;
let stack: LocalStack;
let pageServer: Server;
let pageUrl: string;
let bundleDir: string;

beforeAll(async () => {
  bundleDir = mkdtempSync(path.join(os.tmpdir(), 'qna-streaming-connect-errors-'));
  await buildWebPlugin(bundleDir);
  const script = readFileSync(path.join(bundleDir, 'qna-streaming.js'), 'utf8');
  pageServer = createServer((request, response) => {
    if (request.url === '/qna-streaming.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
      return;
    }
    // /csp: a page whose Content-Security-Policy lets the socket through but not the probe.
    const csp = request.url === '/csp' ? { 'content-security-policy': 'connect-src ws://127.0.0.1:*' } : {};
    response
      .writeHead(200, { 'content-type': 'text/html', ...csp })
      .end('<!doctype html><title>connect errors</title><script src="/qna-streaming.js"></script>');
  });
  await new Promise<void>((resolve) => pageServer.listen(0, '127.0.0.1', resolve));
  pageUrl = `http://127.0.0.1:${(pageServer.address() as { port: number }).port}/`;
  [browser, stack] = await Promise.all([launchChromium(), startLocalStack({ demo: false })]);
}, 90_000);

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
  await new Promise<void>((resolve) => (pageServer ? pageServer.close(() => resolve()) : resolve()));
  rmSync(bundleDir, { recursive: true, force: true });
});

interface Outcome {
  opened: boolean;
  /** Every `error` event: the failed attempt, then GAVE_UP. */
  errors: { code: string; message: string }[];
  /** Chromium's console lines (it logs a refused handshake with its status). */
  console: string[];
}

/** Opens a page and connects a StreamingClient from the bundle with one attempt. */
async function connectFromPage(options: {
  endpoint: string;
  sessionId: string;
  region?: string;
  path?: string;
}) {
  const page: Page = await browser.newPage();
  const consoleLines: string[] = [];
  page.on('console', (message) => consoleLines.push(message.text()));
  try {
    await page.goto(new URL(options.path ?? '/', pageUrl).toString());
    const outcome = await page.evaluate(
      async ({ global, endpoint, sessionId, region, credentials }) => {
        const api = (window as unknown as Record<string, { StreamingClient: new (o: object) => unknown }>)[
          global
        ];
        type Client = {
          on(event: 'error', listener: (error: { code: string; message: string }) => void): void;
          connect(): Promise<void>;
          close(): void;
        };
        const client = new (api as { StreamingClient: new (o: object) => Client }).StreamingClient({
          endpoint,
          sessionId,
          region,
          credentials: async () => credentials,
          maxConsecutiveFailures: 1,
        });
        const errors: { code: string; message: string }[] = [];
        client.on('error', (error) => errors.push({ code: error.code, message: error.message }));
        try {
          await client.connect();
          return { opened: true, errors };
        } catch {
          return { opened: false, errors };
        } finally {
          client.close();
        }
      },
      {
        global: GLOBAL_NAME,
        endpoint: options.endpoint,
        sessionId: options.sessionId,
        region: options.region ?? stack.endpoints.region,
        credentials: { ...DEV_CREDENTIALS },
      },
    );
    return { ...outcome, console: consoleLines } satisfies Outcome;
  } finally {
    await page.close();
  }
}

/** A port on 127.0.0.1 that nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createTcpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

it('connects from the page when signature and session id are right (the setup itself works)', async () => {
  // Act
  const outcome = await connectFromPage({ endpoint: stack.endpoints.webSocketUrl, sessionId: 'page-ok-1' });

  // Assess
  expect(outcome).toMatchObject({ opened: true, errors: [] });
});

it('a host name that does not resolve is reported unreachable, not refused', async () => {
  // Act
  const outcome = await connectFromPage({ endpoint: 'wss://nohost.invalid/Prod', sessionId: 'page-1' });

  // Assess
  expect(outcome.opened).toBe(false);
  expect(outcome.errors[0]).toEqual({
    code: 'ENDPOINT_UNREACHABLE',
    message:
      'cannot reach nohost.invalid (no answer, or the page’s Content-Security-Policy blocks it): check the endpoint URL, its region and the network',
  });
  expect(outcome.errors[1]?.code).toBe('GAVE_UP');
  expect(outcome.errors.map((error) => error.message).join('\n')).not.toMatch(/refused|session id/);
});

it('a port nothing listens on is reported unreachable', async () => {
  // Prepare
  const port = await closedPort();

  // Act
  const outcome = await connectFromPage({ endpoint: `ws://127.0.0.1:${port}/Prod`, sessionId: 'page-2' });

  // Assess
  expect(outcome.errors[0]).toEqual({
    code: 'ENDPOINT_UNREACHABLE',
    message: `cannot reach 127.0.0.1:${port} (no answer, or the page’s Content-Security-Policy blocks it): check the endpoint URL, its region and the network`,
  });
});

it('a session id the gateway refuses (403) is reported refused, naming both things it may have refused', async () => {
  // Prepare: IAM credentials may not take a session id shaped like a Cognito identity id.
  const sessionId = 'us-east-1:11111111-2222-3333-4444-555555555555';

  // Act
  const outcome = await connectFromPage({ endpoint: stack.endpoints.webSocketUrl, sessionId });

  // Assess
  expect(outcome.errors[0]).toEqual({ code: 'CONNECTION_REFUSED', message: CONNECTION_REFUSED_MESSAGE });
  expect(CONNECTION_REFUSED_MESSAGE).toBe(
    'connection refused by the gateway: check the signature (region, clock, expired credentials) and the session id (your Cognito identity id, not in use by another identity)',
  );
  expect(outcome.console.some((line) => /WebSocket.*403/.test(line))).toBe(true);
});

it('a signature for another region (403 too) is refused with the same honest message: the browser cannot tell them apart', async () => {
  // Act
  const outcome = await connectFromPage({
    endpoint: stack.endpoints.webSocketUrl,
    sessionId: 'page-3',
    region: 'eu-west-1',
  });

  // Assess
  expect(outcome.errors[0]).toEqual({ code: 'CONNECTION_REFUSED', message: CONNECTION_REFUSED_MESSAGE });
  expect(outcome.errors[1]).toEqual({
    code: 'GAVE_UP',
    message: `stopped connecting after 1 failed attempt(s): ${CONNECTION_REFUSED_MESSAGE}`,
  });
});

it('a page whose Content-Security-Policy blocks the probe cannot tell a refusal: the message says the policy may be why', async () => {
  // Act: the gateway refuses this session id (403), but the page may not fetch from the gateway.
  const outcome = await connectFromPage({
    endpoint: stack.endpoints.webSocketUrl,
    sessionId: 'us-east-1:11111111-2222-3333-4444-555555555555',
    path: '/csp',
  });

  // Assess
  const { port } = new URL(stack.endpoints.webSocketUrl);
  expect(outcome.errors[0]).toEqual({
    code: 'ENDPOINT_UNREACHABLE',
    message: `cannot reach 127.0.0.1:${port} (no answer, or the page’s Content-Security-Policy blocks it): check the endpoint URL, its region and the network`,
  });
  expect(outcome.console.some((line) => /Content Security Policy/.test(line))).toBe(true);
});
