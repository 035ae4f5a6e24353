/**
 * The connection Lambda against a real DynamoDB-compatible server (dynalite), with the session
 * table created from the synthesized template.
 */
import type { ConnectionRouteDeps } from '../../functions/connection/connection-routes';
import { RecentCancels, routeConnectionEvent } from '../../functions/connection/connection-routes';
import type { WebSocketEvent } from '../../functions/connection/websocket-event';
import {
  BINDING_DEFAULTS,
  DEFAULT_SESSION_TTL_SECONDS,
  type IdentityBinding,
} from '../../functions/shared/constants';
import { logRef } from '../../functions/shared/log-safe';
import { createLogger } from '../../functions/shared/logger';
import { CANCEL_MIN_INTERVAL_MS, cancelRequestedSince } from '../../functions/shared/session-table';
import { type SessionTableServer, startSessionTableServer } from '../support/session-table-server';

const IDENTITY = 'us-east-1:11111111-2222-3333-4444-555555555555';
const OTHER_IDENTITY = 'us-east-1:99999999-8888-7777-6666-555555555555';
/**
 * The signing principal of callers without Cognito credentials: an IAM user per session id, so the
 * per-identity cap of the OWNER binding (tested in identity-binding.test.ts) stays out of the way.
 */
const iamUser = (sessionId: string | undefined) =>
  `arn:aws:iam::123456789012:user/tester-${sessionId ?? 'none'}`;

let server: SessionTableServer;
let clock = Date.UTC(2026, 10, 21, 12, 0, 0);
let logLines: Record<string, unknown>[] = [];
let counter = 0;

function deps(identityBinding: IdentityBinding = 'OWNER'): ConnectionRouteDeps {
  return {
    table: server.table,
    config: { ...BINDING_DEFAULTS, identityBinding },
    logger: createLogger({
      service: 'test',
      level: 'debug',
      write: (line) => logLines.push(JSON.parse(line)),
    }),
    now: () => clock,
  };
}

function newConnectionId(): string {
  counter += 1;
  return `conn${counter}AbC=`;
}

function connectEvent(
  query: Record<string, string> | null,
  options: { connectionId?: string; cognitoIdentityId?: string; multi?: Record<string, string[]> } = {},
): WebSocketEvent {
  return {
    requestContext: {
      routeKey: '$connect',
      eventType: 'CONNECT',
      connectionId: options.connectionId ?? newConnectionId(),
      connectedAt: clock,
      identity: {
        cognitoIdentityId: options.cognitoIdentityId ?? null,
        userArn: options.cognitoIdentityId ? null : iamUser(query?.sessionId),
        sourceIp: '127.0.0.1',
      },
    },
    queryStringParameters: query,
    multiValueQueryStringParameters:
      options.multi ?? (query ? Object.fromEntries(Object.entries(query).map(([k, v]) => [k, [v]])) : null),
  };
}

function messageEvent(routeKey: string, connectionId: string, body: string): WebSocketEvent {
  return { requestContext: { routeKey, eventType: 'MESSAGE', connectionId }, body };
}

function disconnectEvent(connectionId: string): WebSocketEvent {
  return { requestContext: { routeKey: '$disconnect', eventType: 'DISCONNECT', connectionId } };
}

async function connect(sessionId: string, extra: Record<string, string> = {}, cognitoIdentityId?: string) {
  const connectionId = newConnectionId();
  const options = cognitoIdentityId ? { connectionId, cognitoIdentityId } : { connectionId };
  const result = await routeConnectionEvent(connectEvent({ sessionId, ...extra }, options), deps());
  return { connectionId, result };
}

beforeAll(async () => {
  server = await startSessionTableServer();
});

afterAll(async () => {
  await server.stop();
});

beforeEach(() => {
  logLines = [];
  clock += 60_000;
});

