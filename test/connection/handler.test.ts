/**
 * The connection Lambda's handler module, loaded as Lambda would load it: configuration from the
 * environment at cold start, the DynamoDB endpoint from the standard AWS_ENDPOINT_URL_DYNAMODB.
 */

import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import type { WebSocketEvent, WebSocketResult } from '../../functions/connection/websocket-event';
import { type SessionTableServer, startSessionTableServer } from '../support/session-table-server';

type Handler = (event: WebSocketEvent) => Promise<WebSocketResult>;

const savedEnv = { ...process.env };
let server: SessionTableServer;

function loadHandler(env: Record<string, string>): Handler {
  process.env = { ...savedEnv, ...env };
  let handler: Handler | undefined;
  jest.isolateModules(() => {
    handler = (require('../../functions/connection/handler') as { handler: Handler }).handler;
  });
  if (!handler) throw new Error('handler not loaded');
  return handler;
}

beforeAll(async () => {
  server = await startSessionTableServer('handler-sessions');
});

afterAll(async () => {
  process.env = savedEnv;
  await server.stop();
});

it('fails at cold start with a clear message when the table name is missing', () => {
  // Act / Assess
  expect(() => loadHandler({ STREAMING_TABLE_NAME: '' })).toThrow('STREAMING_TABLE_NAME is required');
});

it('fails at cold start when the identity binding is misspelled', () => {
  // Act / Assess
  expect(() => loadHandler({ STREAMING_TABLE_NAME: 't', STREAMING_IDENTITY_BINDING: 'SOMETIMES' })).toThrow(
    /STREAMING_IDENTITY_BINDING must be one of OWNER, STRICT, OFF, got "SOMETIMES"/,
  );
});

it('connects and disconnects through the standard endpoint variable, unmodified', async () => {
  // Prepare
  const handler = loadHandler({
    STREAMING_TABLE_NAME: server.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: server.dynamodb.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
    LOG_LEVEL: 'error',
  });
  const connectionId = 'handler-conn=';

  // Act
  const connected = await handler({
    requestContext: {
      routeKey: '$connect',
      connectionId,
      connectedAt: Date.now(),
      identity: { userArn: 'arn:aws:iam::123456789012:user/handler-test' },
    },
    queryStringParameters: { sessionId: 'handler-session', protocol: 'json' },
  });
  const listedAfterConnect = await server.table.listConnections('handler-session');
  const disconnected = await handler({ requestContext: { routeKey: '$disconnect', connectionId } });

  // Assess
  expect(connected.statusCode).toBe(200);
  expect(listedAfterConnect.map((record) => record.connectionId)).toEqual([connectionId]);
  expect(disconnected.statusCode).toBe(200);
  expect(await server.table.listConnections('handler-session')).toEqual([]);
});
