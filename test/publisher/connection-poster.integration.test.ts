/**
 * How the publisher's per-connection poster reacts to each `@connections` answer, seen where a user
 * or an operator sees it: what reaches each tab's socket, what the publisher returns for Lex, and the
 * log line that says why a tab stopped. The faults come from the local execute-api (real SDK client,
 * real HTTP status codes and `x-amzn-errortype`), injected per connection.
 */

import type { ConnectionsFault, ConnectionsRequest } from '../../cli/local-stack/execute-api';
import type { Frame } from '../../functions/protocol/frames';
import {
  type PublishAnswerOptions,
  publishAnswer,
  type StreamResult,
} from '../../functions/streaming/pipeline/publisher';
import { END_OF_TEXT_MARKER } from '../../functions/streaming/pipeline/text-protocol';
import { createPushSource, type PushSource } from '../../functions/streaming/sources/push';
import { fromTextIterable } from '../../functions/streaming/sources/text-iterable';
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

const FRAME_LIMIT = 32 * 1024;
/** Bounded waits: generous, so a busy machine passes; they only end early when something broke. */
const WAIT_MS = 10_000;
const STOPS = '; streaming to this connection stops (the answer still returns via Lex)';

let stack: LocalStack;
let sessionCounter = 0;
const tabs: Tab[] = [];
/** Models and answers still running when a test ends (it failed): ended and awaited in afterEach. */
const models: PushSource[] = [];
const answers: Promise<unknown>[] = [];

beforeAll(async () => {
  stack = await startLocalStack();
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
  stack.latencyMs = 0;
});

afterAll(async () => {
  await stack.stop();
});

function newSession(): string {
  sessionCounter++;
  return `poster-test-${sessionCounter}-${Date.now()}`;
}

async function tab(sessionId: string, protocol: 'json' | 'text' = 'json'): Promise<Tab> {
  const opened = await openTab(stack, sessionId, protocol);
  tabs.push(opened);
  return opened;
}

/** Every piece the model pushes is posted at once (no coalescing window), so each step is one post. */
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
    sessionPollMs: 100,
    ...extra,
  });
  answers.push(answer);
  return answer;
}

function pushModel(): PushSource {
  const model = createPushSource();
  models.push(model);
  return model;
}

/**
 * From now on, POSTs to `connectionId` get `answer(n)` (n counts them from 1; undefined = delivered).
 * Returns the POSTs made to it since, with the time the gateway answered each.
 */
function faultPostsTo(
  connectionId: string,
  answer: (n: number) => ConnectionsFault | undefined,
): { at: number; fault?: ConnectionsFault }[] {
  const posts: { at: number; fault?: ConnectionsFault }[] = [];
  stack.fault = (request: ConnectionsRequest) => {
    if (request.method !== 'POST' || request.connectionId !== connectionId) return undefined;
    const fault = answer(posts.length + 1);
    posts.push({ at: Date.now(), ...(fault ? { fault } : {}) });
    return fault;
  };
  return posts;
}

const ended = (t: Tab) => () => t.frames().some((frame) => frame.type === 'end');
const types = (frames: Frame[]) => frames.map((frame) => frame.type);

