/**
 * The session table itself (functions/shared/session-table.ts) against a real DynamoDB-compatible
 * server (dynalite): the items its readers get (QnABot's `GetItem {sessionId}`, the publishers'
 * listConnections, an operator scanning the table), the ask-limit items of the direct-ask route, and
 * what a failing table tells the Lambda's log.
 */
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { BINDING_DEFAULTS, DEFAULT_SESSION_TTL_SECONDS } from '../../functions/shared/constants';
import { SessionTableError } from '../../functions/shared/errors';
import type { BindingLimits, ConnectRequest } from '../../functions/shared/session-binding';
import {
  type AskLimitState,
  askLimitKey,
  type ConnectionRecord,
  cancelRequestedSince,
  connectionKey,
  identityKey,
  SessionTable,
} from '../../functions/shared/session-table';
import { type SessionTableServer, startSessionTableServer } from '../support/session-table-server';

const VISITOR = 'eu-west-1:aaaaaaaa-1111-2222-3333-444444444444';
const OWNER: BindingLimits = { ...BINDING_DEFAULTS, mode: 'OWNER' };
const OFF: BindingLimits = { ...BINDING_DEFAULTS, mode: 'OFF' };

let server: SessionTableServer;
let clock = Date.UTC(2026, 5, 1, 8, 0, 0);
let counter = 0;

const seconds = (ms: number) => Math.floor(ms / 1000);

function request(sessionId: string, extra: Partial<ConnectRequest> = {}): ConnectRequest {
  counter += 1;
  return {
    sessionId,
    connectionId: `tbl${counter}Q=`,
    protocol: 'text',
    connectedAt: clock,
    caller: { key: VISITOR, cognitoIdentityId: VISITOR },
    ...extra,
  };
}

/** The raw item under `key`, as an operator (or QnABot's GetItem) sees it. */
async function rawItem(key: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await server.client.send(
    new GetItemCommand({ TableName: server.tableName, Key: { sessionId: { S: key } } }),
  );
  return Item && unmarshall(Item);
}

async function putRaw(item: Record<string, unknown>): Promise<void> {
  await server.client.send(new PutItemCommand({ TableName: server.tableName, Item: marshall(item) }));
}

beforeAll(async () => {
  server = await startSessionTableServer();
});

afterAll(async () => {
  await server.stop();
});

beforeEach(() => {
  clock += 3_600_000;
});

