/**
 * The demo page's server side and its fetch-based AWS calls, driven from Node against the local
 * stack (the same calls the page makes in Chromium; see demo.test.ts).
 */

import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { STOPPED_NOTE } from '../../functions/streaming/pipeline/answer-notes';
import { GZIP_BUDGET_BYTES } from '../../scripts/build-web-plugin';
import {
  answerText,
  cachedCredentials,
  getCognitoCredentials,
  getCognitoIdentityId,
  recognizeText,
} from '../../web-plugin/demo/aws-calls';
import { DemoError } from '../../web-plugin/demo/errors';

let stack: LocalStack;

beforeAll(async () => {
  stack = await startLocalStack({ modelBehaviour: { timeToFirstTokenMs: 50, tokensPerSecond: 400 } });
}, 60_000);

afterAll(async () => {
  await stack.stop();
});

const nodeFetch = (url: string, init: RequestInit) => fetch(url, init);

async function visitor() {
  const identityId = await getCognitoIdentityId(
    nodeFetch,
    stack.endpoints.cognitoIdentity,
    stack.endpoints.identityPoolId,
  );
  const credentials = await getCognitoCredentials(nodeFetch, stack.endpoints.cognitoIdentity, identityId);
  return { identityId, credentials };
}

function bot() {
  return { ...stack.endpoints, endpoint: stack.endpoints.lexRuntime };
}

it('serves the demo page, its script, the widget and page stylesheets, and the status page', async () => {
  // Act
  const [page, script, stylesheet, status, widgetStylesheet] = await Promise.all(
    ['', 'demo.js', 'demo.css', 'status', 'qna-streaming.css'].map((file) =>
      fetch(`${stack.endpoints.webUrl}${file}`),
    ),
  );

  // Assess
  expect(page?.headers.get('content-type')).toContain('text/html');
  const html = await page?.text();
  expect(html).toContain('qna-streaming demo');
  expect(html).toContain('src="/demo.js"');
  expect(script?.headers.get('content-type')).toContain('javascript');
  expect((await script?.text())?.length).toBe(stack.demo?.rawBytes);
  expect(await stylesheet?.text()).toContain('--qna-streaming-accent');
  expect(await widgetStylesheet?.text()).toContain('.qs-streamed');
  const statusPage = await status?.text();
  expect(statusPage).toContain(stack.endpoints.webSocketUrl);
  expect(statusPage).toContain(`AWS_REGION=${stack.endpoints.region}`);
  expect(statusPage).toContain(stack.endpoints.credentials.secretAccessKey);
});

it('keeps the demo script within the plugin script budget (the widget, the client, the SigV4 signer and SHA-256)', () => {
  // Assess: the demo bundles the widget and its Cognito/Lex calls, without the Lex Web UI adapter
  expect(stack.demo?.gzipBytes).toBeGreaterThan(1000);
  expect(stack.demo?.gzipBytes).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
});

it('gets a Cognito identity and credentials and asks Lex with a SigV4-signed fetch', async () => {
  // Prepare
  const { identityId, credentials } = await visitor();

  // Act
  const result = await recognizeText({
    fetch: nodeFetch,
    bot: bot(),
    sessionId: identityId,
    text: 'How does the browser authenticate to the WebSocket API?',
    credentials,
  });

  // Assess
  expect(identityId).toMatch(/^us-east-1:[0-9a-f-]+$/);
  expect(credentials.expiration.getTime()).toBeGreaterThan(Date.now() + 30 * 60 * 1000);
  expect(result.sessionId).toBe(identityId);
  expect(answerText(result)).toMatch(/SigV4|sign/i);
  expect(answerText(result)).not.toContain(STOPPED_NOTE);
});

it('reports a refused Lex call with its status and AWS error name', async () => {
  // Prepare
  const { identityId, credentials } = await visitor();

  // Act
  const call = recognizeText({
    fetch: nodeFetch,
    bot: bot(),
    sessionId: identityId,
    text: 'hello',
    credentials: { ...credentials, secretAccessKey: `${credentials.secretAccessKey}x` },
  });

  // Assess
  await expect(call).rejects.toBeInstanceOf(DemoError);
  await expect(call).rejects.toMatchObject({ status: 403, awsCode: 'SignatureDoesNotMatch' });
  await expect(call).rejects.toThrow(/Lex RecognizeText failed with HTTP 403/);
});

it('names an unknown identity pool in the error', async () => {
  // Act
  const call = getCognitoIdentityId(
    nodeFetch,
    stack.endpoints.cognitoIdentity,
    'us-east-1:00000000-0000-4000-8000-000000000bad',
  );

  // Assess
  await expect(call).rejects.toMatchObject({ status: 400, awsCode: 'ResourceNotFoundException' });
});

it('shares one credentials request between concurrent callers and refreshes before expiry', async () => {
  // Prepare
  let loads = 0;
  let clock = 0;
  const expiresAt = 10 * 60 * 1000;
  const provider = cachedCredentials(
    async () => {
      loads += 1;
      return {
        identityId: 'us-east-1:0000',
        accessKeyId: `ASIA${loads}`,
        secretAccessKey: 's',
        sessionToken: 't',
        expiration: new Date(expiresAt * loads),
      };
    },
    { now: () => clock, refreshMarginMs: 60_000 },
  );

  // Act
  const [first, second] = await Promise.all([provider(), provider()]);
  clock = expiresAt - 120_000;
  const stillCached = await provider();
  clock = expiresAt - 30_000;
  const refreshed = await provider();

  // Assess
  expect(first).toBe(second);
  expect(stillCached.accessKeyId).toBe('ASIA1');
  expect(refreshed.accessKeyId).toBe('ASIA2');
  expect(loads).toBe(2);
});