describe('$connect', () => {
  it('stores the connection with the text protocol by default and a ttl beyond the 2-hour socket limit', async () => {
    // Act
    const { connectionId, result } = await connect('session-plain');

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    const [stored] = await server.table.listConnections('session-plain', clock);
    expect(stored).toMatchObject({
      sessionId: 'session-plain',
      connectionId,
      protocol: 'text',
      connectedAt: clock,
    });
    expect(stored?.ttl).toBe(Math.floor(clock / 1000) + DEFAULT_SESSION_TTL_SECONDS);
    expect(DEFAULT_SESSION_TTL_SECONDS).toBeGreaterThan(2 * 60 * 60);
  });

  it('stores the time the Lambda ran as connect time when API Gateway gives none', async () => {
    // Prepare
    const event = connectEvent({ sessionId: 'session-no-connected-at' });
    delete event.requestContext.connectedAt;
    clock += 123;

    // Act
    await routeConnectionEvent(event, deps());

    // Assess
    const [stored] = await server.table.listConnections('session-no-connected-at', clock);
    expect(stored?.connectedAt).toBe(clock);
  });

  it('keeps every tab of a session so all of them receive the stream', async () => {
    // Act
    const first = await connect('session-two-tabs', { protocol: 'json' });
    const second = await connect('session-two-tabs');

    // Assess
    const stored = await server.table.listConnections('session-two-tabs', clock);
    expect(stored.map((record) => [record.connectionId, record.protocol])).toEqual([
      [first.connectionId, 'json'],
      [second.connectionId, 'text'],
    ]);
  });

  it('accepts a Cognito caller whose identity id is the session id, and makes it the owner', async () => {
    // Act
    const { result } = await connect(IDENTITY, {}, IDENTITY);

    // Assess
    expect(result.statusCode).toBe(200);
    expect((await server.table.getSession(IDENTITY))?.owner).toBe(IDENTITY);
  });

  it("refuses with 403 a Cognito caller asking for someone else's session, and stores nothing", async () => {
    // Act
    const { result } = await connect(OTHER_IDENTITY, {}, IDENTITY);

    // Assess
    expect(result.statusCode).toBe(403);
    expect(result.body).toMatch(/Cognito identity id/);
    expect(await server.table.listConnections(OTHER_IDENTITY, clock)).toEqual([]);
    expect(logLines).toContainEqual(expect.objectContaining({ level: 'warn', message: 'connect refused' }));
  });

  it('refuses callers without a Cognito identity when the binding is STRICT', async () => {
    // Act
    const result = await routeConnectionEvent(
      connectEvent({ sessionId: 'session-required' }),
      deps('STRICT'),
    );

    // Assess
    expect(result.statusCode).toBe(403);
    expect(await server.table.listConnections('session-required', clock)).toEqual([]);
  });

  const badInputs: [string, Record<string, string> | null, RegExp][] = [
    ['no query string at all', null, /"sessionId" is required/],
    ['no sessionId', { protocol: 'json' }, /"sessionId" is required/],
    ['an empty sessionId', { sessionId: '' }, /"sessionId" is required/],
    ['a one-character sessionId', { sessionId: 'a' }, /2-100 characters/],
    ['a 101-character sessionId', { sessionId: 'a'.repeat(101) }, /2-100 characters/],
    ['a sessionId with a slash', { sessionId: 'abc/def' }, /2-100 characters/],
    ['a sessionId with a space', { sessionId: 'abc def' }, /2-100 characters/],
    ['a sessionId with markup', { sessionId: '<script>alert(1)</script>' }, /2-100 characters/],
    ['a sessionId with non-ASCII letters', { sessionId: 'sessión-ü' }, /2-100 characters/],
    [
      'an unknown protocol',
      { sessionId: 'session-ok', protocol: 'xml' },
      /"protocol" must be one of text, json/,
    ],
    ['an upper-case protocol', { sessionId: 'session-ok', protocol: 'JSON' }, /"protocol" must be one of/],
  ];

  it.each(badInputs)(
    'answers 400 with the reason for %s, and stores nothing',
    async (_name, query, reason) => {
      // Prepare
      const connectionId = newConnectionId();

      // Act
      const result = await routeConnectionEvent(connectEvent(query, { connectionId }), deps());

      // Assess
      expect(result.statusCode).toBe(400);
      expect(result.body).toMatch(reason);
      expect(await server.table.findConnection(connectionId, clock)).toBeUndefined();
    },
  );

  it('answers 400 for a sessionId given twice (ambiguous), and stores nothing', async () => {
    // Act
    const result = await routeConnectionEvent(
      connectEvent({ sessionId: 'session-b' }, { multi: { sessionId: ['session-a', 'session-b'] } }),
      deps(),
    );

    // Assess
    expect(result).toEqual({ statusCode: 400, body: expect.stringMatching(/given once, got 2 values/) });
    expect(await server.table.listConnections('session-b', clock)).toEqual([]);
  });

  it('accepts the edge lengths and every allowed character', async () => {
    // Act
    const shortest = await connect('ab');
    const longest = await connect('x'.repeat(100));
    const mixed = await connect('Az09._:-session');

    // Assess
    expect([shortest.result, longest.result, mixed.result]).toEqual([
      { statusCode: 200 },
      { statusCode: 200 },
      { statusCode: 200 },
    ]);
  });
});