describe('the items readers get', () => {
  it('writes the session, connection and identity items of a connect as the layout documents them', async () => {
    // Prepare
    const first = request('tbl-layout');

    // Act
    await server.table.connect(first, OWNER, clock);

    // Assess
    const tabTtl = seconds(clock) + DEFAULT_SESSION_TTL_SECONDS;
    expect(await rawItem('tbl-layout')).toEqual({
      sessionId: 'tbl-layout',
      kind: 'session',
      connectionId: first.connectionId,
      tabs: { [first.connectionId]: { protocol: 'text', connectedAt: clock, ttl: tabTtl } },
      owner: VISITOR,
      claimExpiresAt: tabTtl,
      version: 1,
      ttl: tabTtl,
    });
    expect(await rawItem(connectionKey(first.connectionId))).toEqual({
      sessionId: `c#${first.connectionId}`,
      kind: 'connection',
      session: 'tbl-layout',
      protocol: 'text',
      connectedAt: clock,
      ttl: tabTtl,
    });
    expect(await rawItem(identityKey(VISITOR))).toMatchObject({
      sessionId: `i#${VISITOR}`,
      kind: 'identity',
      claims: expect.objectContaining({ 'tbl-layout': tabTtl }),
      version: expect.any(Number),
    });
  });

  it('keeps the session item as long as its longest-lived tab or claim (its ttl)', async () => {
    // Prepare: an older tab and a newer one; then the newer one closes
    const older = request('tbl-ttl');
    await server.table.connect(older, OFF, clock);
    clock += 60_000;
    const newer = request('tbl-ttl', { protocol: 'json' });
    await server.table.connect(newer, OFF, clock);

    // Act
    await server.table.deleteConnection('tbl-ttl', newer.connectionId, clock);

    // Assess: in OFF mode no owner; the claim still covers the newer tab's lifetime
    const item = await rawItem('tbl-ttl');
    expect(item).not.toHaveProperty('owner');
    expect(item?.ttl).toBe(seconds(clock) + DEFAULT_SESSION_TTL_SECONDS);
    expect(item?.connectionId).toBe(older.connectionId);
  });

  it('lists tabs to publishers oldest first whatever their connection ids, each with the session’s cancel', async () => {
    // Prepare: connection ids that sort the other way round from their connect times
    const late = request('tbl-order', { connectionId: 'aaa=', connectedAt: clock + 2_000 });
    const early = request('tbl-order', { connectionId: 'zzz=', connectedAt: clock, protocol: 'json' });
    await server.table.connect(late, OWNER, clock + 2_000);
    await server.table.connect(early, OWNER, clock + 2_000);
    const before = await server.table.listConnections('tbl-order', clock + 2_000);

    // Act
    await server.table.requestCancel('tbl-order', 'aaa=', clock + 3_000);
    const after = await server.table.listConnections('tbl-order', clock + 3_000);

    // Assess
    expect(before.map((record) => record.connectionId)).toEqual(['zzz=', 'aaa=']);
    for (const record of before) expect(record).not.toHaveProperty('cancelRequestedAt');
    expect(after).toEqual([
      {
        sessionId: 'tbl-order',
        connectionId: 'zzz=',
        protocol: 'json',
        connectedAt: clock,
        ttl: seconds(clock) + DEFAULT_SESSION_TTL_SECONDS,
        cancelRequestedAt: clock + 3_000,
      },
      {
        sessionId: 'tbl-order',
        connectionId: 'aaa=',
        protocol: 'text',
        connectedAt: clock + 2_000,
        ttl: seconds(clock + 2_000) + DEFAULT_SESSION_TTL_SECONDS,
        cancelRequestedAt: clock + 3_000,
      },
    ]);
  });

  it('reads an item QnABot’s connect Lambda wrote as a text tab that connected 2 hours before its ttl', async () => {
    // Prepare
    const ttl = seconds(clock) + 3_600;
    await putRaw({ sessionId: 'tbl-qnabot', connectionId: 'qnabot=', ttl });

    // Act
    const tabs = await server.table.listConnections('tbl-qnabot', clock);

    // Assess
    expect(tabs).toEqual([
      {
        sessionId: 'tbl-qnabot',
        connectionId: 'qnabot=',
        protocol: 'text',
        connectedAt: (ttl - 7_200) * 1000,
        ttl,
      },
    ]);
  });

  it('reads a session item with neither tabs nor a pointer as a session without tabs', async () => {
    // Prepare
    await putRaw({ sessionId: 'tbl-bare', ttl: seconds(clock) + 60 });

    // Act + Assess
    expect(await server.table.listConnections('tbl-bare', clock)).toEqual([]);
    expect(await server.table.getSession('tbl-bare')).toEqual({
      sessionId: 'tbl-bare',
      claimExpiresAt: 0,
      tabs: [],
      version: 0,
    });
    expect(await server.table.listConnections('tbl-nothing-here', clock)).toEqual([]);
  });

  it('reads a tab stored without protocol or times as a text tab that has expired', async () => {
    // Prepare
    await putRaw({
      sessionId: 'tbl-damaged',
      tabs: { 'odd=': {}, 'json=': { protocol: 'json', connectedAt: 5, ttl: 9 } },
      version: 3,
    });

    // Act
    const session = await server.table.getSession('tbl-damaged');

    // Assess
    expect(session?.tabs).toEqual([
      { connectionId: 'odd=', protocol: 'text', connectedAt: 0, ttl: 0 },
      { connectionId: 'json=', protocol: 'json', connectedAt: 5, ttl: 9 },
    ]);
    expect(await server.table.listConnections('tbl-damaged', clock)).toEqual([]);
  });
});

describe('findConnection', () => {
  it('finds a tab until the second its ttl names, not after', async () => {
    // Prepare
    const tab = request('tbl-find', { protocol: 'json' });
    await server.table.connect(tab, OWNER, clock);
    const expiresAtMs = (seconds(clock) + DEFAULT_SESSION_TTL_SECONDS) * 1000;

    // Act
    const lastMoment = await server.table.findConnection(tab.connectionId, expiresAtMs - 1);
    const expired = await server.table.findConnection(tab.connectionId, expiresAtMs);

    // Assess
    expect(lastMoment).toEqual({
      sessionId: 'tbl-find',
      connectionId: tab.connectionId,
      protocol: 'json',
      connectedAt: clock,
      ttl: expiresAtMs / 1000,
    });
    expect(expired).toBeUndefined();
  });

  it('keeps a connection item without ttl (never expires) and ignores one that names no session', async () => {
    // Prepare
    await putRaw({ sessionId: connectionKey('no-ttl='), session: 'tbl-no-ttl' });
    await putRaw({ sessionId: connectionKey('no-session='), session: 7 });

    // Act
    const noTtl = await server.table.findConnection('no-ttl=', clock);
    const noSession = await server.table.findConnection('no-session=', clock);

    // Assess
    expect(noTtl).toEqual({
      sessionId: 'tbl-no-ttl',
      connectionId: 'no-ttl=',
      protocol: 'text',
      connectedAt: 0,
      ttl: 0,
    });
    expect(noSession).toBeUndefined();
    expect(await server.table.findConnection('never=', clock)).toBeUndefined();
  });
});

