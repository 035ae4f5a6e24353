/**
 * The identity binding of `$connect` (functions/shared/session-binding.ts) as the connection Lambda
 * applies it to a real DynamoDB-compatible server: what it must withstand (issue 10) and what the
 * existing readers (QnABot 7's `GetItem {sessionId}`) get from the table.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { type ConnectionRouteDeps, routeConnectionEvent } from '../../functions/connection/connection-routes';
import type { WebSocketEvent } from '../../functions/connection/websocket-event';
import {
  BINDING_DEFAULTS,
  DEFAULT_SESSION_TTL_SECONDS,
  type IdentityBinding,
} from '../../functions/shared/constants';
import { createLogger } from '../../functions/shared/logger';
import { connectionKey } from '../../functions/shared/session-table';
import { type SessionTableServer, startSessionTableServer } from '../support/session-table-server';

const IAM_USER = 'arn:aws:iam::123456789012:user/integration';

type Caller = { cognito: string } | { iam: string };
let alice: Caller;
let bob: Caller;
let visitorCounter = 0;

/** A visitor of its own per test, so claims of other tests never count against its cap. */
function newVisitor(): Caller {
  visitorCounter += 1;
  return { cognito: `us-west-2:${visitorCounter.toString(16).padStart(8, '0')}-1111-2222-3333-444444444444` };
}
const identityOf = (caller: Caller): string => ('cognito' in caller ? caller.cognito : caller.iam);

let server: SessionTableServer;
let clock = Date.UTC(2026, 11, 2, 9, 0, 0);
let counter = 0;
let sessionCounter = 0;

type Limits = { maxSessionsPerIdentity?: number; maxTabsPerSession?: number; claimGraceSeconds?: number };

function deps(mode: IdentityBinding = 'OWNER', limits: Limits = {}): ConnectionRouteDeps {
  return {
    table: server.table,
    config: { ...BINDING_DEFAULTS, ...limits, identityBinding: mode },
    logger: createLogger({ service: 'test', level: 'error', write: () => undefined }),
    now: () => clock,
  };
}

/** A fresh Lex Web UI-style session id per test, so tests never share a claim. */
function lexWebUiSessionId(): string {
  sessionCounter += 1;
  return `lex-web-ui-${sessionCounter.toString(16).padStart(4, '0')}`;
}

function connectEvent(sessionId: string, caller: Caller, protocol?: string): WebSocketEvent {
  counter += 1;
  return {
    requestContext: {
      routeKey: '$connect',
      eventType: 'CONNECT',
      connectionId: `bind${counter}Xy=`,
      connectedAt: clock,
      identity:
        'cognito' in caller
          ? { cognitoIdentityId: caller.cognito, cognitoAuthenticationType: 'unauthenticated' }
          : { cognitoIdentityId: null, userArn: caller.iam },
    },
    queryStringParameters: { sessionId, ...(protocol ? { protocol } : {}) },
  };
}

async function connect(
  sessionId: string,
  caller: Caller,
  options: { protocol?: string; deps?: ConnectionRouteDeps } = {},
) {
  const event = connectEvent(sessionId, caller, options.protocol);
  const result = await routeConnectionEvent(event, options.deps ?? deps());
  return { connectionId: event.requestContext.connectionId, ...result };
}

async function disconnect(connectionId: string, routeDeps: ConnectionRouteDeps = deps()) {
  return routeConnectionEvent(
    { requestContext: { routeKey: '$disconnect', eventType: 'DISCONNECT', connectionId } },
    routeDeps,
  );
}

/** What QnABot 7's fulfillment reads (upstream source/lambda/es-proxy-layer/lib/getConnectionId.js). */
async function qnabotConnectionId(sessionId: string): Promise<string | undefined> {
  const { Item } = await server.client.send(
    new GetItemCommand({ TableName: server.tableName, Key: { sessionId: { S: sessionId } } }),
  );
  return Item?.connectionId?.S;
}

