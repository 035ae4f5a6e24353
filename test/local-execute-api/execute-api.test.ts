import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import WebSocket from 'ws';
import type { LocalExecuteApi } from '../../cli/local-stack/execute-api';
import {
  closed,
  cognitoIdentity,
  nextMessage,
  openConnected,
  openSocket,
  presignedUrl,
  recordingLambda,
  startTestGateway,
  waitFor,
} from './helpers';

describe('local execute-api: $connect', () => {
  let gateway: LocalExecuteApi;
  let lambda: ReturnType<typeof recordingLambda>;

  beforeAll(async () => {
    ({ gateway, lambda } = await startTestGateway());
  });

  afterAll(async () => {
    await gateway.stop();
  });

  beforeEach(() => {
    lambda.events.length = 0;
  });

  it('upgrades a presigned request and gives the Lambda a CONNECT event of the real shape', async () => {
    // Prepare
    const url = await presignedUrl(gateway, { query: { sessionId: 'session-42', protocol: 'json' } });

    // Act
    const socket = await openConnected(url);

    // Assess
    const event = lambda.events[0];
    expect(lambda.routes()).toEqual(['$connect']);
    expect(gateway.connectionIds()).toEqual([event?.requestContext.connectionId]);
    expect(event).toMatchObject({
      isBase64Encoded: false,
      queryStringParameters: {
        sessionId: 'session-42',
        protocol: 'json',
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
      },
      multiValueQueryStringParameters: { sessionId: ['session-42'] },
      headers: { Host: new URL(gateway.webSocketUrl).host, 'Sec-WebSocket-Version': '13' },
      multiValueHeaders: { Host: [new URL(gateway.webSocketUrl).host] },
      requestContext: {
        routeKey: '$connect',
        eventType: 'CONNECT',
        messageDirection: 'IN',
        stage: 'Prod',
        apiId: gateway.apiId,
        domainName: new URL(gateway.webSocketUrl).host,
        identity: {
          accessKey: 'AKIALOCALSTREAMING01',
          userArn: 'arn:aws:iam::000000000000:user/local-developer',
          caller: 'AKIALOCALSTREAMING01',
          user: 'AKIALOCALSTREAMING01',
          accountId: '000000000000',
          sourceIp: '127.0.0.1',
          cognitoIdentityId: null,
          cognitoIdentityPoolId: null,
          cognitoAuthenticationType: null,
          cognitoAuthenticationProvider: null,
          principalOrgId: null,
          userAgent: null,
        },
      },
    });
    expect(event?.body).toBeUndefined();
    expect(event?.requestContext.requestTime).toMatch(
      /^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/,
    );
    expect(event?.requestContext.requestId).toBe(event?.requestContext.extendedRequestId);
    expect(Math.abs((event?.requestContext.connectedAt ?? 0) - Date.now())).toBeLessThan(5000);
    socket.close();
    await closed(socket);
  });

  it('reports the Cognito identity of temporary credentials in requestContext.identity', async () => {
    const url = await presignedUrl(gateway, {
      credentials: cognitoIdentity,
      query: { sessionId: cognitoIdentity.cognitoIdentityId as string },
    });

    const socket = await openConnected(url);

    expect(lambda.events[0]?.requestContext.identity).toMatchObject({
      cognitoIdentityId: cognitoIdentity.cognitoIdentityId,
      cognitoIdentityPoolId: cognitoIdentity.cognitoIdentityPoolId,
      cognitoAuthenticationType: 'unauthenticated',
      cognitoAuthenticationProvider: 'cognito-identity.amazonaws.com',
      accessKey: cognitoIdentity.accessKeyId,
    });
    socket.close();
    await closed(socket);
  });

  it.each<[string, number, () => Promise<string>]>([
    ['no signature at all', 401, async () => `${gateway.webSocketUrl}?sessionId=session-1`],
    [
      'a tampered query',
      403,
      async () => (await presignedUrl(gateway)).replace('sessionId=session-1', 'sessionId=victim'),
    ],
    [
      'a wrong secret',
      403,
      async () =>
        presignedUrl(gateway, {
          credentials: { accessKeyId: 'AKIALOCALSTREAMING01', secretAccessKey: 'nope' },
        }),
    ],
    ['the wrong region', 403, async () => presignedUrl(gateway, { region: 'eu-west-1' })],
    ['the wrong service', 403, async () => presignedUrl(gateway, { service: 'lex' })],
    [
      'an expired URL',
      403,
      async () => presignedUrl(gateway, { signingDate: new Date(Date.now() - 120_000), expiresIn: 60 }),
    ],
    [
      'a date beyond the clock skew',
      403,
      async () => presignedUrl(gateway, { signingDate: new Date(Date.now() + 600_000) }),
    ],
    [
      'temporary credentials without their session token',
      403,
      async () =>
        presignedUrl(gateway, {
          credentials: {
            accessKeyId: cognitoIdentity.accessKeyId,
            secretAccessKey: cognitoIdentity.secretAccessKey,
          },
        }),
    ],
    ['another stage', 403, async () => (await presignedUrl(gateway)).replace('/Prod?', '/Dev?')],
  ])('refuses %s with %i and never calls the Lambda', async (_name, status, makeUrl) => {
    // Prepare
    const url = await makeUrl();

    // Act
    const result = await openSocket(url);

    // Assess
    expect(result.status).toBe(status);
    expect(lambda.events).toEqual([]);
    expect(gateway.connectionIds()).toEqual([]);
  });

  it('refuses a replay of a URL once it has expired', async () => {
    // Prepare: a URL valid for 1 s, used once while valid
    const url = await presignedUrl(gateway, { expiresIn: 1 });
    const first = await openConnected(url);
    first.close();
    await closed(first);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    lambda.events.length = 0;

    // Act
    const replay = await openSocket(url);

    // Assess
    expect(replay.status).toBe(403);
    expect(lambda.events).toEqual([]);
  });

  it('refuses expired temporary credentials', async () => {
    const expired = { ...cognitoIdentity, accessKeyId: 'ASIAEXPIREDVISITOR01', expiresAt: Date.now() - 1 };
    const { gateway: other, lambda: otherLambda, credentials } = await startTestGateway();
    credentials.register(expired);
    try {
      const result = await openSocket(await presignedUrl(other, { credentials: expired }));

      expect(result.status).toBe(403);
      expect(JSON.parse(result.status === undefined ? '{}' : result.body).message).toMatch(/expired/);
      expect(otherLambda.events).toEqual([]);
    } finally {
      await other.stop();
    }
  });

  it('never crashes on fuzzed query strings (bounded loop)', async () => {
    // Prepare
    const { port } = new URL(gateway.webSocketUrl);
    const valid = new URL(await presignedUrl(gateway)).searchParams;
    const pieces = [
      'X-Amz-Algorithm',
      'X-Amz-Credential',
      'X-Amz-Date',
      'X-Amz-Expires',
      'X-Amz-SignedHeaders',
      'X-Amz-Signature',
      'X-Amz-Security-Token',
      'sessionId',
    ];
    // Seeded, so a failure can be replayed.
    let seed = 0x5eed;
    const nextByte = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed >>> 23;
    };
    const bytes = (count: number) => Buffer.from(Array.from({ length: count }, nextByte));
    const garbage = () => {
      const choice = nextByte();
      if (choice % 5 === 0) return bytes(choice % 40).toString('latin1');
      if (choice % 5 === 1) return `${'%'.repeat(choice % 7)}%zz%E0%A4%A`;
      if (choice % 5 === 2) return 'a'.repeat(choice * 20);
      if (choice % 5 === 3) return `${bytes(4).toString('hex')}/${choice}/us-east-1//aws4_request`;
      return String(-choice);
    };
    const statuses = new Set<number>();

    // Act
    for (let round = 0; round < 150; round += 1) {
      const query: string[] = [];
      for (const key of pieces) {
        const mode = nextByte() % 4;
        if (mode === 0) continue;
        const value = mode === 1 ? (valid.get(key) ?? '') : garbage();
        query.push(
          `${encodeURIComponent(key)}=${mode === 3 ? value.replace(/[^\x21-\x7e]/g, '%') : encodeURIComponent(value)}`,
        );
      }
      if (round % 10 === 0) query.push('&&==&X-Amz-Signature&X-Amz-Signature=1');
      statuses.add(await rawUpgradeStatus(Number(port), `/Prod?${query.join('&')}`));
    }

    // Assess: every attempt refused as AWS would, nothing reached the Lambda, the server still works
    expect([...statuses].filter((status) => status !== 400 && status !== 401 && status !== 403)).toEqual([]);
    expect(statuses.has(403)).toBe(true);
    expect(lambda.events).toEqual([]);
    const socket = await openConnected(await presignedUrl(gateway));
    socket.close();
    await closed(socket);
  });

  it('rejects the upgrade with the status the $connect Lambda returns', async () => {
    const refusing = recordingLambda(() => ({
      statusCode: 403,
      body: 'sessionId does not match your identity',
    }));
    const { gateway: other } = await startTestGateway({
      lambdas: { ConnectionFunction1A2B3C4D: refusing.handler },
    });
    try {
      const result = await openSocket(await presignedUrl(other));

      expect(result).toEqual({ status: 403, body: 'sessionId does not match your identity' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(refusing.routes()).toEqual(['$connect']);
      expect(other.connectionIds()).toEqual([]);
    } finally {
      await other.stop();
    }
  });
});

describe('local execute-api: messages and lifecycle', () => {
  let gateway: LocalExecuteApi;
  let lambda: ReturnType<typeof recordingLambda>;

  beforeAll(async () => {
    ({ gateway, lambda } = await startTestGateway());
  });

  afterAll(async () => {
    await gateway.stop();
  });

  beforeEach(() => {
    lambda.events.length = 0;
  });

  it('routes by $request.body.action, answers with the route response and calls $disconnect on close', async () => {
    // Prepare
    const socket = await openConnected(await presignedUrl(gateway));
    const connectionId = lambda.events[0]?.requestContext.connectionId;

    // Act
    const reply = nextMessage(socket);
    socket.send('{"action":"ask","text":"hi"}');
    const echoed = (await reply).data.toString('utf8');
    socket.send('{"action":"cancel"}');
    await waitFor(() => lambda.routes().includes('cancel'));
    const notJson = nextMessage(socket);
    socket.send('plain words');
    const echoedText = (await notJson).data.toString('utf8');
    socket.close(1000, 'bye');
    await closed(socket);
    await waitFor(() => lambda.routes().includes('$disconnect'));

    // Assess
    expect(echoed).toBe('echo:{"action":"ask","text":"hi"}');
    expect(echoedText).toBe('echo:plain words');
    expect(lambda.routes()).toEqual(['$connect', '$default', 'cancel', '$default', '$disconnect']);
    const message = lambda.events[1];
    expect(message).toMatchObject({
      body: '{"action":"ask","text":"hi"}',
      isBase64Encoded: false,
      requestContext: {
        eventType: 'MESSAGE',
        routeKey: '$default',
        connectionId,
        messageDirection: 'IN',
        stage: 'Prod',
      },
    });
    expect(message?.requestContext.messageId).toEqual(expect.any(String));
    expect(message?.headers).toBeUndefined();
    expect(message?.queryStringParameters).toBeUndefined();
    expect(lambda.events[4]?.requestContext).toMatchObject({
      eventType: 'DISCONNECT',
      connectionId,
      disconnectStatusCode: 1000,
      disconnectReason: 'bye',
    });
    expect(gateway.connectionIds()).toEqual([]);
  });

  it('answers ping (MOCK) with nothing and calls no Lambda', async () => {
    // Prepare
    const socket = await openConnected(await presignedUrl(gateway));
    const received: string[] = [];
    socket.on('message', (data) => received.push(data.toString()));

    // Act: a ping, then a message whose echo proves the ping was handled first
    socket.send('{"action":"ping"}');
    socket.send('{"action":"after-ping"}');
    await waitFor(() => received.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 50));

    // Assess
    expect(received).toEqual(['echo:{"action":"after-ping"}']);
    expect(lambda.routes()).toEqual(['$connect', '$default']);
    socket.close();
    await closed(socket);
  });

  it('sends binary messages to the Lambda base64-encoded', async () => {
    const socket = await openConnected(await presignedUrl(gateway));

    socket.send(Buffer.from([0, 1, 254, 255]));
    await waitFor(() => lambda.routes().includes('$default'));

    expect(lambda.events[1]).toMatchObject({ body: 'AAH+/w==', isBase64Encoded: true });
    socket.close();
    await closed(socket);
  });

  it('tells the client "Internal server error" when a route Lambda throws, and keeps the socket open', async () => {
    const failing = recordingLambda((event) => {
      if (event.requestContext.routeKey === '$default') throw new Error('boom');
      return { statusCode: 200 };
    });
    const { gateway: other } = await startTestGateway({
      lambdas: { ConnectionFunction1A2B3C4D: failing.handler },
    });
    try {
      const socket = await openConnected(await presignedUrl(other));

      const reply = nextMessage(socket);
      socket.send('hello');
      const body = JSON.parse((await reply).data.toString('utf8'));

      expect(body).toMatchObject({
        message: 'Internal server error',
        connectionId: other.connectionIds()[0],
      });
      expect(socket.readyState).toBe(WebSocket.OPEN);
      socket.close();
      await closed(socket);
    } finally {
      await other.stop();
    }
  });

  it('closes a frame over 32 KB with 1009 without routing it', async () => {
    // Prepare
    const socket = await openConnected(await presignedUrl(gateway));
    const closing = closed(socket);

    // Act
    socket.send('x'.repeat(32 * 1024 + 1));
    const { code } = await closing;
    await waitFor(() => lambda.routes().includes('$disconnect'));

    // Assess
    expect(code).toBe(1009);
    expect(lambda.routes()).toEqual(['$connect', '$disconnect']);
    expect(lambda.events[1]?.requestContext.disconnectStatusCode).toBe(1009);
  });

  it('accepts a 96 KB message sent as 32 KB frames, and closes a 160 KB one with 1009', async () => {
    // Prepare
    const socket = await openConnected(await presignedUrl(gateway));
    const frame = 'y'.repeat(32 * 1024);
    const sendFragmented = (frames: number) => {
      for (let index = 0; index < frames; index += 1) socket.send(frame, { fin: index === frames - 1 });
    };

    // Act
    const reply = nextMessage(socket);
    sendFragmented(3);
    const echoed = (await reply).data.toString('utf8');
    const closing = closed(socket);
    sendFragmented(5);
    const { code } = await closing;

    // Assess
    expect(echoed).toBe(`echo:${frame.repeat(3)}`);
    expect(code).toBe(1009);
    expect(lambda.routes().filter((route) => route === '$default')).toHaveLength(1);
  });

  it('closes an idle connection with 1001 "Going away"; messages keep it alive', async () => {
    // Prepare
    const { gateway: other, lambda: otherLambda } = await startTestGateway({ idleTimeoutMs: 300 });
    try {
      const socket = await openConnected(await presignedUrl(other));
      const closing = closed(socket);

      // Act: activity for 600 ms (twice the idle timeout), then silence
      for (let tick = 0; tick < 6; tick += 1) {
        socket.send('{"action":"ping"}');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const openAfterActivity = socket.readyState === WebSocket.OPEN;
      const { code, reason } = await closing;
      await waitFor(() => otherLambda.routes().includes('$disconnect'));

      // Assess
      expect(openAfterActivity).toBe(true);
      expect({ code, reason }).toEqual({ code: 1001, reason: 'Going away' });
      expect(otherLambda.events.at(-1)?.requestContext).toMatchObject({
        disconnectStatusCode: 1001,
        disconnectReason: 'Going away',
      });
    } finally {
      await other.stop();
    }
  });

  it('closes every connection at the maximum duration even when active', async () => {
    const { gateway: other, lambda: otherLambda } = await startTestGateway({ maxConnectionMs: 250 });
    try {
      const socket = await openConnected(await presignedUrl(other));
      const closing = closed(socket);
      const started = Date.now();
      const keepAlive = setInterval(
        () => socket.readyState === WebSocket.OPEN && socket.send('{"action":"ping"}'),
        50,
      );

      const { code } = await closing;
      clearInterval(keepAlive);
      await waitFor(() => otherLambda.routes().includes('$disconnect'));

      expect(code).toBe(1001);
      expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    } finally {
      await other.stop();
    }
  });

  it('closes a connection from the server side (closeConnection) and calls $disconnect', async () => {
    const socket = await openConnected(await presignedUrl(gateway));
    const [connectionId] = gateway.connectionIds();
    const closing = closed(socket);

    const found = gateway.closeConnection(connectionId as string);
    await closing;
    await waitFor(() => lambda.routes().includes('$disconnect'));

    expect(found).toBe(true);
    expect(gateway.connectionIds()).toEqual([]);
    expect(gateway.closeConnection(connectionId as string)).toBe(false);
  });
});

/** Status of a hand-made upgrade request (lets the fuzz test send bytes a URL parser would fix). */
function rawUpgradeStatus(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
      },
    });
    request.on('response', (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on('upgrade', (_response, socket) => {
      socket.destroy();
      resolve(101);
    });
    request.on('error', reject);
    request.end();
  });
}
