import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  ForbiddenException,
  GetConnectionCommand,
  GoneException,
  LimitExceededException,
  PayloadTooLargeException,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import type WebSocket from 'ws';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import type { LocalExecuteApi } from '../../cli/local-stack/execute-api';
import {
  closed,
  cognitoIdentity,
  nextMessage,
  openConnected,
  presignedUrl,
  REGION,
  type recordingLambda,
  startTestGateway,
  waitFor,
} from './helpers';

function managementClient(
  gateway: LocalExecuteApi,
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken?: string } = {
    ...DEV_CREDENTIALS,
  },
) {
  return new ApiGatewayManagementApiClient({
    endpoint: gateway.callbackUrl,
    region: REGION,
    credentials,
    maxAttempts: 1,
  });
}

describe('local execute-api: @connections with the real ApiGatewayManagementApiClient', () => {
  let gateway: LocalExecuteApi;
  let lambda: ReturnType<typeof recordingLambda>;
  let client: ApiGatewayManagementApiClient;
  let socket: WebSocket;
  let connectionId: string;

  beforeAll(async () => {
    ({ gateway, lambda } = await startTestGateway());
    client = managementClient(gateway);
  });

  afterAll(async () => {
    client.destroy();
    await gateway.stop();
  });

  beforeEach(async () => {
    socket = await openConnected(await presignedUrl(gateway));
    connectionId = gateway.connectionIds().at(-1) as string;
  });

  afterEach(async () => {
    if (socket.readyState === socket.OPEN) {
      socket.close();
      await closed(socket);
    }
  });

  it('PostToConnection delivers text as a text message', async () => {
    // Prepare
    const received = nextMessage(socket);

    // Act
    await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'Hello, wörld' }));

    // Assess
    const { data, isBinary } = await received;
    expect(data.toString('utf8')).toBe('Hello, wörld');
    expect(isBinary).toBe(false);
    expect(gateway.stats().posts).toBeGreaterThan(0);
  });

  it('PostToConnection delivers bytes that are not UTF-8 as a binary message', async () => {
    const received = nextMessage(socket);

    await client.send(
      new PostToConnectionCommand({ ConnectionId: connectionId, Data: new Uint8Array([0xff, 0xfe, 0x00]) }),
    );

    expect(await received).toEqual({ data: Buffer.from([0xff, 0xfe, 0x00]), isBinary: true });
  });

  it('delivers a 100 KB post whole', async () => {
    const text = 'z'.repeat(100 * 1024);
    const received = nextMessage(socket);

    await client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: text }));

    expect((await received).data.toString('utf8')).toBe(text);
  });

  it('delivers every one of 20 concurrent posts', async () => {
    const received: string[] = [];
    socket.on('message', (data) => received.push(data.toString()));

    await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: `chunk-${index}` })),
      ),
    );
    await waitFor(() => received.length === 20);

    expect(new Set(received).size).toBe(20);
  });

  it('GetConnection reports ConnectedAt, LastActiveAt and the client identity', async () => {
    const before = Date.now();
    socket.send('{"action":"ping"}');
    await new Promise((resolve) => setTimeout(resolve, 20));

    const info = await client.send(new GetConnectionCommand({ ConnectionId: connectionId }));

    expect(info.ConnectedAt).toBeInstanceOf(Date);
    expect(info.LastActiveAt?.getTime()).toBeGreaterThanOrEqual(before);
    expect(info.LastActiveAt?.getTime()).toBeGreaterThanOrEqual(info.ConnectedAt?.getTime() ?? Infinity);
    expect(info.Identity).toEqual({ SourceIp: '127.0.0.1', UserAgent: '' });
  });

  it('DeleteConnection closes the socket, calls $disconnect, and later posts get GoneException', async () => {
    // Prepare
    const closing = closed(socket);

    // Act
    await client.send(new DeleteConnectionCommand({ ConnectionId: connectionId }));
    await closing;
    const post = client.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'late' }));

    // Assess
    await expect(post).rejects.toBeInstanceOf(GoneException);
    await waitFor(() =>
      lambda.events.some(
        (event) =>
          event.requestContext.routeKey === '$disconnect' &&
          event.requestContext.connectionId === connectionId,
      ),
    );
    expect(gateway.connectionIds()).not.toContain(connectionId);
  });

  it.each([
    ['PostToConnection', () => new PostToConnectionCommand({ ConnectionId: 'NoSuchConnId=', Data: 'x' })],
    ['GetConnection', () => new GetConnectionCommand({ ConnectionId: 'NoSuchConnId=' })],
    ['DeleteConnection', () => new DeleteConnectionCommand({ ConnectionId: 'NoSuchConnId=' })],
  ])('%s on an unknown connection raises GoneException (410)', async (_name, command) => {
    const error = await client.send(command() as PostToConnectionCommand).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(GoneException);
    expect((error as GoneException).$metadata.httpStatusCode).toBe(410);
  });

  it('refuses a post over 128 KB with PayloadTooLargeException and delivers nothing', async () => {
    const received: unknown[] = [];
    socket.on('message', (data) => received.push(data));

    const error = await client
      .send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'a'.repeat(128 * 1024 + 1) }))
      .catch((caught: unknown) => caught);
    await new Promise((resolve) => setTimeout(resolve, 30));

    expect(error).toBeInstanceOf(PayloadTooLargeException);
    expect((error as PayloadTooLargeException).message).toBe('Message too long');
    expect(received).toEqual([]);
  });

  it('refuses a request signed with a wrong secret with ForbiddenException (403)', async () => {
    const intruder = managementClient(gateway, {
      accessKeyId: DEV_CREDENTIALS.accessKeyId,
      secretAccessKey: 'guessed',
    });

    const error = await intruder
      .send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'spoofed' }))
      .catch((caught: unknown) => caught);
    intruder.destroy();

    expect(error).toBeInstanceOf(ForbiddenException);
    expect((error as ForbiddenException).$metadata.httpStatusCode).toBe(403);
  });

  it('accepts temporary credentials with their session token', async () => {
    const visitor = managementClient(gateway, cognitoIdentity);
    const received = nextMessage(socket);

    await visitor.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: 'from a role' }));
    visitor.destroy();

    expect((await received).data.toString()).toBe('from a role');
  });
});