async function connectionItemExists(connectionId: string): Promise<boolean> {
  const { Item } = await server.client.send(
    new GetItemCommand({
      TableName: server.tableName,
      Key: { sessionId: { S: connectionKey(connectionId) } },
    }),
  );
  return Item !== undefined;
}

beforeAll(async () => {
  server = await startSessionTableServer();
});

afterAll(async () => {
  await server.stop();
});

beforeEach(() => {
  clock += 60_000;
  alice = newVisitor();
  bob = newVisitor();
});

describe('OWNER binding (the default)', () => {
  it('accepts stock Lex Web UI: a lex-web-ui-XXXX session id signed with unauthenticated Cognito credentials', async () => {
    // Act
    const result = await connect('lex-web-ui-4f2a', alice);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(await server.table.listConnections('lex-web-ui-4f2a', clock)).toHaveLength(1);
  });

  it('lets the owner open more tabs and refuses another identity, whose stream it would be', async () => {
    // Prepare
    const sessionId = lexWebUiSessionId();
    const first = await connect(sessionId, alice);

    // Act
    const secondTab = await connect(sessionId, alice, { protocol: 'json' });
    const intruder = await connect(sessionId, bob);

    // Assess
    expect([first.statusCode, secondTab.statusCode]).toEqual([200, 200]);
    expect(intruder).toMatchObject({
      statusCode: 403,
      body: expect.stringMatching(/in use by another identity/),
    });
    const tabs = await server.table.listConnections(sessionId, clock);
    expect(tabs.map((tab) => tab.connectionId)).toEqual([first.connectionId, secondTab.connectionId]);
    expect(await connectionItemExists(intruder.connectionId)).toBe(false);
  });

  it('ends two identities racing for one session id with exactly one owner and no items for the loser', async () => {
    for (let round = 0; round < 5; round += 1) {
      // Prepare
      const sessionId = lexWebUiSessionId();

      // Act
      const [a, b] = await Promise.all([connect(sessionId, alice), connect(sessionId, bob)]);

      // Assess
      expect([a.statusCode, b.statusCode].sort()).toEqual([200, 403]);
      const [winner, loser, loserIdentity] =
        a.statusCode === 200 ? [a, b, identityOf(bob)] : [b, a, identityOf(alice)];
      const session = await server.table.getSession(sessionId);
      expect(session?.owner).toBe(winner === a ? identityOf(alice) : identityOf(bob));
      expect(session?.tabs.map((tab) => tab.connectionId)).toEqual([winner.connectionId]);
      expect(await connectionItemExists(loser.connectionId)).toBe(false);
      expect(Object.keys(await server.table.getClaims(loserIdentity))).not.toContain(sessionId);
    }
  });

  it("keeps the claim through the owner's reconnect gap, so another identity cannot take it then", async () => {
    // Prepare: the owner's only tab drops
    const sessionId = lexWebUiSessionId();
    const tab = await connect(sessionId, alice);
    await disconnect(tab.connectionId);
    clock += 30_000;

    // Act
    const intruder = await connect(sessionId, bob);
    const reconnect = await connect(sessionId, alice);

    // Assess
    expect(intruder.statusCode).toBe(403);
    expect(reconnect.statusCode).toBe(200);
    expect(await qnabotConnectionId(sessionId)).toBe(reconnect.connectionId);
  });

  it('frees a session id once its last tab closed and the grace period passed', async () => {
    // Prepare
    const sessionId = lexWebUiSessionId();
    const tab = await connect(sessionId, alice);
    await disconnect(tab.connectionId);
    clock += (BINDING_DEFAULTS.claimGraceSeconds + 1) * 1000;

    // Act
    const newcomer = await connect(sessionId, bob);

    // Assess
    expect(newcomer.statusCode).toBe(200);
    expect((await server.table.getSession(sessionId))?.owner).toBe(identityOf(bob));
  });

  it('neither frees nor corrupts a claim when a $disconnect is lost or doubled', async () => {
    // Prepare: two tabs; the first one's $disconnect is delivered twice, the second one's never
    const sessionId = lexWebUiSessionId();
    const first = await connect(sessionId, alice);
    const second = await connect(sessionId, alice);
    const before = await server.table.getSession(sessionId);

    // Act
    await disconnect(first.connectionId);
    await disconnect(first.connectionId);
    clock += (BINDING_DEFAULTS.claimGraceSeconds + 1) * 1000;
    const intruder = await connect(sessionId, bob);

    // Assess
    const after = await server.table.getSession(sessionId);
    expect(intruder.statusCode).toBe(403);
    expect(after?.owner).toBe(identityOf(alice));
    expect(after?.claimExpiresAt).toBe(before?.claimExpiresAt);
    expect(after?.tabs.map((tab) => tab.connectionId)).toEqual([second.connectionId]);
  });

  it('keeps the claim at least as long as its newest tab lives', async () => {
    // Prepare
    const sessionId = lexWebUiSessionId();
    const older = await connect(sessionId, alice);
    clock += 3_600_000;
    const newer = await connect(sessionId, alice);

    // Act
    await disconnect(older.connectionId);

    // Assess
    const session = await server.table.getSession(sessionId);
    const newest = session?.tabs.find((tab) => tab.connectionId === newer.connectionId);
    expect(session?.claimExpiresAt).toBeGreaterThanOrEqual(newest?.ttl ?? Number.POSITIVE_INFINITY);
    expect(newest?.ttl).toBe(Math.floor(clock / 1000) + DEFAULT_SESSION_TTL_SECONDS);
  });

  it('holds the per-identity cap under concurrent connects and frees it when the claims lapse', async () => {
    // Prepare: an identity of its own, so other tests' claims do not count
    const caller: Caller = { cognito: 'eu-west-1:cccccccc-1111-2222-3333-444444444444' };
    const capped = deps('OWNER', { maxSessionsPerIdentity: 3 });
    const sessionIds = Array.from({ length: 8 }, () => lexWebUiSessionId());

    // Act
    const results = await Promise.all(sessionIds.map((id) => connect(id, caller, { deps: capped })));

    // Assess
    const accepted = results.filter((result) => result.statusCode === 200);
    const refused = results.filter((result) => result.statusCode === 403);
    expect(accepted).toHaveLength(3);
    expect(refused[0]?.body).toMatch(/already uses 3 session ids \(the limit is 3\)/);
    for (const loser of refused) expect(await connectionItemExists(loser.connectionId)).toBe(false);

    // Act: the tabs close, their claims lapse after the grace period
    for (const tab of accepted) await disconnect(tab.connectionId, capped);
    clock += (BINDING_DEFAULTS.claimGraceSeconds + 1) * 1000;
    const later = await connect(lexWebUiSessionId(), caller, { deps: capped });

    // Assess
    expect(later.statusCode).toBe(200);
  });

  it('reserves a session id shaped like a Cognito identity id for that exact identity', async () => {
    // Prepare
    const alicesId = identityOf(alice);
    const bobsId = identityOf(bob);

    // Act
    const owner = await connect(alicesId, alice);
    const otherVisitor = await connect(bobsId, alice);
    const iamCaller = await connect('us-east-2:dddddddd-1111-2222-3333-444444444444', { iam: IAM_USER });

    // Assess
    expect(owner.statusCode).toBe(200);
    expect(otherVisitor).toMatchObject({
      statusCode: 403,
      body: expect.stringMatching(/Cognito identity id/),
    });
    expect(iamCaller.statusCode).toBe(403);
    expect(await server.table.getSession(bobsId)).toBeUndefined();
  });

  it('lists to publishers only the tabs of the identity that owns the session', async () => {
    // Prepare
    const sessionId = lexWebUiSessionId();
    const owned = await connect(sessionId, alice);
    await connect(sessionId, bob);
    await connect(sessionId, { iam: IAM_USER });

    // Act
    const tabs = await server.table.listConnections(sessionId, clock);

    // Assess
    expect(tabs.map((tab) => tab.connectionId)).toEqual([owned.connectionId]);
  });

  it('caps the tabs of one session', async () => {
    // Prepare
    const sessionId = lexWebUiSessionId();
    const twoTabs = deps('OWNER', { maxTabsPerSession: 2 });
    await connect(sessionId, alice, { deps: twoTabs });
    await connect(sessionId, alice, { deps: twoTabs });

    // Act
    const third = await connect(sessionId, alice, { deps: twoTabs });

    // Assess
    expect(third).toMatchObject({ statusCode: 403, body: expect.stringMatching(/already has 2 open tabs/) });
  });
});

