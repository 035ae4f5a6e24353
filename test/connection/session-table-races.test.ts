/**
 * The session table when other writers get there first, and when DynamoDB fails midway
 * (functions/shared/session-table.ts), against a real DynamoDB-compatible server (dynalite).
 *
 * A rival is a real write to the same item, made by a second client just before one of the table's
 * own commands reaches the server (SDK middleware on the table's client), so the conditional write
 * that follows loses exactly as it would to another Lambda. A failing step is the table's command
 * answered with DynamoDB's InternalServerError instead of being sent.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { BINDING_DEFAULTS, DEFAULT_SESSION_TTL_SECONDS } from '../../functions/shared/constants';
import { SessionTableError } from '../../functions/shared/errors';
import type { BindingLimits, ConnectRequest } from '../../functions/shared/session-binding';
import {
  connectionKey,
  identityKey,
  racePauseMs,
  SessionTable,
  type SessionTableOptions,
} from '../../functions/shared/session-table';
import { type SessionTableServer, startSessionTableServer } from '../support/session-table-server';

const VISITOR = 'eu-west-1:aaaaaaaa-1111-2222-3333-444444444444';
const RIVAL = 'eu-west-1:bbbbbbbb-1111-2222-3333-444444444444';
const OWNER: BindingLimits = { ...BINDING_DEFAULTS, mode: 'OWNER' };
/** The table gives up after this many lost rounds (MAX_ATTEMPTS in session-table.ts). */
const ROUNDS = 16;

let server: SessionTableServer;
let clock = Date.UTC(2026, 6, 1, 8, 0, 0);
let counter = 0;

/** One command the table sends: its name without `Command` and the item key it names. */
interface Step {
  command: 'GetItem' | 'PutItem' | 'DeleteItem' | 'UpdateItem';
  key: string;
}
type StepHook = (step: Step) => Promise<void> | void;

interface WatchedTable {
  table: SessionTable;
  /** Every command the table sent, in order. */
  steps: Step[];
  /** Runs before each command is sent (a rival write, or a throw that fails the command). */
  before(hook: StepHook): void;
  stop(): void;
}

function watchedTable(options: Partial<SessionTableOptions> = {}): WatchedTable {
  const client: DynamoDBClient = server.dynamodb.client();
  const steps: Step[] = [];
  let hook: StepHook = () => undefined;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: Record<string, unknown>; Item?: Record<string, unknown> };
      const keyed = unmarshall((input.Key ?? input.Item ?? {}) as never) as { sessionId?: string };
      const step: Step = {
        command: String(context.commandName).replace(/Command$/, '') as Step['command'],
        key: String(keyed.sessionId),
      };
      steps.push(step);
      await hook(step);
      return next(args);
    },
    { step: 'build', name: 'watchTableSteps' },
  );
  return {
    table: new SessionTable({
      client,
      tableName: server.tableName,
      ttlSeconds: DEFAULT_SESSION_TTL_SECONDS,
      pause: async () => undefined,
      ...options,
    }),
    steps,
    before(next) {
      hook = next;
    },
    stop() {
      client.destroy();
    },
  };
}

function request(sessionId: string, caller = VISITOR): ConnectRequest {
  counter += 1;
  return {
    sessionId,
    connectionId: `race${counter}Q=`,
    protocol: 'json',
    connectedAt: clock,
    caller: { key: caller, cognitoIdentityId: caller },
  };
}

async function rawItem(key: string): Promise<Record<string, unknown> | undefined> {
  const { Item } = await server.client.send(
    new GetItemCommand({ TableName: server.tableName, Key: { sessionId: { S: key } } }),
  );
  return Item && unmarshall(Item);
}

/** Another Lambda's write: bumps the item's version (creating the item when there is none). */
async function rivalBump(key: string): Promise<void> {
  await server.client.send(
    new UpdateItemCommand({
      TableName: server.tableName,
      Key: { sessionId: { S: key } },
      UpdateExpression: 'ADD #v :one',
      ExpressionAttributeNames: { '#v': 'version' },
      ExpressionAttributeValues: { ':one': { N: '1' } },
    }),
  );
}

/** Another visitor's `$connect` of `sessionId` that committed first: a live session they own. */
async function rivalOwns(sessionId: string): Promise<void> {
  const ttl = Math.floor(clock / 1000) + DEFAULT_SESSION_TTL_SECONDS;
  await server.client.send(
    new PutItemCommand({
      TableName: server.tableName,
      Item: marshall({
        sessionId,
        kind: 'session',
        connectionId: 'rivalTab=',
        tabs: { 'rivalTab=': { protocol: 'json', connectedAt: clock, ttl } },
        owner: RIVAL,
        claimExpiresAt: ttl,
        version: 7,
        ttl,
      }),
    }),
  );
}