describe('$disconnect', () => {
  it('forgets only the closed tab', async () => {
    // Prepare
    const first = await connect('session-disconnect');
    const second = await connect('session-disconnect');

    // Act
    const result = await routeConnectionEvent(disconnectEvent(first.connectionId), deps());

    // Assess
    expect(result.statusCode).toBe(200);
    const left = await server.table.listConnections('session-disconnect', clock);
    expect(left.map((record) => record.connectionId)).toEqual([second.connectionId]);
  });

  it('succeeds for a connection it never stored (refused at connect, or already gone)', async () => {
    // Act
    const result = await routeConnectionEvent(disconnectEvent('never-seen='), deps());

    // Assess
    expect(result.statusCode).toBe(200);
  });
});

describe('$default', () => {
  it('answers a json-protocol socket with an error frame naming what it got and what it accepts', async () => {
    // Prepare
    const { connectionId } = await connect('session-default-json', { protocol: 'json' });

    // Act
    const result = await routeConnectionEvent(
      messageEvent('$default', connectionId, '{"action":"dance"}'),
      deps(),
    );

    // Assess
    expect(result.statusCode).toBe(200);
    const frame = JSON.parse(result.body ?? '{}');
    expect(frame).toEqual({
      v: 1,
      type: 'error',
      turnId: '',
      seq: 0,
      code: 'UnknownAction',
      message: expect.stringContaining('action "dance"'),
      retryable: false,
    });
  });

  it('says when a message is not JSON at all', async () => {
    // Prepare
    const { connectionId } = await connect('session-default-garbage', { protocol: 'json' });

    // Act
    const result = await routeConnectionEvent(messageEvent('$default', connectionId, 'hello?'), deps());

    // Assess
    expect(JSON.parse(result.body ?? '{}').message).toMatch(/not JSON/);
  });

  it('tells a json-protocol socket exactly what it sent and which actions exist', async () => {
    // Prepare
    const { connectionId } = await connect('session-default-exact', { protocol: 'json' });
    const send = (body: string | null) =>
      routeConnectionEvent({ ...messageEvent('$default', connectionId, ''), body }, deps());

    // Act
    const answers = await Promise.all(
      [null, '', 'null', '42', '"action"', '{"no":"action"}', `{"action":"${'x'.repeat(50)}"}`].map(send),
    );

    // Assess
    const messages = answers.map((answer) => JSON.parse(answer.body ?? '{}').message as string);
    const accepts =
      '; send {"action":"ping"} to keep the socket alive or {"action":"cancel"} to stop the answer';
    expect(messages).toEqual([
      `received an empty message${accepts}`,
      `received an empty message${accepts}`,
      `received a message without "action"${accepts}`,
      `received a message without "action"${accepts}`,
      `received a message without "action"${accepts}`,
      `received a message without "action"${accepts}`,
      `received action "${'x'.repeat(40)}"${accepts}`,
    ]);
    expect(logLines.filter((line) => line.message === 'unknown action').map((line) => line.received)).toEqual(
      messages.map((message) => message.slice('received '.length, -accepts.length)),
    );
  });

  it('sends nothing to a socket it does not know', async () => {
    // Act
    const result = await routeConnectionEvent(
      messageEvent('$default', 'never-seen=', '{"action":"x"}'),
      deps(),
    );

    // Assess
    expect(result).toEqual({ statusCode: 200 });
  });

  it('sends nothing to a text-protocol socket, where every message would show as answer text', async () => {
    // Prepare
    const { connectionId } = await connect('session-default-text');

    // Act
    const result = await routeConnectionEvent(
      messageEvent('$default', connectionId, '{"action":"dance"}'),
      deps(),
    );

    // Assess
    expect(result).toEqual({ statusCode: 200 });
    expect(await server.table.findConnection(connectionId, clock)).toBeDefined();
  });
});