describe('local execute-api: @connections fault and latency injection', () => {
  it('fails posts with LimitExceededException (429) at the configured rate', async () => {
    // Prepare
    const { gateway } = await startTestGateway({ connectionsFailureRate: 1 });
    const client = managementClient(gateway);
    const socket = await openConnected(await presignedUrl(gateway));
    try {
      // Act
      const error = await client
        .send(new PostToConnectionCommand({ ConnectionId: gateway.connectionIds()[0], Data: 'x' }))
        .catch((caught: unknown) => caught);

      // Assess
      expect(error).toBeInstanceOf(LimitExceededException);
      expect(gateway.stats()).toMatchObject({ injectedFaults: 1, posts: 0 });
    } finally {
      client.destroy();
      socket.close();
      await gateway.stop();
    }
  });

  it('lets a hook fail chosen calls (a burst of 429s) and delays answers by the configured latency', async () => {
    let calls = 0;
    const { gateway } = await startTestGateway({
      connectionsLatencyMs: 40,
      connectionsFault: () => {
        calls += 1;
        return calls <= 2
          ? { statusCode: 429, errorType: 'LimitExceededException', message: 'Rate exceeded' }
          : undefined;
      },
    });
    const client = managementClient(gateway);
    const socket = await openConnected(await presignedUrl(gateway));
    const connectionId = gateway.connectionIds()[0];
    try {
      const outcomes: string[] = [];
      for (let attempt = 0; attempt < 3; attempt += 1) {
        const started = Date.now();
        const outcome = await client
          .send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: `try-${attempt}` }))
          .then(
            () => 'ok',
            (error: Error) => error.name,
          );
        outcomes.push(`${outcome}:${Date.now() - started >= 35}`);
      }

      expect(outcomes).toEqual(['LimitExceededException:true', 'LimitExceededException:true', 'ok:true']);
    } finally {
      client.destroy();
      socket.close();
      await gateway.stop();
    }
  });
});
