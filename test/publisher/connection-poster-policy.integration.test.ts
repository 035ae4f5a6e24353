/**
 * ConnectionPoster (functions/streaming/pipeline/connection-poster.ts, a library export) driven
 * directly against the local execute-api: a real SDK client, real status codes and
 * `x-amzn-errortype`, real sockets. Each `@connections` answer is classified by its error name or,
 * failing that, its status code; what follows is seen in what the tab receives, the poster's
 * state and stats, and the log line an operator reads.
 */
import { createServer } from 'node:net';
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import type { ConnectionsFault, ConnectionsRequest } from '../../cli/local-stack/execute-api';
import {
  ConnectionPoster,
  type ConnectionPosterOptions,
} from '../../functions/streaming/pipeline/connection-poster';
import { REGION } from '../local-execute-api/helpers';
import {
  capturingLogger,
  type LocalStack,
  openTab,
  startLocalStack,
  type Tab,
  waitUntil,
} from './local-stack';

const WAIT_MS = 10_000;
const STOPS = '; streaming to this connection stops (the answer still returns via Lex)';

let stack: LocalStack;
let counter = 0;
const tabs: Tab[] = [];
const posters: ConnectionPoster[] = [];

beforeAll(async () => {
  stack = await startLocalStack();
});

afterEach(async () => {
  for (const poster of posters.splice(0)) poster.stop();
  await Promise.all(tabs.splice(0).map((tab) => tab.close()));
  stack.fault = () => undefined;
  stack.latencyMs = 0;
});

afterAll(async () => {
  await stack.stop();
});

async function tab(protocol: 'json' | 'text' = 'json'): Promise<Tab> {
  counter++;
  const opened = await openTab(stack, `policy-${counter}-${Date.now()}`, protocol);
  tabs.push(opened);
  return opened;
}

function poster(target: Tab, options: Partial<ConnectionPosterOptions> = {}) {
  const { logger, lines, find } = capturingLogger();
  const created = new ConnectionPoster({
    client: stack.managementApi,
    sessionId: 'session',
    connectionId: target.connectionId,
    protocol: 'text',
    turnId: 'turn',
    logger,
    retry: { baseDelayMs: 1, maxDelayMs: 2 },
    ...options,
  });
  posters.push(created);
  return { poster: created, lines, find };
}