const countOf = (steps: Step[], command: Step['command'], key: string) =>
  steps.filter((step) => step.command === command && step.key === key).length;

/** What the table's promise settled with: the error, or undefined when it resolved. */
const failureOf = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/** DynamoDB's answer to a request it could not serve. */
function internalServerError(): Error {
  return Object.assign(new Error('Internal server error'), { name: 'InternalServerError', $fault: 'server' });
}

beforeAll(async () => {
  server = await startSessionTableServer('race-sessions');
});

afterAll(async () => {
  await server.stop();
});

beforeEach(() => {
  clock += 3_600_000;
});

describe('another visitor connecting to the same session at the same moment', () => {
  it('refuses the one whose session write lost, and takes back its connection item and claim', async () => {
    // Prepare: the rival's connect commits between our claim and our session write
    const watched = watchedTable();
    const ours = request('race-taken');
    let rivalled = false;
    watched.before(async (step) => {
      if (!rivalled && step.command === 'PutItem' && step.key === 'race-taken') {
        rivalled = true;
        await rivalOwns('race-taken');
      }
    });

    // Act
    const outcome = await watched.table.connect(ours, OWNER, clock);
    watched.stop();

    // Assess
    expect(outcome).toMatchObject({
      accepted: false,
      refusal: {
        statusCode: 403,
        reason: 'this sessionId is in use by another identity; start a new session',
      },
    });
    expect(await rawItem(connectionKey(ours.connectionId))).toBeUndefined();
    expect(await server.table.getClaims(VISITOR)).not.toHaveProperty('race-taken');
    expect(await rawItem('race-taken')).toMatchObject({ owner: RIVAL, connectionId: 'rivalTab=' });
  });

  it('still releases the claim when the visitor’s other tab changed the claims meanwhile, keeping that tab’s claim', async () => {
    // Prepare: the session is taken as above; as we release our claim, the visitor's other tab
    // claims another session (the identity item moves on under our release)
    const watched = watchedTable();
    const ours = request('race-taken-2');
    const otherTab = request('race-other-tab');
    let rivalled = false;
    let otherTabConnected = false;
    watched.before(async (step) => {
      if (!rivalled && step.command === 'PutItem' && step.key === 'race-taken-2') {
        rivalled = true;
        await rivalOwns('race-taken-2');
      } else if (
        rivalled &&
        !otherTabConnected &&
        step.command === 'PutItem' &&
        step.key === identityKey(VISITOR)
      ) {
        otherTabConnected = true;
        await server.table.connect(otherTab, OWNER, clock);
      }
    });

    // Act
    const outcome = await watched.table.connect(ours, OWNER, clock);
    watched.stop();

    // Assess
    expect(outcome.accepted).toBe(false);
    expect(otherTabConnected).toBe(true);
    const claims = await server.table.getClaims(VISITOR);
    expect(claims).not.toHaveProperty('race-taken-2');
    expect(claims).toHaveProperty('race-other-tab');
  });

  it('keeps the owner’s claim when the owner’s own extra tab is refused (tab limit)', async () => {
    // Prepare: the owner has the most tabs a session may have
    const limits: BindingLimits = { ...OWNER, maxTabsPerSession: 2 };
    await server.table.connect(request('race-full'), limits, clock);
    await server.table.connect(request('race-full'), limits, clock);
    const claimBefore = (await server.table.getClaims(VISITOR))['race-full'];

    // Act
    const outcome = await server.table.connect(request('race-full'), limits, clock);

    // Assess
    expect(outcome).toMatchObject({ accepted: false, refusal: { statusCode: 403 } });
    expect(claimBefore).toBeGreaterThan(0);
    expect((await server.table.getClaims(VISITOR))['race-full']).toBe(claimBefore);
  });
});