describe('deleteConnection', () => {
  it('shortens the owner’s claim to the grace period when the last tab closes, on the session and the identity', async () => {
    // Prepare: a table whose grace period is 5 s
    const table = new SessionTable({
      client: server.client,
      tableName: server.tableName,
      ttlSeconds: DEFAULT_SESSION_TTL_SECONDS,
      claimGraceSeconds: 5,
    });
    const tab = request('tbl-grace');
    await table.connect(tab, OWNER, clock);

    // Act
    const removed = await table.deleteConnection('tbl-grace', tab.connectionId, clock);
    const again = await table.deleteConnection('tbl-grace', tab.connectionId, clock);

    // Assess
    expect([removed, again]).toEqual([true, false]);
    expect((await table.getSession('tbl-grace'))?.claimExpiresAt).toBe(seconds(clock) + 5);
    expect((await table.getClaims(VISITOR))['tbl-grace']).toBe(seconds(clock) + 5);
    expect(await rawItem(connectionKey(tab.connectionId))).toBeUndefined();
    expect(await rawItem('tbl-grace')).not.toHaveProperty('connectionId');
  });

  it('uses a 300-second grace period by default', async () => {
    // Prepare
    const tab = request('tbl-default-grace');
    await server.table.connect(tab, OWNER, clock);

    // Act
    await server.table.deleteConnection('tbl-default-grace', tab.connectionId, clock);

    // Assess
    expect((await server.table.getSession('tbl-default-grace'))?.claimExpiresAt).toBe(seconds(clock) + 300);
  });

  it('forgets the connection item of a tab its session no longer has', async () => {
    // Prepare
    await putRaw({ sessionId: connectionKey('orphan='), session: 'tbl-orphan', ttl: seconds(clock) + 60 });

    // Act
    const removed = await server.table.deleteConnection('tbl-orphan', 'orphan=', clock);

    // Assess
    expect(removed).toBe(false);
    expect(await server.table.findConnection('orphan=', clock)).toBeUndefined();
  });
});

describe('requestCancel', () => {
  it('records a cancel only for a tab of the session, and again only after minIntervalMs', async () => {
    // Prepare
    const tab = request('tbl-cancel');
    await server.table.connect(tab, OWNER, clock);

    // Act
    const stranger = await server.table.requestCancel('tbl-cancel', 'stranger=', clock);
    const first = await server.table.requestCancel('tbl-cancel', tab.connectionId, clock, 1_000);
    const tooSoon = await server.table.requestCancel('tbl-cancel', tab.connectionId, clock + 999, 1_000);
    const later = await server.table.requestCancel('tbl-cancel', tab.connectionId, clock + 1_000, 1_000);

    // Assess
    expect([stranger, first, tooSoon, later]).toEqual([false, true, false, true]);
    expect((await server.table.getSession('tbl-cancel'))?.cancelRequestedAt).toBe(clock + 1_000);
  });
});

describe('cancelRequestedSince', () => {
  const record = (cancelRequestedAt?: number): ConnectionRecord => ({
    sessionId: 's',
    connectionId: 'c',
    protocol: 'json',
    connectedAt: 0,
    ttl: 0,
    ...(cancelRequestedAt === undefined ? {} : { cancelRequestedAt }),
  });

  it('is the latest cancel at or after the answer started, else undefined', () => {
    expect(cancelRequestedSince([record(5), record(9), record(7)], 5)).toBe(9);
    expect(cancelRequestedSince([record(5)], 5)).toBe(5);
    expect(cancelRequestedSince([record(4), record()], 5)).toBeUndefined();
    expect(cancelRequestedSince([], 0)).toBeUndefined();
  });
});