/** POSTs to `connectionId` get `answer(n)` (n from 1); returns the POSTs made. */
function faultPostsTo(connectionId: string, answer: (n: number) => ConnectionsFault | undefined): number[] {
  const posts: number[] = [];
  stack.fault = (request: ConnectionsRequest) => {
    if (request.method !== 'POST' || request.connectionId !== connectionId) return undefined;
    posts.push(Date.now());
    return answer(posts.length);
  };
  return posts;
}

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('each @connections answer, by error name or status code (the first 3 posts get it)', () => {
  const throttled = { state: 'open', posts: 4, delivered: 1, throttled: 3, failures: 0, text: 'hello' };
  const refused = { state: 'failed', posts: 1, delivered: 0, throttled: 0, failures: 0, text: '' };
  const failing = { state: 'failed', posts: 3, delivered: 0, throttled: 0, failures: 3, text: '' };
  const gone = { state: 'gone', posts: 1, delivered: 0, throttled: 0, failures: 0, text: '' };
  it.each([
    ['429 of any name: throttled, retried until delivered', 429, 'SomeNewException', throttled, undefined],
    ['LimitExceededException: throttled', 400, 'LimitExceededException', throttled, undefined],
    ['TooManyRequestsException: throttled', 400, 'TooManyRequestsException', throttled, undefined],
    ['ThrottlingException: throttled', 400, 'ThrottlingException', throttled, undefined],
    ['403 of any name: refused, never retried', 403, 'SomeNewException', refused, 'post refused'],
    ['413 of any name: refused', 413, 'SomeNewException', refused, 'post refused'],
    ['ForbiddenException: refused', 400, 'ForbiddenException', refused, 'post refused'],
    ['PayloadTooLargeException: refused', 400, 'PayloadTooLargeException', refused, 'post refused'],
    ['410 of any name: the tab is gone', 410, 'SomeNewException', gone, undefined],
    ['GoneException: the tab is gone', 400, 'GoneException', gone, undefined],
    [
      'anything else: 1 try + 2 retries, then given up',
      400,
      'BadRequestException',
      failing,
      'post kept failing',
    ],
  ])('%s', async (_name, statusCode, errorType, expected, warning) => {
    // Prepare
    const target = await tab('text');
    const gonePosts: string[] = [];
    const { poster: subject, lines } = poster(target, { onGone: (id) => void gonePosts.push(id) });
    const posts = faultPostsTo(target.connectionId, (n) => (n <= 3 ? { statusCode, errorType } : undefined));
    // Act
    subject.enqueue({ kind: 'text', text: 'hello' });
    await subject.idle();
    subject.enqueue({ kind: 'text', text: ' more' });
    await subject.idle();
    // Assess
    const { state, text, ...stats } = expected;
    const more = state === 'open' ? ' more' : '';
    await waitUntil(() => target.messages.join('') === text + more, WAIT_MS);
    expect(subject.state).toBe(state);
    expect(subject.stats).toEqual({
      ...stats,
      posts: stats.posts + (more ? 1 : 0),
      delivered: stats.delivered + (more ? 1 : 0),
    });
    expect(posts).toHaveLength(stats.posts + (more ? 1 : 0));
    expect(gonePosts).toEqual(state === 'gone' ? [target.connectionId] : []);
    const warnings = lines.filter((line) => line.level === 'warn');
    expect(warnings).toEqual(
      warning
        ? [
            expect.objectContaining({
              message: `${warning}${STOPS}`,
              connectionId: target.connectionId,
              error: expect.objectContaining({ name: errorType }),
            }),
          ]
        : [],
    );
    if (state === 'gone') {
      expect(lines).toEqual([
        expect.objectContaining({
          level: 'info',
          message: 'connection gone; forgetting it',
          connectionId: target.connectionId,
        }),
      ]);
    }
  });

  it.each([
    ['logged', true],
    ['quiet without a logger', false],
  ])('a failing onGone is %s, and the tab is still given up as gone', async (_name, withLogger) => {
    const target = await tab();
    const { poster: subject, find } = poster(target, {
      ...(withLogger ? {} : { logger: undefined }),
      onGone: () => {
        throw new Error('table down');
      },
    });
    faultPostsTo(target.connectionId, () => ({ statusCode: 410, errorType: 'GoneException' }));
    subject.enqueue({ kind: 'text', text: 'x' });
    await subject.idle();
    expect(subject.state).toBe('gone');
    expect(find('could not delete gone connection')).toEqual(
      withLogger
        ? [
            expect.objectContaining({
              level: 'warn',
              connectionId: target.connectionId,
              error: expect.objectContaining({ message: 'table down' }),
            }),
          ]
        : [],
    );
  });

  it('a gateway that cannot be reached counts as failing: retried twice, then given up', async () => {
    // Prepare: a client for a port where nothing listens
    const target = await tab();
    const client = new ApiGatewayManagementApiClient({
      endpoint: `http://127.0.0.1:${await closedPort()}`,
      region: REGION,
      credentials: DEV_CREDENTIALS,
      maxAttempts: 1,
    });
    const { poster: subject, find } = poster(target, { client });
    // Act
    subject.enqueue({ kind: 'text', text: 'hello' });
    await subject.idle();
    client.destroy();
    // Assess
    expect(subject.state).toBe('failed');
    expect(subject.stats).toEqual({ posts: 3, delivered: 0, throttled: 0, failures: 3 });
    expect(find(`post kept failing${STOPS}`)).toHaveLength(1);
  });
});