describe('rivals that win every round', () => {
  it('gives a $connect up after 16 rounds with a named error, leaving no connection item and no claim', async () => {
    // Prepare: another writer changes the session item before each of our session writes
    const watched = watchedTable();
    const ours = request('race-hot');
    watched.before(async (step) => {
      if (step.command === 'PutItem' && step.key === 'race-hot') await rivalBump('race-hot');
    });

    // Act
    const failure = await failureOf(watched.table.connect(ours, OWNER, clock));
    watched.stop();

    // Assess
    expect(failure).toEqual(
      new SessionTableError(`gave up registering a connection after ${ROUNDS} concurrent writes`),
    );
    expect(countOf(watched.steps, 'PutItem', 'race-hot')).toBe(ROUNDS);
    expect(await rawItem(connectionKey(ours.connectionId))).toBeUndefined();
    expect(await server.table.getClaims(VISITOR)).not.toHaveProperty('race-hot');
  });

  it('pauses between rounds: not before the first, then a random share of 10 ms per round lost', async () => {
    // Prepare: as above, with the pauses recorded and the random share fixed at one half
    const pauses: number[] = [];
    const watched = watchedTable({
      random: () => 0.5,
      pause: async (ms) => {
        pauses.push(ms);
      },
    });
    watched.before(async (step) => {
      if (step.command === 'PutItem' && step.key === 'race-paced') await rivalBump('race-paced');
    });

    // Act
    await failureOf(watched.table.connect(request('race-paced', RIVAL), OWNER, clock));
    watched.stop();

    // Assess: 15 pauses before rounds 2–16, 5 ms more each (then the claim's release starts over
    // with its own rounds: its first write meets the claim of round 16 and waits 5 ms once)
    expect(pauses).toEqual([...Array.from({ length: ROUNDS - 1 }, (_, index) => 5 * (index + 1)), 5]);
  });

  it('never pauses longer than 160 ms, however many rounds were lost', () => {
    // Act
    const longest = Math.max(
      ...Array.from({ length: 100 }, (_, attempt) => racePauseMs(attempt, () => 0.999) ?? 0),
    );

    // Assess
    expect(racePauseMs(0, () => 0.999)).toBeUndefined();
    expect(longest).toBeCloseTo(159.84, 2);
  });

  it('gives up releasing a refused connect’s claim after 16 rounds, and still refuses it', async () => {
    // Prepare: the session is taken; every release of our claim loses to another write
    const watched = watchedTable();
    const ours = request('race-sticky');
    let taken = false;
    watched.before(async (step) => {
      if (!taken && step.command === 'PutItem' && step.key === 'race-sticky') {
        taken = true;
        await rivalOwns('race-sticky');
      } else if (taken && step.command === 'PutItem' && step.key === identityKey(VISITOR)) {
        await rivalBump(identityKey(VISITOR));
      }
    });

    // Act
    const outcome = await watched.table.connect(ours, OWNER, clock);
    watched.stop();

    // Assess
    expect(outcome).toMatchObject({ accepted: false, refusal: { statusCode: 403 } });
    expect(countOf(watched.steps, 'PutItem', identityKey(VISITOR))).toBe(1 + ROUNDS);
    expect(await rawItem(connectionKey(ours.connectionId))).toBeUndefined();
  });

  it('forgets a closed tab’s connection item even when every session write loses, and says the tab was not removed', async () => {
    // Prepare
    const ours = request('race-busy-close');
    await server.table.connect(ours, OWNER, clock);
    const watched = watchedTable();
    watched.before(async (step) => {
      if (step.command === 'PutItem' && step.key === 'race-busy-close') await rivalBump('race-busy-close');
    });

    // Act
    const removed = await watched.table.deleteConnection('race-busy-close', ours.connectionId, clock);
    watched.stop();

    // Assess
    expect(removed).toBe(false);
    expect(countOf(watched.steps, 'PutItem', 'race-busy-close')).toBe(ROUNDS);
    expect(await rawItem(connectionKey(ours.connectionId))).toBeUndefined();
  });

  it('closes the last tab even when shortening the claim loses every round (the claim then lapses on its own)', async () => {
    // Prepare
    const ours = request('race-busy-claim');
    await server.table.connect(ours, OWNER, clock);
    const watched = watchedTable();
    watched.before(async (step) => {
      if (step.command === 'PutItem' && step.key === identityKey(VISITOR))
        await rivalBump(identityKey(VISITOR));
    });

    // Act
    const removed = await watched.table.deleteConnection('race-busy-claim', ours.connectionId, clock);
    watched.stop();

    // Assess
    expect(removed).toBe(true);
    expect(countOf(watched.steps, 'PutItem', identityKey(VISITOR))).toBe(ROUNDS);
    expect(await server.table.listConnections('race-busy-claim', clock)).toEqual([]);
    expect((await server.table.getClaims(VISITOR))['race-busy-claim']).toBe(
      Math.floor(clock / 1000) + DEFAULT_SESSION_TTL_SECONDS,
    );
  });
});

