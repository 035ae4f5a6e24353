/**
 * SessionWatcher (functions/streaming/pipeline/session-watcher.ts) on its own, against the local
 * session table (dynalite) and real tabs through the local execute-api and connection routes: what
 * it reports (the session's tabs, a cancel newer than the turn), when it reads, and that nothing is
 * read or left running once it is stopped.
 */
import type { ConnectionRecord } from '../../functions/shared/session-table';
import { SessionWatcher } from '../../functions/streaming/pipeline/session-watcher';
import {
  capturingLogger,
  type LocalStack,
  openTab,
  startLocalStack,
  type Tab,
  waitUntil,
} from './local-stack';

const WAIT_MS = 10_000;
const POLL_MS = 50;
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;

let stack: LocalStack;
let counter = 0;
const tabs: Tab[] = [];
const watchers: SessionWatcher[] = [];

beforeAll(async () => {
  stack = await startLocalStack();
});

afterEach(async () => {
  for (const watcher of watchers.splice(0)) watcher.stop();
  await Promise.all(tabs.splice(0).map((tab) => tab.close()));
});

afterAll(async () => {
  await stack.stop();
});

function newSession(): string {
  counter++;
  return `watcher-direct-${counter}-${Date.now()}`;
}

async function tab(sessionId: string): Promise<Tab> {
  const opened = await openTab(stack, sessionId, 'json');
  tabs.push(opened);
  return opened;
}

function watch(sessionId: string, extra: { turnStartedAt?: number; failing?: (n: number) => boolean } = {}) {
  const seen: string[][] = [];
  const cancels: number[] = [];
  let lookups = 0;
  const { logger, find } = capturingLogger();
  const watcher = new SessionWatcher({
    table: {
      listConnections: async (id: string): Promise<ConnectionRecord[]> => {
        lookups++;
        if (extra.failing?.(lookups)) throw new Error('DynamoDB unavailable');
        return stack.sessions.table.listConnections(id);
      },
    },
    sessionId,
    turnStartedAt: extra.turnStartedAt ?? Date.now(),
    pollMs: POLL_MS,
    onConnections: (records) => seen.push(records.map((record) => record.connectionId).sort()),
    onCancel: (at) => cancels.push(at),
    logger,
  });
  watchers.push(watcher);
  return { watcher, seen, cancels, find, lookups: () => lookups };
}

describe('SessionWatcher', () => {
  it('reads at once, then every poll: a tab that opens later is reported; start twice reads once', async () => {
    // Prepare
    const sessionId = newSession();
    const first = await tab(sessionId);
    const { watcher, seen, lookups } = watch(sessionId);
    // Act
    const started = watcher.start();
    const again = watcher.start();
    // Assess
    expect(again).toBe(started);
    await expect(started).resolves.toBe(true);
    expect(lookups()).toBe(1);
    expect(watcher.reads).toBe(1);
    expect(seen).toEqual([[first.connectionId]]);
    const second = await tab(sessionId);
    await waitUntil(() => seen.at(-1)?.length === 2, WAIT_MS);
    expect(seen.at(-1)).toEqual([first.connectionId, second.connectionId].sort());
    expect(watcher.reads).toBe(lookups());
    expect(watcher.reads).toBeGreaterThan(1);
  });

  it('reports a cancel made after the turn started, with its time, and none before it', async () => {
    // Prepare
    const sessionId = newSession();
    const browser = await tab(sessionId);
    const startedAt = Date.now();
    const { watcher, cancels } = watch(sessionId, { turnStartedAt: startedAt });
    await watcher.start();
    await pause(3 * POLL_MS);
    expect(cancels).toEqual([]);
    // Act
    browser.send({ action: 'cancel' });
    // Assess
    await waitUntil(() => cancels.length > 0, WAIT_MS);
    expect(cancels[0]).toBeGreaterThanOrEqual(startedAt);
    expect(cancels[0]).toBeLessThanOrEqual(Date.now());
  });

  it('ignores a cancel older than the turn (it stopped an earlier answer)', async () => {
    // Prepare: the cancel is sent, then the turn starts
    const sessionId = newSession();
    const browser = await tab(sessionId);
    browser.send({ action: 'cancel' });
    let cancelledAt: number | undefined;
    for (const deadline = Date.now() + WAIT_MS; cancelledAt === undefined && Date.now() < deadline; ) {
      cancelledAt = (await stack.sessions.table.listConnections(sessionId))[0]?.cancelRequestedAt;
      if (cancelledAt === undefined) await pause(20);
    }
    expect(cancelledAt).toBeDefined();
    const { watcher, cancels, seen } = watch(sessionId, { turnStartedAt: (cancelledAt as number) + 1 });
    // Act
    await watcher.start();
    await waitUntil(() => seen.length >= 3, WAIT_MS);
    // Assess
    expect(cancels).toEqual([]);
  });

  it('a failing read resolves start with false and is logged; the next poll reads again', async () => {
    // Prepare
    const sessionId = newSession();
    const browser = await tab(sessionId);
    const { watcher, seen, find } = watch(sessionId, { failing: (n) => n === 1 });
    // Act
    const ok = await watcher.start();
    // Assess
    expect(ok).toBe(false);
    expect(find('could not read the session connections')).toEqual([
      expect.objectContaining({
        level: 'warn',
        error: expect.objectContaining({ message: 'DynamoDB unavailable' }),
      }),
    ]);
    expect(seen).toEqual([]);
    await waitUntil(() => seen.length > 0, WAIT_MS);
    expect(seen[0]).toEqual([browser.connectionId]);
  });

  it('stopped before it started: reads nothing and reports nothing', async () => {
    const sessionId = newSession();
    await tab(sessionId);
    const { watcher, seen, lookups } = watch(sessionId);
    watcher.stop();
    await expect(watcher.start()).resolves.toBe(false);
    await pause(3 * POLL_MS);
    expect(lookups()).toBe(0);
    expect(seen).toEqual([]);
  });

  it('stopped: no more reads, and no timer left running', async () => {
    // Prepare
    const sessionId = newSession();
    await tab(sessionId);
    const before = timers();
    const { watcher, lookups } = watch(sessionId);
    await watcher.start();
    await pause(2 * POLL_MS);
    // Act
    watcher.stop();
    await pause(POLL_MS); // a read in flight at stop ends
    const reads = lookups();
    await pause(4 * POLL_MS);
    // Assess
    expect(lookups()).toBe(reads);
    expect(timers()).toBeLessThanOrEqual(before);
  });
});
