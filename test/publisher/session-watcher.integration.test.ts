/**
 * The publisher's view of a session while it streams (functions/streaming/pipeline/session-watcher.ts), seen
 * where it matters: tabs that join or leave mid-answer, a cancel from the browser, a session table
 * that cannot be read, and nothing more happening once the answer has returned. Real sockets through
 * the local execute-api and the real connection routes; the table is dynalite, wrapped only to count
 * and hold reads, or a real SDK client pointed at a port where nothing listens (DynamoDB down).
 */
import { createServer } from 'node:net';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import { DEFAULT_SESSION_TTL_SECONDS } from '../../functions/shared/constants';
import { type ConnectionRecord, SessionTable } from '../../functions/shared/session-table';
import { STOPPED_NOTE } from '../../functions/streaming/pipeline/answer-notes';
import {
  type PublishAnswerOptions,
  publishAnswer,
  type StreamResult,
} from '../../functions/streaming/pipeline/publisher';
import type { StreamEvent } from '../../functions/streaming/sources/events';
import { createPushSource, type PushSource } from '../../functions/streaming/sources/push';
import { fromTextIterable } from '../../functions/streaming/sources/text-iterable';
import { REGION } from '../local-execute-api/helpers';
import {
  capturingLogger,
  expectGapFree,
  type LocalStack,
  openTab,
  quiet,
  startLocalStack,
  type Tab,
  waitUntil,
} from './local-stack';

const WAIT_MS = 10_000;
const POLL_MS = 50;
const LOOKUP_FAILED = 'could not read the session connections';

let stack: LocalStack;
/** The session table with DynamoDB down: a real client against a port where nothing listens. */
let downTable: SessionTable;
let downClient: DynamoDBClient;
let sessionCounter = 0;
const tabs: Tab[] = [];
const models: PushSource[] = [];
const answers: Promise<unknown>[] = [];

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

