/**
 * The local Lambda host runs the same bundle that is deployed, in its own worker with its own
 * environment, against the local doubles.
 */
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import { type LocalLambda, startLocalLambda } from '../../cli/local-stack/lambda-host';
import { type SessionTableServer, startSessionTableServer } from '../support/session-table-server';

let server: SessionTableServer;
const lambdas: LocalLambda[] = [];

beforeAll(async () => {
  server = await startSessionTableServer('host-sessions');
});

afterAll(async () => {
  await Promise.all(lambdas.map((lambda) => lambda.stop()));
  await server.stop();
});

async function start(
  environment: Record<string, string>,
  timeoutMs?: number,
): Promise<{ lambda: LocalLambda; logs: string[] }> {
  const logs: string[] = [];
  const lambda = await startLocalLambda({
    asset: 'connection',
    environment: {
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...environment,
    },
    onLog: (line) => logs.push(line),
    ...(timeoutMs ? { timeoutMs } : {}),
  });
  lambdas.push(lambda);
  return { lambda, logs };
}

it('runs the bundled connection Lambda unmodified against the local DynamoDB', async () => {
  // Prepare
  const { lambda, logs } = await start({
    STREAMING_TABLE_NAME: server.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: server.dynamodb.endpoint,
  });

  // Act
  const result = await lambda.invoke({
    requestContext: {
      routeKey: '$connect',
      connectionId: 'hosted=',
      connectedAt: Date.now(),
      identity: { userArn: 'arn:aws:iam::123456789012:user/lambda-host-test' },
    },
    queryStringParameters: { sessionId: 'hosted-session' },
  });

  // Assess
  expect(result).toEqual({ statusCode: 200 });
  const stored = await server.table.listConnections('hosted-session');
  expect(stored.map((record) => record.connectionId)).toEqual(['hosted=']);
  const logged = logs.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(logged).toContainEqual(
    expect.objectContaining({
      service: 'streaming-connection',
      message: 'connected',
      connectionId: 'hosted=',
    }),
  );
});

it('reports a cold-start configuration error on every invocation, like Lambda does', async () => {
  // Prepare
  const { lambda } = await start({});

  // Act / Assess
  await expect(
    lambda.invoke({ requestContext: { routeKey: '$connect', connectionId: 'x=' } }),
  ).rejects.toThrow('STREAMING_TABLE_NAME is required');
});