describe('retry budgets and backoff', () => {
  it('throttleRetries and failureRetries are honoured', async () => {
    const target = await tab();
    const throttledOnce = poster(target, { retry: { throttleRetries: 1, baseDelayMs: 1, maxDelayMs: 2 } });
    const posts = faultPostsTo(target.connectionId, () => ({
      statusCode: 429,
      errorType: 'LimitExceededException',
    }));
    throttledOnce.poster.enqueue({ kind: 'text', text: 'x' });
    await throttledOnce.poster.idle();
    expect(posts).toHaveLength(2);
    expect(throttledOnce.find(`throttled too often${STOPS}`)).toHaveLength(1);

    const failingTab = await tab();
    const noRetry = poster(failingTab, { retry: { failureRetries: 0 } });
    const failed = faultPostsTo(failingTab.connectionId, () => ({
      statusCode: 500,
      errorType: 'InternalServerErrorException',
    }));
    noRetry.poster.enqueue({ kind: 'text', text: 'x' });
    await noRetry.poster.idle();
    expect(failed).toHaveLength(1);
    expect(noRetry.poster.state).toBe('failed');
  });

  it('waits a jittered, growing backoff between retries, by default from 50 ms', async () => {
    // Prepare: the random part pinned near its top: waits just under 50, 100, 200 ms
    const target = await tab();
    const { poster: subject } = poster(target, { retry: { random: () => 0.999 } });
    const posts = faultPostsTo(target.connectionId, (n) =>
      n <= 3 ? { statusCode: 500, errorType: 'X' } : undefined,
    );
    // Act
    subject.enqueue({ kind: 'text', text: 'x' });
    await subject.idle();
    // Assess: 1 try + 2 retries (the default failure budget), each after its wait
    expect(posts).toHaveLength(3);
    const gaps = posts.slice(1).map((at, index) => at - (posts[index] as number));
    expect(gaps[0]).toBeGreaterThanOrEqual(40);
    expect(gaps[1]).toBeGreaterThanOrEqual(90);
  });
});

