import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import WebSocket from 'ws';
import {
  CredentialStore,
  DEV_CREDENTIALS,
  devIdentity,
  type LocalIdentity,
} from '../../cli/local-stack/credentials';
import {
  type ExecuteApiOptions,
  type GatewayConfig,
  gatewayConfigFromTemplate,
  type LocalExecuteApi,
  startExecuteApi,
  type WebSocketLambda,
  type WebSocketProxyEvent,
} from '../../cli/local-stack/execute-api';
import { createLogger } from '../../functions/shared/logger';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

export const REGION = 'us-east-1';
export const LAMBDA_ID = 'ConnectionFunction1A2B3C4D';

export function fixtureTemplate(): Parameters<typeof gatewayConfigFromTemplate>[0] {
  return JSON.parse(readFileSync(path.join(__dirname, 'fixtures', 'streaming-template.json'), 'utf8'));
}

export function fixtureConfig(): GatewayConfig {
  return gatewayConfigFromTemplate(fixtureTemplate());
}

export const cognitoIdentity: LocalIdentity = {
  accessKeyId: 'ASIACOGNITOVISITOR01',
  secretAccessKey: 'visitor-secret',
  sessionToken: 'visitor-session-token',
  cognitoIdentityId: 'us-east-1:0f0e0d0c-0b0a-0908-0706-050403020100',
  cognitoIdentityPoolId: 'us-east-1:pool-0000',
  cognitoAuthenticationType: 'unauthenticated',
  cognitoAuthenticationProvider: 'cognito-identity.amazonaws.com',
  userArn: 'arn:aws:sts::000000000000:assumed-role/UnauthRole/CognitoIdentityCredentials',
  caller: 'AROAUNAUTHROLE:CognitoIdentityCredentials',
  accountId: '000000000000',
};

/** A Lambda that records its events and answers like the connection Lambda would. */
export function recordingLambda(answer?: (event: WebSocketProxyEvent) => unknown) {
  const events: WebSocketProxyEvent[] = [];
  const handler: WebSocketLambda = async (event) => {
    events.push(event);
    if (answer) return answer(event);
    if (event.requestContext.routeKey === '$default') return { statusCode: 200, body: `echo:${event.body}` };
    return { statusCode: 200 };
  };
  const routes = () => events.map((event) => event.requestContext.routeKey);
  return { events, handler, routes };
}

export async function startTestGateway(overrides: Partial<ExecuteApiOptions> = {}) {
  const lambda = recordingLambda();
  const credentials = new CredentialStore([devIdentity(), cognitoIdentity]);
  const gateway = await startExecuteApi({
    config: fixtureConfig(),
    lambdas: { [LAMBDA_ID]: lambda.handler },
    credentials,
    region: REGION,
    logger: createLogger({ service: 'test', write: () => undefined }),
    ...overrides,
  });
  return { gateway, lambda, credentials };
}

export interface PresignOptions {
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  region?: string;
  service?: string;
  signingDate?: Date;
  expiresIn?: number;
  query?: Record<string, string>;
}

/** A presigned ws:// URL, as the browser plugin makes it. */
export async function presignedUrl(gateway: LocalExecuteApi, options: PresignOptions = {}): Promise<string> {
  const url = new URL(gateway.webSocketUrl);
  const signer = new SignatureV4({
    credentials: options.credentials ?? { ...DEV_CREDENTIALS },
    region: options.region ?? REGION,
    service: options.service ?? 'execute-api',
    sha256: Sha256,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'ws:',
      hostname: url.hostname,
      port: Number(url.port),
      path: url.pathname,
      headers: { host: url.host },
      query: options.query ?? { sessionId: 'session-1' },
    },
    { signingDate: options.signingDate, expiresIn: options.expiresIn ?? 60 },
  );
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(signed.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) if (item !== null) query.append(key, item);
  }
  return `${gateway.webSocketUrl}?${query.toString()}`;
}

export type OpenResult =
  | { socket: WebSocket; status?: undefined }
  | { socket?: undefined; status: number; body: string };

/** Opens a socket; resolves with it, or with the HTTP status of a refused upgrade. */
export function openSocket(url: string, options?: WebSocket.ClientOptions): Promise<OpenResult> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, options);
    socket.once('open', () => resolve({ socket }));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      response.on('end', () => {
        resolve({ status: response.statusCode ?? 0, body });
        socket.terminate();
      });
    });
    socket.once('error', (error) => reject(error));
  });
}

export async function openConnected(url: string): Promise<WebSocket> {
  const result = await openSocket(url);
  if (!result.socket) throw new Error(`upgrade refused with ${result.status}: ${result.body}`);
  return result.socket;
}

export function nextMessage(socket: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve, reject) => {
    socket.once('message', (data: WebSocket.RawData, isBinary: boolean) =>
      resolve({ data: Buffer.isBuffer(data) ? data : Buffer.from(data as ArrayBuffer), isBinary }),
    );
    socket.once('close', () => reject(new Error('socket closed before a message arrived')));
  });
}

export function closed(socket: WebSocket): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    if (socket.readyState === WebSocket.CLOSED) resolve({ code: 1006, reason: '' });
    socket.once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString('utf8') }),
    );
  });
}

export async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