describe('cancel', () => {
  it('records a cancel request that a publisher of that session can see', async () => {
    // Prepare
    const turnStartedAt = clock;
    const { connectionId } = await connect('session-cancel', { protocol: 'json' });
    await connect('session-cancel');
    clock += 250;

    // Act
    const result = await routeConnectionEvent(
      messageEvent('cancel', connectionId, '{"action":"cancel"}'),
      deps(),
    );

    // Assess
    expect(result.statusCode).toBe(200);
    const records = await server.table.listConnections('session-cancel', clock);
    expect(cancelRequestedSince(records, turnStartedAt)).toBe(clock);
    expect(cancelRequestedSince(records, clock + 1)).toBeUndefined();
  });

  it('does not resurrect a connection that is already gone', async () => {
    // Prepare
    const { connectionId } = await connect('session-cancel-gone');
    await routeConnectionEvent(disconnectEvent(connectionId), deps());

    // Act
    const result = await routeConnectionEvent(
      messageEvent('cancel', connectionId, '{"action":"cancel"}'),
      deps(),
    );

    // Assess
    expect(result.statusCode).toBe(200);
    expect(await server.table.listConnections('session-cancel-gone', clock)).toEqual([]);
  });

  it('writes at most one cancel per CANCEL_MIN_INTERVAL_MS per session: a flood from every tab changes the item once', async () => {
    // Prepare: two tabs; each cancel is a separate Lambda call (no per-container memory)
    const turnStartedAt = clock;
    const first = await connect('session-cancel-flood', { protocol: 'json' });
    const second = await connect('session-cancel-flood');
    clock += 100;
    const firstCancelAt = clock;
    const before = await server.table.getSession('session-cancel-flood');

    // Act: 40 cancels within one interval, alternating tabs
    const step = Math.floor(CANCEL_MIN_INTERVAL_MS / 40);
    const results = [];
    for (let index = 0; index < 40; index += 1) {
      const { connectionId } = index % 2 === 0 ? first : second;
      results.push(
        await routeConnectionEvent(messageEvent('cancel', connectionId, '{"action":"cancel"}'), deps()),
      );
      clock += step;
    }
    const afterFlood = await server.table.getSession('session-cancel-flood');

    // Assess: the first cancel is what a publisher sees; the others wrote nothing
    expect(results.every((result) => result.statusCode === 200)).toBe(true);
    expect(clock - firstCancelAt).toBeLessThanOrEqual(CANCEL_MIN_INTERVAL_MS);
    expect(afterFlood?.cancelRequestedAt).toBe(firstCancelAt);
    expect(afterFlood?.version).toBe((before?.version ?? 0) + 1);
    expect(
      cancelRequestedSince(await server.table.listConnections('session-cancel-flood', clock), turnStartedAt),
    ).toBe(firstCancelAt);
    expect(
      logLines.filter((line) => line.message === 'cancel requested' && line.level === 'info'),
    ).toHaveLength(1);
  });

  it('records a cancel again once CANCEL_MIN_INTERVAL_MS has passed since the last one', async () => {
    // Prepare
    const { connectionId } = await connect('session-cancel-again', { protocol: 'json' });
    await routeConnectionEvent(messageEvent('cancel', connectionId, '{"action":"cancel"}'), deps());
    const firstAt = clock;

    // Act
    clock = firstAt + CANCEL_MIN_INTERVAL_MS - 1;
    await routeConnectionEvent(messageEvent('cancel', connectionId, '{"action":"cancel"}'), deps());
    const tooSoon = (await server.table.getSession('session-cancel-again'))?.cancelRequestedAt;
    clock = firstAt + CANCEL_MIN_INTERVAL_MS;
    await routeConnectionEvent(messageEvent('cancel', connectionId, '{"action":"cancel"}'), deps());
    const again = (await server.table.getSession('session-cancel-again'))?.cancelRequestedAt;

    // Assess
    expect(tooSoon).toBe(firstAt);
    expect(again).toBe(firstAt + CANCEL_MIN_INTERVAL_MS);
  });

  it('logs a recorded cancel at info, a refused or skipped one only at debug', async () => {
    // Prepare
    const { connectionId } = await connect('session-cancel-logs', { protocol: 'json' });
    const recentCancels = new RecentCancels();
    const cancel = () =>
      routeConnectionEvent(messageEvent('cancel', connectionId, '{"action":"cancel"}'), {
        ...deps(),
        recentCancels,
      });

    // Act: recorded; skipped by this container; refused by the table (another container's memory)
    await cancel();
    await cancel();
    await routeConnectionEvent(messageEvent('cancel', connectionId, '{"action":"cancel"}'), deps());

    // Assess
    expect(
      logLines
        .filter((line) => String(line.message).startsWith('cancel'))
        .map((line) => [line.level, line.message, line.recorded]),
    ).toEqual([
      ['info', 'cancel requested', true],
      ['debug', 'cancel ignored: this socket cancelled less than a second ago', undefined],
      ['debug', 'cancel requested', false],
    ]);
    expect(logLines.find((line) => line.recorded === true)).toMatchObject({
      sessionRef: logRef('session-cancel-logs'),
    });
  });

  it("skips a socket's repeats within the interval in the same container without reading or writing the table", async () => {
    // Prepare
    const { connectionId } = await connect('session-cancel-memo', { protocol: 'json' });
    const other = await connect('session-cancel-memo');
    const recentCancels = new RecentCancels();
    const finds = jest.spyOn(server.table, 'findConnection');
    const writes = jest.spyOn(server.table, 'requestCancel');
    const cancel = (id: string) =>
      routeConnectionEvent(messageEvent('cancel', id, '{"action":"cancel"}'), { ...deps(), recentCancels });

    // Act: 30 cancels from one socket within one interval, one from another socket, one an interval later
    for (let index = 0; index < 30; index += 1) {
      await cancel(connectionId);
      clock += Math.floor(CANCEL_MIN_INTERVAL_MS / 30);
    }
    await cancel(other.connectionId);
    clock += CANCEL_MIN_INTERVAL_MS;
    await cancel(connectionId);

    // Assess
    try {
      expect(finds).toHaveBeenCalledTimes(3);
      expect(writes).toHaveBeenCalledTimes(3);
    } finally {
      finds.mockRestore();
      writes.mockRestore();
    }
  });
});