describe('stop', () => {
  it('aborts a post in flight and cuts a backoff short: idle resolves at once, nothing more is posted', async () => {
    // Prepare: posts held 10 s
    const target = await tab();
    const { poster: subject, lines } = poster(target, { retry: { failureRetries: 0 } });
    let answered = false;
    stack.latencyMs = () => 10_000;
    faultPostsTo(target.connectionId, () => {
      answered = true;
      return undefined;
    });
    subject.enqueue({ kind: 'text', text: 'held' });
    await waitUntil(() => subject.stats.posts === 1, WAIT_MS);
    // Act
    const before = Date.now();
    subject.stop();
    await subject.idle();
    subject.enqueue({ kind: 'text', text: 'ignored' });
    await subject.idle();
    // Assess: an abort is neither a failure nor a warning
    expect(Date.now() - before).toBeLessThan(5_000);
    expect(answered).toBe(false);
    expect(subject.state).toBe('closed');
    expect(subject.stats).toEqual({ posts: 1, delivered: 0, throttled: 0, failures: 0 });
    expect(lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('during a 10 s backoff: returns at once without another post', async () => {
    const target = await tab();
    const { poster: subject } = poster(target, {
      retry: { baseDelayMs: 10_000, maxDelayMs: 10_000, random: () => 0.999 },
    });
    const posts = faultPostsTo(target.connectionId, () => ({
      statusCode: 429,
      errorType: 'LimitExceededException',
    }));
    subject.enqueue({ kind: 'text', text: 'x' });
    await waitUntil(() => posts.length === 1, WAIT_MS);
    const before = Date.now();
    subject.stop('gone');
    await subject.idle();
    expect(Date.now() - before).toBeLessThan(5_000);
    expect(posts).toHaveLength(1);
    expect(subject.stats.posts).toBe(1);
    expect(subject.state).toBe('gone');
  });

  it('keeps the state it stopped in (a failed poster stays failed)', async () => {
    const target = await tab();
    const { poster: subject } = poster(target);
    faultPostsTo(target.connectionId, () => ({ statusCode: 403, errorType: 'ForbiddenException' }));
    subject.enqueue({ kind: 'text', text: 'x' });
    await subject.idle();
    subject.stop('closed');
    expect(subject.state).toBe('failed');
  });
});

describe('queued text', () => {
  it('is merged into one message while a post is slow, up to half a frame, in order', async () => {
    // Prepare: text tab, 200-byte frames (merging up to 100 bytes); the first post held 500 ms
    const target = await tab('text');
    const { poster: subject } = poster(target, { maxFrameBytes: 200 });
    let first = true;
    stack.latencyMs = (request) => {
      if (request.method !== 'POST' || !first) return 0;
      first = false;
      return 500;
    };
    const parts = ['0', 'a', 'b', 'c', 'd'].map((letter) => letter.repeat(60));
    // Act
    for (const part of parts) subject.enqueue({ kind: 'text', text: part });
    await subject.idle();
    // Assess
    await waitUntil(() => target.messages.length === 3, WAIT_MS);
    expect(target.messages).toEqual([parts[0], `${parts[1]}${parts[2]}`, `${parts[3]}${parts[4]}`]);
    expect(subject.stats).toEqual({ posts: 3, delivered: 3, throttled: 0, failures: 0 });
  });

  it('json frames are numbered from 0 without gaps; framesEncoded counts them', async () => {
    const target = await tab('json');
    const { poster: subject } = poster(target, { protocol: 'json' });
    expect(subject.framesEncoded).toBe(0);
    await subject.idle();
    subject.enqueue({ kind: 'start' });
    subject.enqueue({ kind: 'text', text: 'hi' });
    subject.enqueue({ kind: 'citations', citations: [{ sources: [{ uri: 'u' }] }] });
    subject.enqueue({ kind: 'text', text: ' there' });
    await subject.idle();
    await waitUntil(() => target.frames().length === 4, WAIT_MS);
    expect(target.frames().map((frame) => [frame.seq, frame.type])).toEqual([
      [0, 'start'],
      [1, 'delta'],
      [2, 'citation'],
      [3, 'delta'],
    ]);
    expect(subject.framesEncoded).toBe(4);
    expect(subject.protocol).toBe('json');
    expect(subject.connectionId).toBe(target.connectionId);
  });
});

describe('a publisher that gives no logger or no onGone (both optional)', () => {
  it('without a logger, a gone tab is still forgotten through onGone and nothing more is posted to it', async () => {
    // Prepare
    const target = await tab();
    const gonePosts: string[] = [];
    const { poster: subject } = poster(target, {
      logger: undefined,
      onGone: (id) => void gonePosts.push(id),
    });
    const posts = faultPostsTo(target.connectionId, () => ({ statusCode: 410, errorType: 'GoneException' }));

    // Act
    subject.enqueue({ kind: 'text', text: 'x' });
    await subject.idle();
    subject.enqueue({ kind: 'text', text: 'y' });
    await subject.idle();

    // Assess
    expect(subject.state).toBe('gone');
    expect(gonePosts).toEqual([target.connectionId]);
    expect(posts).toHaveLength(1);
  });

  it('without onGone, a gone tab is given up with the one info line and no warning', async () => {
    // Prepare
    const target = await tab();
    const { poster: subject, lines } = poster(target);
    faultPostsTo(target.connectionId, () => ({ statusCode: 410, errorType: 'GoneException' }));

    // Act
    subject.enqueue({ kind: 'text', text: 'x' });
    await subject.idle();

    // Assess
    expect(subject.state).toBe('gone');
    expect(lines).toEqual([
      expect.objectContaining({ level: 'info', message: 'connection gone; forgetting it' }),
    ]);
  });

  it('without a logger, a refused post stops the tab: idle resolves and nothing more is posted', async () => {
    // Prepare
    const target = await tab();
    const { poster: subject } = poster(target, { logger: undefined });
    const posts = faultPostsTo(target.connectionId, () => ({
      statusCode: 403,
      errorType: 'ForbiddenException',
    }));

    // Act
    subject.enqueue({ kind: 'text', text: 'x' });
    await expect(subject.idle()).resolves.toBeUndefined();
    subject.enqueue({ kind: 'text', text: 'y' });
    await subject.idle();

    // Assess
    expect(subject.state).toBe('failed');
    expect(posts).toHaveLength(1);
    expect(target.messages).toEqual([]);
  });
});