describe('a tab whose posts are refused for good', () => {
  it.each([
    [403, 'ForbiddenException'],
    [413, 'PayloadTooLargeException'],
  ])(
    '%i %s: one try, no retry, nothing more to that tab; the other tab and Lex get the whole answer, and the log says why',
    async (statusCode, errorType) => {
      // Prepare: two tabs; both have the first words
      const sessionId = newSession();
      const refused = await tab(sessionId);
      const healthy = await tab(sessionId);
      const { logger, find } = capturingLogger();
      const model = pushModel();
      const answering = publish(sessionId, model.source, { logger });
      model.push('first ');
      await waitUntil(() => refused.text() === 'first ' && healthy.text() === 'first ', WAIT_MS);
      const posts = faultPostsTo(refused.connectionId, () => ({ statusCode, errorType }));

      // Act: the next post to the first tab is refused; the model goes on
      model.push('second ');
      await waitUntil(() => find(`post refused${STOPS}`).length > 0, WAIT_MS);
      model.push('third');
      model.end();
      const result = await answering;
      await waitUntil(ended(healthy), WAIT_MS);

      // Assess: exactly one refused post, none after it; the refused tab keeps what it had
      expect(posts).toHaveLength(1);
      expect(refused.text()).toBe('first ');
      expect(types(refused.frames())).toEqual(['start', 'status', 'delta']);
      expect(healthy.text()).toBe('first second third');
      expectGapFree(healthy.frames());
      expect(result.text).toBe('first second third');
      expect(result.stopReason).toBe('end_turn');
      expect(find(`post refused${STOPS}`)).toEqual([
        expect.objectContaining({
          level: 'warn',
          connectionId: refused.connectionId,
          error: expect.objectContaining({ name: errorType, statusCode }),
        }),
      ]);
    },
  );
});