describe('ask limits (the direct-ask route)', () => {
  const state = (key: string, asks: number[], leases: AskLimitState['leases'] = {}): AskLimitState => ({
    key,
    leases,
    asks,
  });

  it('keys them by owner identity, else by session', () => {
    expect(askLimitKey('arn:aws:iam::1:user/x', 's1')).toBe('a#i#arn:aws:iam::1:user/x');
    expect(askLimitKey(undefined, 's1')).toBe('a#s#s1');
  });

  it('stores them under a version: of two asks racing from the same version, one wins', async () => {
    // Prepare
    const key = askLimitKey(undefined, 'tbl-ask-race');
    const lease = { session: 'tbl-ask-race', startedAt: clock, expiresAt: clock + 120_500 };
    const admitted = state(key, [clock], { l1: lease });

    // Act
    const absent = await server.table.getAskLimits(key);
    const firstWrite = await server.table.putAskLimits(admitted, false, clock + 60_000);
    const racingWrite = await server.table.putAskLimits(state(key, [clock + 1]), false, clock + 60_000);
    const stored = await server.table.getAskLimits(key);
    const secondWrite = await server.table.putAskLimits(state(key, [clock + 5, clock]), 1, clock + 60_000);
    const staleWrite = await server.table.putAskLimits(state(key, []), 1, clock + 60_000);

    // Assess
    expect(absent).toEqual({ state: undefined, version: false });
    expect([firstWrite, racingWrite, secondWrite, staleWrite]).toEqual([true, false, true, false]);
    expect(stored).toEqual({ state: admitted, version: 1 });
    expect(await server.table.getAskLimits(key)).toEqual({
      state: state(key, [clock, clock + 5]),
      version: 2,
    });
  });

  it('keeps the item until its last lease or the rate window ends, whichever is later (its ttl)', async () => {
    // Prepare
    const key = askLimitKey('tbl-ask-owner', 'tbl-ask-ttl');
    const lease = { session: 'tbl-ask-ttl', startedAt: clock, expiresAt: clock + 120_500 };

    // Act
    await server.table.putAskLimits(state(key, [clock], { l1: lease }), false, clock + 60_000);
    const withLease = await rawItem(key);
    await server.table.putAskLimits(state(key, [clock]), 1, clock + 60_500);
    const withoutLease = await rawItem(key);

    // Assess
    expect(withLease).toMatchObject({
      kind: 'ask-limits',
      version: 1,
      ttl: Math.ceil((clock + 120_500) / 1000),
    });
    expect(withoutLease).toMatchObject({ version: 2, ttl: Math.ceil((clock + 60_500) / 1000) });
  });

  it('releases a lease once: the answer that ended frees its session, a second release finds nothing', async () => {
    // Prepare
    const key = askLimitKey(undefined, 'tbl-ask-release');
    const lease = { session: 'tbl-ask-release', startedAt: clock, expiresAt: clock + 1_000 };
    await server.table.putAskLimits(state(key, [clock], { l1: lease, l2: lease }), false, clock + 60_000);

    // Act
    const first = await server.table.releaseAskLease(key, 'l1');
    const second = await server.table.releaseAskLease(key, 'l1');

    // Assess
    expect([first, second]).toEqual([true, false]);
    expect(await server.table.getAskLimits(key)).toEqual({
      state: state(key, [clock], { l2: lease }),
      version: 2,
    });
  });

  it('reads a damaged item as empty values rather than failing the ask', async () => {
    // Prepare
    const key = askLimitKey(undefined, 'tbl-ask-damaged');
    await putRaw({ sessionId: key, leases: { odd: {} }, asks: 'not a list' });

    // Act
    const read = await server.table.getAskLimits(key);

    // Assess
    expect(read).toEqual({
      state: state(key, [], { odd: { session: '', startedAt: 0, expiresAt: 0 } }),
      version: 0,
    });
  });
});

describe('a table that cannot be reached', () => {
  const missing = () =>
    new SessionTable({
      client: server.client,
      tableName: 'no-such-table',
      ttlSeconds: DEFAULT_SESSION_TTL_SECONDS,
    });

  it('refuses to be built without a table name', () => {
    expect(() => new SessionTable({ client: server.client, tableName: '', ttlSeconds: 1 })).toThrow(
      new SessionTableError('tableName is required'),
    );
  });

  it.each<[string, (table: SessionTable) => Promise<unknown>, string]>([
    ['connect', (table) => table.connect(request('tbl-x'), OWNER, clock), 'could not read a session'],
    ['getClaims', (table) => table.getClaims(VISITOR), 'could not read an identity'],
    ['findConnection', (table) => table.findConnection('c='), 'could not read a connection'],
    ['getAskLimits', (table) => table.getAskLimits('a#s#x'), 'could not read the ask limits'],
    [
      'putAskLimits',
      (table) => table.putAskLimits({ key: 'a#s#x', leases: {}, asks: [] }, false, 0),
      'could not write the ask limits',
    ],
    ['releaseAskLease', (table) => table.releaseAskLease('a#s#x', 'l'), 'could not release an answer lease'],
    ['requestCancel', (table) => table.requestCancel('s', 'c', 0), 'could not record a cancel'],
  ])(
    '%s fails with a SessionTableError saying what it could not do, the cause kept',
    async (_name, call, message) => {
      // Act
      const failure = await call(missing()).then(
        () => undefined,
        (error: unknown) => error,
      );

      // Assess
      expect(failure).toBeInstanceOf(SessionTableError);
      expect(failure).toMatchObject({
        message,
        cause: expect.objectContaining({ name: 'ResourceNotFoundException' }),
      });
    },
  );
});
