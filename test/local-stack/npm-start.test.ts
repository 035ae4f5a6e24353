/**
 * `npm start` as a user runs it: the process starts every double, prints where they are, serves
 * endpoints.json, lets a client connect → receive a post → disconnect, and stops on Ctrl-C.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import WebSocket from 'ws';
import type { LocalEndpoints } from '../../cli/local-stack/endpoints';
import { SessionTable } from '../../functions/shared/session-table';
import { presignWebSocketUrl } from '../../web-plugin/signer';

const ROOT = path.resolve(__dirname, '..', '..');
let child: ChildProcess | undefined;
let output = '';

afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
});

function waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${pattern} in output:\n${output}`)), timeoutMs);
    const check = () => {
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        child?.stdout?.off('data', check);
        resolve(match);
      }
    };
    child?.stdout?.on('data', check);
    check();
  });
}

it('starts, serves a full connect → post → receive → disconnect, and stops cleanly on Ctrl-C', async () => {
  // Prepare: every port 0, so the test never collides with a running stack
  const portFlags = ['web', 'gateway', 'dynamodb', 'bedrock', 'cognito', 'lex'].map(
    (name) => `--${name}-port=0`,
  );
  child = spawn(
    process.execPath,
    [
      path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
      'cli/local-stack/start.ts',
      ...portFlags,
      '--model-tokens-per-second=200',
      '--model-ttft-ms=20',
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output += chunk;
  });
  const [, webUrl] = await waitForOutput(/Open in a browser\s+(http:\/\/127\.0\.0\.1:\d+\/)/, 60_000);
  await waitForOutput(/Press Ctrl-C to stop/, 5_000);
  const [timingLine] = await waitForOutput(/Local model timing.*/, 1_000);
  const endpoints = (await (await fetch(`${webUrl}endpoints.json`)).json()) as LocalEndpoints;
  const page = await (await fetch(webUrl as string)).text();

  // Act: connect with the dev credentials, have a publisher post, receive, disconnect
  const url = await presignWebSocketUrl({
    endpoint: endpoints.webSocketUrl,
    sessionId: 'npm-start-check',
    protocol: 'text',
    credentials: endpoints.credentials,
    region: endpoints.region,
  });
  const socket = new WebSocket(url);
  const received = new Promise<string>((resolve) => socket.once('message', (data) => resolve(String(data))));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
  });
  const managementApi = new ApiGatewayManagementApiClient({
    endpoint: endpoints.callbackUrl,
    region: endpoints.region,
    credentials: endpoints.credentials,
  });
  const [connectionId] = await waitForConnection(endpoints);
  await managementApi.send(
    new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'hello from @connections' }),
  );
  const message = await received;
  socket.close();
  managementApi.destroy();
  child.kill('SIGINT');
  const exitCode = await new Promise<number | null>((resolve) =>
    child?.once('exit', (code) => resolve(code)),
  );

  // Assess
  expect(Object.keys(endpoints).sort()).toEqual(
    expect.arrayContaining([
      'region',
      'webSocketUrl',
      'callbackUrl',
      'dynamodb',
      'bedrockRuntime',
      'bedrockAgentRuntime',
      'cognitoIdentity',
      'identityPoolId',
      'lexRuntime',
      'botId',
      'botAliasId',
      'localeId',
      'tableName',
      'credentials',
    ]),
  );
  expect(page).toContain('qna-streaming');
  expect(timingLine).toContain('20 ms to first token, 200 tokens/s');
  expect(endpoints.modelTiming).toEqual({ timeToFirstTokenMs: 20, tokensPerSecond: 200 });
  expect(message).toBe('hello from @connections');
  expect(output).toContain('Stopped.');
  expect(exitCode).toBe(0);
}, 120_000);

/** The connection id, read from the session table the connection Lambda wrote. */
async function waitForConnection(endpoints: LocalEndpoints): Promise<string[]> {
  const client = new DynamoDBClient({
    endpoint: endpoints.dynamodb,
    region: endpoints.region,
    credentials: endpoints.credentials,
  });
  const table = new SessionTable({ client, tableName: endpoints.tableName, ttlSeconds: 7800 });
  try {
    const records = await table.listConnections('npm-start-check');
    return records.map((record) => record.connectionId);
  } finally {
    client.destroy();
  }
}

it('exits with 2 and names the flag when a model timing value is bad (nothing is started)', async () => {
  // Act
  const result = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const usage = spawn(
      process.execPath,
      [
        path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'),
        'cli/local-stack/start.ts',
        '--model-tokens-per-second=0',
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    usage.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    usage.once('exit', (code) => resolve({ code, stderr }));
  });

  // Assess
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(
    'npm start: --model-tokens-per-second must be a number of tokens per second',
  );
  expect(result.stderr).toContain('npm start -- --help');
}, 30_000);
