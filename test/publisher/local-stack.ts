/**
 * The local AWS doubles the publisher talks to in integration tests: DynamoDB (dynalite, table from
 * the synthesized template), the local execute-api with the real connection routes behind `$connect`
 * / `$disconnect` / `cancel`, and the local Bedrock runtime. All on 127.0.0.1, free ports.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import WebSocket from 'ws';
import { type LocalBedrock, startLocalBedrock } from '../../cli/local-stack/bedrock/server';
import { CredentialStore, DEV_CREDENTIALS, devIdentity } from '../../cli/local-stack/credentials';
import {
  type ConnectionsFault,
  type ConnectionsRequest,
  gatewayConfigFromTemplate,
  type LocalExecuteApi,
  startExecuteApi,
} from '../../cli/local-stack/execute-api';
import { routeConnectionEvent } from '../../functions/connection/connection-routes';
import type { WebSocketEvent } from '../../functions/connection/websocket-event';
import type { Frame } from '../../functions/protocol/frames';
import type { Protocol } from '../../functions/protocol/websocket';
import { BINDING_DEFAULTS } from '../../functions/shared/constants';
import { createLogger, type Logger } from '../../functions/shared/logger';
import { END_OF_TEXT_MARKER } from '../../functions/streaming/pipeline/text-protocol';
import { STREAMING_IDS } from '../../templates/streaming-construct';
import { presignedUrl, REGION } from '../local-execute-api/helpers';
import { type SessionTableServer, startSessionTableServer } from '../support/session-table-server';
import { streamingTemplate } from '../support/templates';

export const quiet = createLogger({ service: 'test', write: () => undefined });

export interface LogLine {
  level: string;
  message: string;
  [key: string]: unknown;
}

/** A logger that keeps its lines, so a test can check what an operator would read. */
export function capturingLogger(): { logger: Logger; lines: LogLine[]; find(message: string): LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger({
    service: 'test',
    level: 'debug',
    write: (line) => lines.push(JSON.parse(line) as LogLine),
  });
  return { logger, lines, find: (message) => lines.filter((line) => line.message === message) };
}

export interface LocalStack {
  sessions: SessionTableServer;
  gateway: LocalExecuteApi;
  bedrock: LocalBedrock;
  managementApi: ApiGatewayManagementApiClient;
  /** Bedrock client with SDK retries off, so the publisher's own retry is what is tested. */
  bedrockClient: BedrockRuntimeClient;
  /** Decides faults of `@connections` calls; tests replace it. */
  fault: (request: ConnectionsRequest) => ConnectionsFault | undefined;
  /** Delay of each `@connections` answer (one for all, or per request); tests replace it. */
  latencyMs: number | ((request: ConnectionsRequest) => number);
  stop(): Promise<void>;
}

export async function startLocalStack(): Promise<LocalStack> {
  const sessions = await startSessionTableServer();
  const deps = {
    table: sessions.table,
    config: BINDING_DEFAULTS,
    logger: quiet,
    now: Date.now,
  };
  const stack = { fault: () => undefined, latencyMs: 0 } as unknown as LocalStack;
  const gateway = await startExecuteApi({
    // The gateway as the synthesized template configures it, with the real connection routes.
    config: gatewayConfigFromTemplate(streamingTemplate()),
    lambdas: {
      [STREAMING_IDS.function]: (event) => routeConnectionEvent(event as unknown as WebSocketEvent, deps),
    },
    credentials: new CredentialStore([devIdentity()]),
    region: REGION,
    logger: quiet,
    connectionsFault: (request) => stack.fault(request),
    connectionsLatencyMs: (request) =>
      typeof stack.latencyMs === 'function' ? stack.latencyMs(request) : stack.latencyMs,
  });
  const bedrock = await startLocalBedrock({ logger: quiet });
  const credentials = { ...DEV_CREDENTIALS };
  stack.sessions = sessions;
  stack.gateway = gateway;
  stack.bedrock = bedrock;
  stack.managementApi = new ApiGatewayManagementApiClient({
    endpoint: gateway.callbackUrl,
    region: REGION,
    credentials,
    maxAttempts: 1,
  });
  stack.bedrockClient = new BedrockRuntimeClient({
    endpoint: bedrock.runtimeEndpoint,
    region: REGION,
    credentials,
    maxAttempts: 1,
  });
  stack.stop = async () => {
    stack.managementApi.destroy();
    stack.bedrockClient.destroy();
    await gateway.stop();
    await bedrock.stop();
    await sessions.stop();
  };
  return stack;
}

/** A browser tab: an open socket registered for a session, recording what it receives. */
export interface Tab {
  socket: WebSocket;
  connectionId: string;
  messages: string[];
  frames(): Frame[];
  text(): string;
  send(body: unknown): void;
  close(): Promise<void>;
}

export async function openTab(
  stack: LocalStack,
  sessionId: string,
  protocol: Protocol = 'json',
): Promise<Tab> {
  const before = new Set(stack.gateway.connectionIds());
  const query: Record<string, string> = { sessionId };
  if (protocol === 'json') query.protocol = 'json';
  const url = await presignedUrl(stack.gateway, { query });
  const socket = new WebSocket(url);
  const messages: string[] = [];
  socket.on('message', (data: WebSocket.RawData) => messages.push(data.toString()));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`upgrade refused: ${response.statusCode}`)),
    );
  });
  const connectionId = stack.gateway.connectionIds().find((id) => !before.has(id));
  if (!connectionId) throw new Error('no new connection id');
  return {
    socket,
    connectionId,
    messages,
    frames: () => messages.map((message) => JSON.parse(message) as Frame),
    text: () =>
      protocol === 'text'
        ? // what a text reader shows: the messages joined, without the end-of-text marker
          (messages.at(-1) === END_OF_TEXT_MARKER ? messages.slice(0, -1) : messages).join('')
        : messages
            .map((message) => JSON.parse(message) as Frame)
            .map((frame) => (frame.type === 'delta' ? frame.text : ''))
            .join(''),
    send: (body) => socket.send(JSON.stringify(body)),
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  };
}

export async function waitUntil(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Frames of a json tab, checked for one turn with gap-free seq from 0. */
export function expectGapFree(frames: Frame[]): void {
  const seqs = frames.map((frame) => frame.seq);
  if (seqs.some((seq, index) => seq !== index)) throw new Error(`seq not gap-free: ${seqs.join(',')}`);
  if (new Set(frames.map((frame) => frame.turnId)).size > 1) throw new Error('frames of more than one turn');
}

/**
 * The environment a Lambda of ours has on the local stack: endpoints through AWS_ENDPOINT_URL_*,
 * the dev credentials, a model id. Streaming settings are the caller's (they differ per test).
 */
export function localLambdaEnvironment(stack: LocalStack, modelId: string): Record<string, string> {
  return {
    STREAMING_MODEL_ID: modelId,
    AWS_ENDPOINT_URL_DYNAMODB: stack.sessions.dynamodb.endpoint,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: stack.bedrock.runtimeEndpoint,
    AWS_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    LOG_LEVEL: 'error',
  };
}