describe('a table that fails midway', () => {
  interface Case {
    what: string;
    /** The command that fails. */
    fails: (step: Step, ids: { sessionId: string; connectionId: string }) => boolean;
    /** What the Lambda was doing. */
    act: (table: SessionTable, ids: { sessionId: string; connectionId: string }) => Promise<unknown>;
    /** Whether a tab of the visitor is open before `act`. */
    opened?: boolean;
    /** Whether another visitor takes the session as `act` writes it. */
    taken?: boolean;
    message: string;
  }
  const connect = (table: SessionTable, ids: { sessionId: string; connectionId: string }) =>
    table.connect({ ...request(ids.sessionId), connectionId: ids.connectionId }, OWNER, clock);
  const close = (table: SessionTable, ids: { sessionId: string; connectionId: string }) =>
    table.deleteConnection(ids.sessionId, ids.connectionId, clock);

  it.each<Case>([
    {
      what: 'a $connect whose claim write fails',
      fails: (step) => step.command === 'PutItem' && step.key === identityKey(VISITOR),
      act: connect,
      message: 'could not write an identity claim',
    },
    {
      what: 'a $connect whose connection item write fails',
      fails: (step, ids) => step.command === 'PutItem' && step.key === connectionKey(ids.connectionId),
      act: connect,
      message: 'could not store a connection',
    },
    {
      what: 'a $connect whose session write fails',
      fails: (step, ids) => step.command === 'PutItem' && step.key === ids.sessionId,
      act: connect,
      message: 'could not write a session',
    },
    {
      what: 'a refused $connect whose connection item cannot be deleted',
      fails: (step, ids) => step.command === 'DeleteItem' && step.key === connectionKey(ids.connectionId),
      act: connect,
      taken: true,
      message: 'could not delete a connection',
    },
    {
      what: 'a refused $connect whose claim cannot be released',
      fails: (step) => step.command === 'PutItem' && step.key === identityKey(VISITOR),
      act: connect,
      taken: true,
      message: 'could not write an identity claim',
    },
    {
      what: 'a $disconnect whose session write fails',
      fails: (step, ids) => step.command === 'PutItem' && step.key === ids.sessionId,
      act: close,
      opened: true,
      message: 'could not write a session',
    },
    {
      what: 'a $disconnect whose connection item cannot be deleted',
      fails: (step, ids) => step.command === 'DeleteItem' && step.key === connectionKey(ids.connectionId),
      act: close,
      opened: true,
      message: 'could not delete a connection',
    },
    {
      what: 'a $disconnect of the last tab whose claim cannot be shortened',
      fails: (step) => step.command === 'PutItem' && step.key === identityKey(VISITOR),
      act: close,
      opened: true,
      message: 'could not write an identity claim',
    },
  ])('$what fails with a SessionTableError saying so, the cause kept', async (c) => {
    // Prepare
    counter += 1;
    const ids = { sessionId: `race-fail-${counter}`, connectionId: `raceFail${counter}Q=` };
    if (c.opened) await connect(server.table, ids);
    const watched = watchedTable();
    let takenYet = false;
    watched.before(async (step) => {
      if (c.taken && !takenYet && step.command === 'PutItem' && step.key === ids.sessionId) {
        takenYet = true;
        await rivalOwns(ids.sessionId);
        return;
      }
      // With a taken session, the claim write that fails is the release (the second), not the claim.
      if (c.taken && !takenYet) return;
      if (c.fails(step, ids)) throw internalServerError();
    });

    // Act
    const failure = await failureOf(c.act(watched.table, ids));
    watched.stop();

    // Assess
    expect(failure).toBeInstanceOf(SessionTableError);
    expect(failure).toMatchObject({
      message: c.message,
      cause: expect.objectContaining({ name: 'InternalServerError' }),
    });
  });
});

describe('what the table keeps', () => {
  it('has no claims for an identity it never saw', async () => {
    // Act
    const claims = await server.table.getClaims('eu-west-1:cccccccc-1111-2222-3333-444444444444');

    // Assess
    expect(claims).toEqual({});
  });

  it('keeps an identity item until its latest claim ends (its ttl)', async () => {
    // Prepare: two sessions, the second connected an hour later
    const identity = 'eu-west-1:dddddddd-1111-2222-3333-444444444444';
    await server.table.connect(request('race-ttl-a', identity), OWNER, clock);
    clock += 3_600_000;
    await server.table.connect(request('race-ttl-b', identity), OWNER, clock);

    // Act
    const item = await rawItem(identityKey(identity));

    // Assess
    const claims = await server.table.getClaims(identity);
    expect(claims['race-ttl-b']).toBeGreaterThan(claims['race-ttl-a'] ?? Number.POSITIVE_INFINITY);
    expect(item?.ttl).toBe(claims['race-ttl-b']);
  });
});