describe('5xx answers', () => {
  it('are retried: the tab gets every word once, in order, and the retries are counted as posts', async () => {
    // Prepare
    const sessionId = newSession();
    const flaky = await tab(sessionId);
    const healthy = await tab(sessionId);
    const { logger, lines } = capturingLogger();
    const model = pushModel();
    const answering = publish(sessionId, model.source, {
      logger,
      posterRetry: { baseDelayMs: 5, maxDelayMs: 20 },
    });
    model.push('first ');
    await waitUntil(() => flaky.text() === 'first ', WAIT_MS);
    // the next message fails twice (500, then 503) before the gateway takes it
    const posts = faultPostsTo(flaky.connectionId, (n) =>
      n === 1
        ? { statusCode: 500, errorType: 'InternalServerErrorException' }
        : n === 2
          ? { statusCode: 503, errorType: 'ServiceUnavailableException' }
          : undefined,
    );

    // Act
    model.push('second ');
    model.push('third');
    model.end();
    const result = await answering;
    await waitUntil(() => ended(flaky)() && ended(healthy)(), WAIT_MS);

    // Assess
    expect(flaky.text()).toBe('first second third');
    expectGapFree(flaky.frames());
    expect(healthy.text()).toBe('first second third');
    expect(posts.filter((post) => post.fault)).toHaveLength(2);
    expect(result.posts).toBe(flaky.messages.length + healthy.messages.length + 2);
    expect(lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('stop after the retry budget (1 try + 2 retries): nothing more to that tab, the log says so, Lex still gets the answer', async () => {
    // Prepare
    const sessionId = newSession();
    const broken = await tab(sessionId);
    const healthy = await tab(sessionId);
    const { logger, find } = capturingLogger();
    const model = pushModel();
    const answering = publish(sessionId, model.source, {
      logger,
      posterRetry: { baseDelayMs: 5, maxDelayMs: 20 },
    });
    model.push('first ');
    await waitUntil(() => broken.text() === 'first ', WAIT_MS);
    const posts = faultPostsTo(broken.connectionId, () => ({
      statusCode: 502,
      errorType: 'BadGatewayException',
    }));

    // Act
    model.push('second ');
    await waitUntil(() => find(`post kept failing${STOPS}`).length > 0, WAIT_MS);
    model.push('third');
    model.end();
    const result = await answering;
    await waitUntil(ended(healthy), WAIT_MS);

    // Assess
    expect(posts).toHaveLength(3);
    expect(broken.text()).toBe('first ');
    expect(healthy.text()).toBe('first second third');
    expect(result.text).toBe('first second third');
    expect(result.stopReason).toBe('end_turn');
    expect(find(`post kept failing${STOPS}`)).toEqual([
      expect.objectContaining({
        level: 'warn',
        connectionId: broken.connectionId,
        error: expect.objectContaining({ statusCode: 502 }),
      }),
    ]);
  });
});

describe('429 throttling', () => {
  it('is retried after a jittered backoff (never at once), and the text arrives whole and in order', async () => {
    // Prepare: the backoff's random part pinned near its top, so each wait is just under 40 ms
    const sessionId = newSession();
    const throttled = await tab(sessionId);
    const model = pushModel();
    const answering = publish(sessionId, model.source, {
      posterRetry: { baseDelayMs: 40, maxDelayMs: 40, random: () => 0.999 },
    });
    model.push('first ');
    await waitUntil(() => throttled.text() === 'first ', WAIT_MS);
    const posts = faultPostsTo(throttled.connectionId, (n) =>
      n <= 3 ? { statusCode: 429, errorType: 'LimitExceededException' } : undefined,
    );

    // Act
    model.push('second');
    model.end();
    const result = await answering;
    await waitUntil(ended(throttled), WAIT_MS);

    // Assess: 3 refusals, then delivered; each retry came a backoff after the refusal before it
    expect(throttled.text()).toBe('first second');
    expectGapFree(throttled.frames());
    expect(result.text).toBe('first second');
    const attempts = posts.slice(0, 4).map((post) => post.at);
    expect(attempts).toHaveLength(4);
    for (let index = 1; index < attempts.length; index++) {
      expect((attempts[index] as number) - (attempts[index - 1] as number)).toBeGreaterThanOrEqual(30);
    }
  });

  it('is not retried forever: after 1 try + 8 retries the tab is given up, the log says so, and Lex gets the answer', async () => {
    // Prepare: a tab that answers 429 to everything from now on
    const sessionId = newSession();
    const throttled = await tab(sessionId);
    const healthy = await tab(sessionId);
    const { logger, find } = capturingLogger();
    const model = pushModel();
    const answering = publish(sessionId, model.source, {
      logger,
      posterRetry: { baseDelayMs: 1, maxDelayMs: 4 },
    });
    model.push('first ');
    await waitUntil(() => throttled.text() === 'first ', WAIT_MS);
    const posts = faultPostsTo(throttled.connectionId, () => ({
      statusCode: 429,
      errorType: 'LimitExceededException',
    }));

    // Act
    model.push('second ');
    await waitUntil(() => find(`throttled too often${STOPS}`).length > 0, WAIT_MS);
    model.push('third');
    model.end();
    const result = await answering;
    await waitUntil(ended(healthy), WAIT_MS);

    // Assess
    expect(posts).toHaveLength(9);
    expect(throttled.text()).toBe('first ');
    expect(healthy.text()).toBe('first second third');
    expect(result.text).toBe('first second third');
    expect(result.stopReason).toBe('end_turn');
    expect(find(`throttled too often${STOPS}`)).toEqual([
      expect.objectContaining({
        level: 'warn',
        connectionId: throttled.connectionId,
        error: expect.objectContaining({ name: 'LimitExceededException', statusCode: 429 }),
      }),
    ]);
  });
});

describe('a post in flight', () => {
  it('is aborted when its tab leaves, so Lex does not wait for a post to a tab that is gone', async () => {
    // Prepare: two tabs; from now on the gateway holds posts to the first one for 10 s
    const sessionId = newSession();
    const leaving = await tab(sessionId);
    const staying = await tab(sessionId);
    const model = pushModel();
    let sawTabGone = false;
    const table = {
      listConnections: async (id: string) => {
        const records = await stack.sessions.table.listConnections(id);
        if (!records.some((record) => record.connectionId === leaving.connectionId)) sawTabGone = true;
        return records;
      },
      deleteConnection: (id: string, connectionId: string) =>
        stack.sessions.table.deleteConnection(id, connectionId),
    };
    const answering = publish(sessionId, model.source, { table, sessionPollMs: 50, drainTimeoutMs: 20_000 });
    model.push('first ');
    await waitUntil(() => leaving.text() === 'first ' && staying.text() === 'first ', WAIT_MS);
    let heldPostArrived = false;
    let heldPostAnswered = false;
    stack.latencyMs = (request) => {
      if (request.method !== 'POST' || request.connectionId !== leaving.connectionId) return 0;
      heldPostArrived = true;
      return 10_000;
    };
    faultPostsTo(leaving.connectionId, () => {
      heldPostAnswered = true;
      return undefined;
    });
    model.push('second ');
    await waitUntil(() => heldPostArrived && staying.text() === 'first second ', WAIT_MS);

    // Act: the tab closes while its post is held; the publisher notices at its next poll
    await leaving.close();
    await waitUntil(() => sawTabGone, WAIT_MS);
    model.push('third');
    model.end();
    const result = await answering;

    // Assess: the answer returned while the held post was still unanswered (it was aborted)
    expect(heldPostAnswered).toBe(false);
    expect(result.text).toBe('first second third');
    expect(result.goneConnections).toBe(0);
    await waitUntil(ended(staying), WAIT_MS);
    expect(staying.text()).toBe('first second third');
  }, 40_000);
});

describe('long text', () => {
  /** What a text tab shows: its messages without the end-of-text marker. */
  const textMessages = (t: Tab) => t.messages.filter((message) => message !== END_OF_TEXT_MARKER);
  const deltaTexts = (t: Tab) => t.frames().flatMap((frame) => (frame.type === 'delta' ? [frame.text] : []));

  it('40 KB in one model chunk reaches text and json tabs in 2 frames each, every one within 32 KB and filled', async () => {
    // Prepare
    const sessionId = newSession();
    const jsonTab = await tab(sessionId, 'json');
    const textTab = await tab(sessionId, 'text');
    const text = 'word '.repeat(8_000); // 40,000 bytes

    // Act (splitting a long text takes about a second on a busy machine, see text-split.ts; the
    // drain limit is raised so this test is about the frames, not that time)
    const result = await publish(sessionId, fromTextIterable([text]), { drainTimeoutMs: 30_000 });
    await waitUntil(() => ended(jsonTab)() && textTab.messages.at(-1) === END_OF_TEXT_MARKER, WAIT_MS);

    // Assess: whole text, as few frames as fit (never split into small pieces), none over the limit
    expect(result.text).toBe(text);
    expect(textTab.text()).toBe(text);
    expect(jsonTab.text()).toBe(text);
    for (const pieces of [textMessages(textTab), jsonTab.messages.filter((m) => m.includes('"delta"'))]) {
      expect(pieces).toHaveLength(2);
      for (const piece of pieces) expect(Buffer.byteLength(piece)).toBeLessThanOrEqual(FRAME_LIMIT);
      for (const piece of pieces.slice(0, -1)) {
        expect(Buffer.byteLength(piece)).toBeGreaterThan(FRAME_LIMIT - 200);
      }
    }
  });

  it.each([
    // one grapheme of 40 KB: a letter with 20,000 combining accents
    ['a grapheme larger than a frame', `x${'\u0301'.repeat(20_000)}`],
    // 10 KB of control characters: 60 KB once escaped in a json frame
    ['text that triples when escaped for json', `${'\u0001'.repeat(10_000)} end`],
  ])('%s is split at code points into frames the gateway accepts, never sent whole', async (_name, text) => {
    // Prepare
    const sessionId = newSession();
    const jsonTab = await tab(sessionId, 'json');
    const textTab = await tab(sessionId, 'text');
    const { logger, lines } = capturingLogger();

    // Act
    const result = await publish(sessionId, fromTextIterable([text]), { logger });
    await waitUntil(() => ended(jsonTab)() && textTab.messages.at(-1) === END_OF_TEXT_MARKER, WAIT_MS);

    // Assess: both tabs show the whole text; nothing was refused (a > 32 KB frame is answered 413)
    expect(result.text).toBe(text);
    expect(jsonTab.text()).toBe(text);
    expect(textTab.text()).toBe(text);
    expect(deltaTexts(jsonTab).length).toBeGreaterThan(1);
    for (const message of [...jsonTab.messages, ...textTab.messages]) {
      expect(Buffer.byteLength(message)).toBeLessThanOrEqual(FRAME_LIMIT);
    }
    expect(lines.filter((line) => line.level === 'warn')).toEqual([]);
  });
});