describe('expired items', () => {
  it('are ignored by readers even though the server never deletes them', async () => {
    // Prepare: a tab that connected longer ago than the item's lifetime, then a fresh one
    clock -= (DEFAULT_SESSION_TTL_SECONDS + 1) * 1000;
    const old = await connect('session-expired');
    clock += (DEFAULT_SESSION_TTL_SECONDS + 1) * 1000;
    const { connectionId } = await connect('session-expired');

    // Act
    const live = await server.table.listConnections('session-expired', clock);
    const found = await server.table.findConnection(old.connectionId, clock);

    // Assess
    expect(live.map((record) => record.connectionId)).not.toContain(old.connectionId);
    expect(live.map((record) => record.connectionId)).toContain(connectionId);
    expect(found).toBeUndefined();
  });
});

describe('what operators read in the logs (refs, never ids)', () => {
  it('names the refused identity and the reason of a 400, and stores nothing', async () => {
    // Prepare
    const connectionId = newConnectionId();

    // Act
    await routeConnectionEvent(connectEvent({ sessionId: 'a b' }, { connectionId }), deps());

    // Assess
    expect(logLines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'connect refused',
        connectionId,
        identityRef: logRef(iamUser('a b')),
        statusCode: 400,
        reason: expect.stringMatching(/2-100 characters/),
      }),
    );
  });

  it('logs no identity for a request that names none', async () => {
    // Prepare
    const event = connectEvent({ sessionId: 'session-anonymous' });
    event.requestContext.identity = {};

    // Act
    const result = await routeConnectionEvent(event, deps());

    // Assess: OWNER has nothing to bind the session to
    expect(result).toEqual({
      statusCode: 403,
      body: 'the request carries no identity to bind the session to',
    });
    const refused = logLines.find((line) => line.message === 'connect refused');
    expect(refused).toMatchObject({
      statusCode: 403,
      binding: 'OWNER',
      sessionRef: logRef('session-anonymous'),
    });
    expect(refused).not.toHaveProperty('identityRef');
  });

  it('logs an accepted connect with its protocol, tab count and whether Cognito signed it', async () => {
    // Act
    await connect(IDENTITY, { protocol: 'json' }, IDENTITY);
    await connect('session-logged');

    // Assess
    expect(logLines.filter((line) => line.message === 'connected')).toEqual([
      expect.objectContaining({
        level: 'info',
        sessionRef: logRef(IDENTITY),
        identityRef: logRef(IDENTITY),
        protocol: 'json',
        tabs: expect.any(Number),
        cognitoIdentity: true,
      }),
      expect.objectContaining({
        sessionRef: logRef('session-logged'),
        identityRef: logRef(iamUser('session-logged')),
        protocol: 'text',
        tabs: 1,
        cognitoIdentity: false,
      }),
    ]);
    expect(JSON.stringify(logLines)).not.toContain(IDENTITY);
  });

  it('logs a disconnect with whether the tab was known and the close code', async () => {
    // Prepare
    const { connectionId } = await connect('session-disconnect-log');
    const event = disconnectEvent(connectionId);
    event.requestContext.disconnectStatusCode = 1001;

    // Act
    await routeConnectionEvent(event, deps());
    await routeConnectionEvent(disconnectEvent('never-seen='), deps());

    // Assess
    expect(logLines.filter((line) => line.message === 'disconnected')).toEqual([
      expect.objectContaining({
        connectionId,
        sessionRef: logRef('session-disconnect-log'),
        known: true,
        closeCode: 1001,
      }),
      expect.objectContaining({ connectionId: 'never-seen=', known: false }),
    ]);
    expect(logLines.at(-1)).not.toHaveProperty('sessionRef');
  });

  it('logs a route it does not serve as an error, and answers 400 even for an event without a route', async () => {
    // Act
    const result = await routeConnectionEvent({} as WebSocketEvent, deps());
    const none = await routeConnectionEvent(undefined as unknown as WebSocketEvent, deps());

    // Assess
    expect(result).toEqual({
      statusCode: 400,
      body: 'route "undefined" is not served by the connection Lambda',
    });
    expect(none).toEqual(result);
    expect(logLines[0]).toMatchObject({
      level: 'error',
      message: 'event for a route this Lambda does not serve',
    });
  });
});

describe('routing', () => {
  it('answers 400 for a route it does not serve', async () => {
    // Act
    const result = await routeConnectionEvent(messageEvent('ask', 'x=', '{}'), deps());

    // Assess
    expect(result.statusCode).toBe(400);
    expect(result.body).toMatch(/"ask" is not served/);
  });
});