beforeAll(async () => {
  stack = await startLocalStack();
  downClient = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${await closedPort()}`,
    region: REGION,
    credentials: DEV_CREDENTIALS,
    maxAttempts: 1,
  });
  downTable = new SessionTable({
    client: downClient,
    tableName: stack.sessions.tableName,
    ttlSeconds: DEFAULT_SESSION_TTL_SECONDS,
  });
});

afterEach(async () => {
  for (const model of models.splice(0)) model.end();
  // bounded: a test that failed must not hold up the next one
  await Promise.race([
    Promise.allSettled(answers.splice(0)),
    new Promise((resolve) => setTimeout(resolve, WAIT_MS)),
  ]);
  await Promise.all(tabs.splice(0).map((tab) => tab.close()));
  stack.fault = () => undefined;
});

afterAll(async () => {
  downClient.destroy();
  await stack.stop();
});

function newSession(): string {
  sessionCounter++;
  return `watcher-test-${sessionCounter}-${Date.now()}`;
}

async function tab(sessionId: string, protocol: 'json' | 'text' = 'json'): Promise<Tab> {
  const opened = await openTab(stack, sessionId, protocol);
  tabs.push(opened);
  return opened;
}

function pushModel(): PushSource {
  const model = createPushSource();
  models.push(model);
  return model;
}

function publish(
  sessionId: string,
  source: PublishAnswerOptions['source'],
  extra: Partial<PublishAnswerOptions> = {},
): Promise<StreamResult> {
  const answer = publishAnswer({
    sessionId,
    source,
    table: stack.sessions.table,
    managementApi: stack.managementApi,
    logger: quiet,
    metrics: false,
    coalesceWindowMs: 0,
    textHoldMs: 0,
    sessionPollMs: POLL_MS,
    ...extra,
  });
  answers.push(answer);
  return answer;
}

type Lookup = (sessionId: string) => Promise<ConnectionRecord[]>;

/** The session table as the publisher sees it, with each lookup decided by `lookup(n)` (n from 1). */
function watchedTable(
  lookup: (n: number) => Lookup = () => (id) => stack.sessions.table.listConnections(id),
) {
  const reads: { n: number; records?: ConnectionRecord[]; failed?: boolean }[] = [];
  return {
    reads,
    table: {
      listConnections: async (id: string) => {
        const read: (typeof reads)[number] = { n: reads.length + 1 };
        reads.push(read);
        try {
          read.records = await lookup(read.n)(id);
          return read.records;
        } catch (error) {
          read.failed = true;
          throw error;
        }
      },
      deleteConnection: (id: string, connectionId: string) =>
        stack.sessions.table.deleteConnection(id, connectionId),
    },
  };
}

const live: Lookup = (id) => stack.sessions.table.listConnections(id);
const down: Lookup = (id) => downTable.listConnections(id);
const ended = (t: Tab) => () => t.frames().some((frame) => frame.type === 'end');
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('tabs that come and go while an answer streams', () => {
  it('a tab that joins mid-answer (json or text) gets what was said so far at the next poll, then the rest, each word once', async () => {
    // Prepare
    const sessionId = newSession();
    const first = await tab(sessionId);
    const model = pushModel();
    const answering = publish(sessionId, model.source);
    model.push('first ');
    await waitUntil(() => first.text() === 'first ', WAIT_MS);

    // Act: two tabs open mid-answer; the answer goes on once they caught up
    const lateJson = await tab(sessionId, 'json');
    const lateText = await tab(sessionId, 'text');
    await waitUntil(() => lateJson.text() === 'first ' && lateText.text() === 'first ', WAIT_MS);
    model.push('second');
    model.end();
    const result = await answering;
    await waitUntil(() => ended(lateJson)() && ended(first)(), WAIT_MS);

    // Assess
    expect(result.connections).toBe(3);
    expect(lateJson.text()).toBe('first second');
    expect(lateJson.frames()[0]?.type).toBe('start');
    expectGapFree(lateJson.frames());
    await waitUntil(() => lateText.text() === 'first second', WAIT_MS);
    expect(first.text()).toBe('first second');
  });

  it('a tab that leaves mid-answer is dropped at the next poll: nothing more is posted to it, and it is not counted as gone', async () => {
    // Prepare
    const sessionId = newSession();
    const leaving = await tab(sessionId);
    const staying = await tab(sessionId);
    const postsToLeaving: number[] = [];
    stack.fault = (request) => {
      if (request.method === 'POST' && request.connectionId === leaving.connectionId)
        postsToLeaving.push(Date.now());
      return undefined;
    };
    const { reads, table } = watchedTable();
    const model = pushModel();
    const answering = publish(sessionId, model.source, { table });
    model.push('first ');
    await waitUntil(() => leaving.text() === 'first ' && staying.text() === 'first ', WAIT_MS);
    const postsWhileOpen = postsToLeaving.length;

    // Act: the tab closes; once a poll no longer lists it, the answer goes on
    await leaving.close();
    await waitUntil(
      () =>
        reads.some(
          (read) => read.records && !read.records.some((r) => r.connectionId === leaving.connectionId),
        ),
      WAIT_MS,
    );
    model.push('second');
    model.end();
    const result = await answering;
    await waitUntil(ended(staying), WAIT_MS);

    // Assess
    expect(postsToLeaving).toHaveLength(postsWhileOpen);
    expect(result.goneConnections).toBe(0);
    expect(staying.text()).toBe('first second');
    expect(result.text).toBe('first second');
  });
});

describe('cancel', () => {
  it('is acted on at the first poll that sees it: the model is stopped, the tab gets end "cancelled", Lex gets the partial text marked as stopped', async () => {
    // Prepare: a model that says one thing, then waits until it is stopped (or, if the cancel were
    // ignored, until three polls have seen it or the wait ran out, so a broken build fails instead of hanging)
    const sessionId = newSession();
    const jsonTab = await tab(sessionId);
    const { reads, table } = watchedTable();
    const readsWithCancel = () =>
      reads.filter((read) => read.records?.some((r) => r.cancelRequestedAt)).length;
    let modelStopped = false;
    const source = (signal: AbortSignal): AsyncIterable<StreamEvent> =>
      (async function* () {
        yield { type: 'text', text: 'first ' };
        const deadline = Date.now() + WAIT_MS;
        while (!signal.aborted && readsWithCancel() < 3 && Date.now() < deadline) await pause(10);
        modelStopped = signal.aborted;
        yield { type: 'text', text: 'never sent' };
      })();
    const answering = publish(sessionId, source, { table, sessionPollMs: 100 });
    await waitUntil(() => jsonTab.text() === 'first ', WAIT_MS);

    // Act
    jsonTab.send({ action: 'cancel' });
    const result = await answering;
    await waitUntil(ended(jsonTab), WAIT_MS);

    // Assess
    expect(readsWithCancel()).toBe(1);
    expect(result.cancelled).toBe(true);
    expect(result.stopReason).toBe('cancelled');
    expect(result.text).toBe(`first\n\n${STOPPED_NOTE}`);
    expect(jsonTab.text()).toBe('first ');
    expect(jsonTab.frames().at(-1)).toMatchObject({ type: 'end', stopReason: 'cancelled' });
    await waitUntil(() => modelStopped, WAIT_MS);

    // Act + Assess: the next question of the session is not stopped by that earlier cancel
    const next = await publish(sessionId, fromTextIterable(['next ', 'answer']));
    expect(next.cancelled).toBe(false);
    expect(next.stopReason).toBe('end_turn');
    expect(next.text).toBe('next answer');
  });
});

describe('when the session table cannot be read', () => {
  it('with DynamoDB down for the whole answer, Lex still gets the whole answer and the log says why nothing streamed', async () => {
    // Prepare: a tab registered while the table was up
    const sessionId = newSession();
    const jsonTab = await tab(sessionId);
    const { logger, find } = capturingLogger();
    const { table } = watchedTable(() => down);

    // Act
    const result = await publish(sessionId, fromTextIterable(['the ', 'answer']), { table, logger });

    // Assess
    expect(result.text).toBe('the answer');
    expect(result.stopReason).toBe('end_turn');
    expect(result.connections).toBe(0);
    expect(jsonTab.messages).toEqual([]);
    expect(find(LOOKUP_FAILED).length).toBeGreaterThan(0);
    expect(find(LOOKUP_FAILED)[0]).toMatchObject({
      level: 'warn',
      error: expect.objectContaining({ message: expect.any(String) }),
    });
  });

  it('a first lookup that fails is made up for at the next poll: the tab gets the whole answer', async () => {
    // Prepare
    const sessionId = newSession();
    const jsonTab = await tab(sessionId);
    const { logger, find } = capturingLogger();
    const { reads, table } = watchedTable((n) => (n === 1 ? down : live));
    const model = pushModel();
    const answering = publish(sessionId, model.source, { table, logger });

    // Act
    model.push('first ');
    await waitUntil(() => jsonTab.text() === 'first ', WAIT_MS);
    model.push('second');
    model.end();
    const result = await answering;
    await waitUntil(ended(jsonTab), WAIT_MS);

    // Assess
    expect(reads[0]?.failed).toBe(true);
    expect(jsonTab.text()).toBe('first second');
    expectGapFree(jsonTab.frames());
    expect(result.text).toBe('first second');
    expect(find(LOOKUP_FAILED)).toHaveLength(1);
  });

  it('lookups failing mid-answer keep the tabs already known: the tab gets the whole answer, the failures are logged', async () => {
    // Prepare
    const sessionId = newSession();
    const jsonTab = await tab(sessionId);
    const { logger, find } = capturingLogger();
    const { reads, table } = watchedTable((n) => (n === 1 ? live : down));
    const model = pushModel();
    const answering = publish(sessionId, model.source, { table, logger });
    model.push('first ');
    await waitUntil(() => jsonTab.text() === 'first ', WAIT_MS);

    // Act: the table goes down; the answer goes on after a poll failed
    await waitUntil(() => reads.some((read) => read.failed), WAIT_MS);
    model.push('second');
    model.end();
    const result = await answering;
    await waitUntil(ended(jsonTab), WAIT_MS);

    // Assess
    expect(jsonTab.text()).toBe('first second');
    expect(result.connections).toBe(1);
    expect(result.text).toBe('first second');
    expect(find(LOOKUP_FAILED).length).toBeGreaterThan(0);
  });
});

describe('once the answer has returned', () => {
  it('the session is no longer polled, and a tab that opens afterwards gets nothing of that answer', async () => {
    // Prepare
    const sessionId = newSession();
    await tab(sessionId);
    const { reads, table } = watchedTable();

    // Act
    const result = await publish(sessionId, fromTextIterable(['done']), { table });
    const readsAtReturn = reads.length;
    const later = await tab(sessionId);
    await pause(10 * POLL_MS);

    // Assess
    expect(result.text).toBe('done');
    expect(reads).toHaveLength(readsAtReturn);
    expect(later.messages).toEqual([]);
  });

  it('a lookup still in flight when the answer returns starts nothing, even when it finds a new tab', async () => {
    // Prepare: the first lookup answers at once, the next ones are held until the test lets them go
    const sessionId = newSession();
    await tab(sessionId);
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const { reads, table } = watchedTable((n) =>
      n === 1
        ? live
        : async (id) => {
            await held;
            return live(id);
          },
    );
    const source = (async function* (): AsyncIterable<StreamEvent> {
      yield { type: 'text', text: 'done' };
      await waitUntil(() => reads.length >= 2, WAIT_MS); // a poll is now in flight
    })();
    const result = await publish(sessionId, source, { table });

    // Act: a tab opens, then the held lookup returns (listing it)
    const later = await tab(sessionId);
    release();
    await waitUntil(() => reads[1]?.records !== undefined, WAIT_MS);
    await pause(10 * POLL_MS);

    // Assess
    expect(result.text).toBe('done');
    expect(reads[1]?.records?.map((record) => record.connectionId)).toContain(later.connectionId);
    expect(later.messages).toEqual([]);
    expect(reads).toHaveLength(2);
  });
});