describe('the pointer QnABot and Lex Web UI readers use', () => {
  it('names the newest live text tab, then another live tab when it closes, then nothing', async () => {
    // Prepare
    const sessionId = lexWebUiSessionId();
    const text = await connect(sessionId, alice);
    clock += 1000;
    const json = await connect(sessionId, alice, { protocol: 'json' });
    clock += 1000;
    const newestText = await connect(sessionId, alice);

    // Act & Assess
    expect(await qnabotConnectionId(sessionId)).toBe(newestText.connectionId);
    await disconnect(newestText.connectionId);
    expect(await qnabotConnectionId(sessionId)).toBe(text.connectionId);
    await disconnect(text.connectionId);
    expect(await qnabotConnectionId(sessionId)).toBe(json.connectionId);
    await disconnect(json.connectionId);
    expect(await qnabotConnectionId(sessionId)).toBeUndefined();
  });
});

describe('items QnABot’s own connect Lambda wrote before the upgrade', () => {
  it('still stream as owner-less text tabs, and the first identity to connect claims the session', async () => {
    // Prepare: QnABot 7's item shape (upstream source/lambda/streaming/index.js)
    const sessionId = lexWebUiSessionId();
    await server.client.send(
      new PutItemCommand({
        TableName: server.tableName,
        Item: {
          sessionId: { S: sessionId },
          connectionId: { S: 'qnabotConn=' },
          ttl: { N: String(Math.floor(clock / 1000) + 7200) },
        },
      }),
    );

    // Act
    const before = await server.table.listConnections(sessionId, clock);
    const claimed = await connect(sessionId, alice);
    const after = await server.table.listConnections(sessionId, clock);

    // Assess
    expect(before.map((tab) => [tab.connectionId, tab.protocol])).toEqual([['qnabotConn=', 'text']]);
    expect(claimed.statusCode).toBe(200);
    expect(after.map((tab) => tab.connectionId)).toEqual([claimed.connectionId]);
    expect((await server.table.getSession(sessionId))?.owner).toBe(identityOf(alice));
  });
});

describe('STRICT and OFF', () => {
  it('STRICT refuses a lex-web-ui session id and accepts the caller’s own identity id', async () => {
    // Act
    const lexWebUi = await connect(lexWebUiSessionId(), bob, { deps: deps('STRICT') });
    const own = await connect(identityOf(bob), bob, { deps: deps('STRICT') });

    // Assess
    expect(lexWebUi).toMatchObject({
      statusCode: 403,
      body: expect.stringMatching(/must equal the Cognito identity id/),
    });
    expect(own.statusCode).toBe(200);
  });

  it('OFF accepts any signed caller on any session id, as QnABot’s own stack does', async () => {
    // Prepare
    const sessionId = lexWebUiSessionId();
    const off = deps('OFF');

    // Act
    const first = await connect(sessionId, alice, { deps: off });
    const other = await connect(sessionId, bob, { deps: off });

    // Assess
    expect([first.statusCode, other.statusCode]).toEqual([200, 200]);
    expect(await server.table.listConnections(sessionId, clock)).toHaveLength(2);
  });
});
