/**
 * Session ids and identities never reach a log line (functions/shared/log-safe.ts): a Cognito
 * identity id is enough to get that visitor's credentials, and it is often the session id. One
 * visitor's whole session runs through the real connection routes, publisher and ask route against
 * dynalite, with every line they write captured (their loggers, the EMF metric lines, stdout).
 */
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { mockClient } from 'aws-sdk-client-mock';
import { answerDirectAsk } from '../../functions/ask/answer-direct-ask';
import { RecentCancels, routeConnectionEvent } from '../../functions/connection/connection-routes';
import type { WebSocketEvent, WebSocketIdentity } from '../../functions/connection/websocket-event';
import { readPublisherConfig } from '../../functions/shared/config';
import { BINDING_DEFAULTS } from '../../functions/shared/constants';
import { logRef } from '../../functions/shared/log-safe';
import { createLogger } from '../../functions/shared/logger';
import { publishAnswer } from '../../functions/streaming/pipeline/publisher';
import type { PublisherRuntime } from '../../functions/streaming/runtime';
import type { StreamEvent } from '../../functions/streaming/sources/events';
import { captureStdout } from '../support/capture-stdout';
import { type SessionTableServer, startSessionTableServer } from '../support/session-table-server';

/** The visitor's Cognito identity id, used as its session id (the plugin's default). */
const IDENTITY = 'us-east-1:0b7c6a2e-1d3f-4e5a-9b8c-7d6e5f4a3b2c';
const INTRUDER = 'us-east-1:9f8e7d6c-5b4a-4321-8fed-cba987654321';
/** A server-side caller signing with IAM, on a Lex Web UI style session id. */
const USER_ARN = 'arn:aws:iam::123456789012:user/log-safety-tester';
const IAM_SESSION = 'lex-web-ui-4b1d';
const SECRETS = [IDENTITY, INTRUDER, USER_ARN, IAM_SESSION];

const stdout = captureStdout();
const management = mockClient(ApiGatewayManagementApiClient);
let server: SessionTableServer;
const lines: string[] = [];
const logger = createLogger({ service: 'log-safety', level: 'debug', write: (line) => lines.push(line) });
const routes = () => ({
  table: server.table,
  config: BINDING_DEFAULTS,
  logger: logger.child({ route: 'connection' }),
  now: Date.now,
  recentCancels: new RecentCancels(),
});

beforeAll(async () => {
  server = await startSessionTableServer('log-safety-sessions');
});

afterAll(async () => {
  management.restore();
  await server.stop();
});

function connect(connectionId: string, sessionId: string, identity: WebSocketIdentity): Promise<unknown> {
  return routeConnectionEvent(
    {
      requestContext: { routeKey: '$connect', connectionId, connectedAt: Date.now(), identity },
      queryStringParameters: { sessionId, protocol: 'json' },
    },
    routes(),
  );
}

function message(routeKey: string, connectionId: string, body: string): Promise<unknown> {
  const event: WebSocketEvent = { requestContext: { routeKey, connectionId }, body };
  return routeConnectionEvent(event, routes());
}

/** A model that writes one word every 20 ms until it is cancelled. */
function slowWords(count: number) {
  return async function* words(signal: AbortSignal): AsyncIterable<StreamEvent> {
    for (let index = 0; index < count && !signal.aborted; index += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      yield { type: 'text', text: `word${index} ` };
    }
  };
}

it('logs refs, never the session id, the identity id or the signing principal, through a whole session', async () => {
  // Prepare: the tab the socket posts reach, and a second tab that turns out gone (410)
  management.on(PostToConnectionCommand).resolves({});
  management
    .on(PostToConnectionCommand, { ConnectionId: 'tab-gone=' })
    .rejects(Object.assign(new Error('gone'), { name: 'GoneException', $metadata: { httpStatusCode: 410 } }));
  const managementApi = new ApiGatewayManagementApiClient({ endpoint: 'https://api.example/Prod' });
  const runtime: PublisherRuntime = {
    config: readPublisherConfig({
      STREAMING_TABLE_NAME: server.tableName,
      STREAMING_CALLBACK_URL: 'https://api.example/Prod',
      STREAMING_MODEL_ID: 'test-model',
    }),
    table: server.table,
    managementApi,
    bedrock: () => {
      throw new Error('no model in this test');
    },
    agentRuntime: () => {
      throw new Error('no model in this test');
    },
    logger: logger.child({ route: 'ask' }),
    service: 'ask',
  };

  // Act: connect two tabs, an IAM caller and an intruder; an unknown action; an answer cancelled
  // mid-stream by a flood of cancels; a direct ask; then disconnect everything
  await connect('tab-one=', IDENTITY, { cognitoIdentityId: IDENTITY });
  await connect('tab-gone=', IDENTITY, { cognitoIdentityId: IDENTITY });
  await connect('tab-iam=', IAM_SESSION, { userArn: USER_ARN });
  await connect('tab-intruder=', IDENTITY, { cognitoIdentityId: INTRUDER });
  await message('$default', 'tab-one=', '{"action":"shout"}');
  const answer = publishAnswer({
    sessionId: IDENTITY,
    source: slowWords(200),
    table: server.table,
    managementApi,
    sessionPollMs: 50,
    logger,
    metrics: { write: (line) => lines.push(line) },
  });
  await new Promise((resolve) => setTimeout(resolve, 300));
  for (let index = 0; index < 5; index += 1) await message('cancel', 'tab-one=', '{"action":"cancel"}');
  const result = await answer;
  const asked = await answerDirectAsk(
    { connectionId: 'tab-iam=', body: { action: 'ask', question: 'Anything?' } },
    runtime,
    { makeSource: () => slowWords(3) },
  );
  await answerDirectAsk({ connectionId: 'tab-iam=', body: { action: 'ask', question: '' } }, runtime);
  for (const connectionId of ['tab-one=', 'tab-iam=', 'tab-intruder=']) {
    await routeConnectionEvent({ requestContext: { routeKey: '$disconnect', connectionId } }, routes());
  }
  managementApi.destroy();

  // Assess: every path ran …
  const written = [...lines, ...stdout.jsonLines().map((line) => JSON.stringify(line))];
  const messages = lines.map((line) => (JSON.parse(line) as { message?: string }).message);
  expect(result.cancelled).toBe(true);
  expect(asked.status).toBe('answered');
  for (const expected of [
    'connected',
    'connect refused',
    'unknown action',
    'cancel requested',
    'cancel requested; stopping the answer',
    'connection gone; forgetting it',
    'answer finished',
    'answering a direct question',
    'question refused',
    'disconnected',
  ]) {
    expect(messages).toContain(expected);
  }
  // … and no line carries a secret, in any form JSON gives it
  for (const line of written) {
    for (const secret of SECRETS) expect(line).not.toContain(secret);
    for (const secret of SECRETS) expect(line).not.toContain(JSON.stringify(secret).slice(1, -1));
  }
  // The session's lines can still be followed: the same ref on the connection and publisher side
  const sessionRef = logRef(IDENTITY);
  const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(parsed.filter((line) => line.sessionRef === sessionRef).map((line) => line.message)).toEqual(
    expect.arrayContaining(['connected', 'cancel requested', 'answer finished', 'disconnected']),
  );
  expect(parsed).toContainEqual(
    expect.objectContaining({ message: 'connect refused', sessionRef, identityRef: logRef(INTRUDER) }),
  );
  expect(parsed).toContainEqual(
    expect.objectContaining({
      message: 'connected',
      sessionRef: logRef(IAM_SESSION),
      identityRef: logRef(USER_ARN),
    }),
  );
});
