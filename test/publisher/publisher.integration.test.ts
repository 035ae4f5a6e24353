/**
 * The publisher against the local stack with real SDK clients: Bedrock ConverseStream from the local
 * model server, PostToConnection to the local execute-api, the session table on dynalite, and sockets
 * registered through the real connection routes.
 */

import { LOCAL_MODEL_ID } from '../../cli/local-stack/bedrock/models';
import type { DeltaFrame, EndFrame, ErrorFrame, Frame } from '../../functions/protocol/frames';
import { STOPPED_NOTE } from '../../functions/streaming/pipeline/answer-notes';
import {
  type PublishAnswerOptions,
  publishAnswer,
  publishAnswerWithCallbacks,
  type StreamResult,
} from '../../functions/streaming/pipeline/publisher';
import { converseInputForQuestion, converseStreamSource } from '../../functions/streaming/sources/converse';
import { fromTextIterable } from '../../functions/streaming/sources/text-iterable';
import {
  expectGapFree,
  type LocalStack,
  openTab,
  quiet,
  startLocalStack,
  type Tab,
  waitUntil,
} from './local-stack';

let stack: LocalStack;
let sessionCounter = 0;
const tabs: Tab[] = [];

beforeAll(async () => {
  stack = await startLocalStack();
});

afterEach(async () => {
  await Promise.all(tabs.splice(0).map((tab) => tab.close()));
  stack.fault = () => undefined;
  stack.latencyMs = 0;
  stack.bedrock.setBehaviour({
    timeToFirstTokenMs: 50,
    tokensPerSecond: 100,
    minTokensPerChunk: 1,
    maxTokensPerChunk: 5,
    answerTokens: undefined,
    throttleRequests: 0,
    failAfterTokens: undefined,
  });
});

afterAll(async () => {
  await stack.stop();
});

function newSession(): string {
  sessionCounter++;
  return `publisher-test-${sessionCounter}-${Date.now()}`;
}

async function tab(sessionId: string, protocol: 'json' | 'text' = 'json'): Promise<Tab> {
  const opened = await openTab(stack, sessionId, protocol);
  tabs.push(opened);
  return opened;
}

function ask(
  sessionId: string,
  question: string,
  extra: Partial<PublishAnswerOptions> = {},
): Promise<StreamResult> {
  return publishAnswer({
    sessionId,
    source: converseStreamSource(
      stack.bedrockClient,
      converseInputForQuestion({ modelId: LOCAL_MODEL_ID, question }),
      { baseDelayMs: 10, maxDelayMs: 40 },
    ),
    table: stack.sessions.table,
    managementApi: stack.managementApi,
    logger: quiet,
    metrics: false,
    ...extra,
  });
}

const ended = (t: Tab) => () => t.frames().some((frame) => frame.type === 'end');

describe('publishAnswer on the local stack', () => {
  beforeEach(() => {
    stack.bedrock.setBehaviour({
      timeToFirstTokenMs: 50,
      tokensPerSecond: 100,
      minTokensPerChunk: 1,
      maxTokensPerChunk: 5,
    });
  });

  it('streams the whole answer in order to two tabs (json and text), coalesced to ≤ 1/5 of the chunks', async () => {
    // Prepare
    const sessionId = newSession();
    const jsonTab = await tab(sessionId, 'json');
    const textTab = await tab(sessionId, 'text');
    stack.bedrock.setBehaviour({ answerTokens: 300 });
    // Act
    const result = await ask(sessionId, 'How do I enable streaming?');
    await waitUntil(ended(jsonTab));
    // Assess: both tabs have exactly the final answer, frames gap-free and well-formed
    expect(result.error).toBeUndefined();
    expect(result.stopReason).toBe('end_turn');
    expect(result.text.length).toBeGreaterThan(100);
    await waitUntil(() => textTab.text() === result.text);
    expect(jsonTab.text()).toBe(result.text);
    const frames = jsonTab.frames();
    expectGapFree(frames);
    expect(frames[0]?.type).toBe('start');
    const end = frames.at(-1) as EndFrame;
    expect(end).toMatchObject({ type: 'end', stopReason: 'end_turn', turnId: result.turnId });
    expect(end.ttftMs).toBeGreaterThanOrEqual(0);
    expect(end.usage?.outputTokens).toBeGreaterThan(0);
    expect(result.connections).toBe(2);
    // Posts per tab (json: deltas + start + end) ≤ 1/5 of one post per model chunk (+ first post, start, end)
    const deltaPosts = frames.filter((frame) => frame.type === 'delta').length;
    expect(result.chunks).toBeGreaterThan(50);
    expect(deltaPosts).toBeLessThanOrEqual(result.chunks / 5 + 1);
    // the text tab gets the same text messages, then the end-of-text marker (text-protocol.ts)
    expect(textTab.messages.length).toBe(deltaPosts + 1);
  });

  it('catches up a tab that connects mid-answer and keeps its frames gap-free', async () => {
    const sessionId = newSession();
    const early = await tab(sessionId, 'json');
    stack.bedrock.setBehaviour({ answerTokens: 200 });
    const answering = ask(sessionId, 'What is QnABot?');
    await waitUntil(() => early.frames().some((frame) => frame.type === 'delta'));
    const late = await tab(sessionId, 'json');
    const result = await answering;
    await waitUntil(ended(late));
    await waitUntil(ended(early));
    expect(late.text()).toBe(result.text);
    expect(early.text()).toBe(result.text);
    expectGapFree(late.frames());
    expect(late.frames()[0]?.type).toBe('start');
  });

  it('forgets a connection that answers 410 Gone mid-answer and keeps streaming to the other', async () => {
    // Prepare: the first tab's 4th post answers 410
    const sessionId = newSession();
    const doomed = await tab(sessionId, 'json');
    const healthy = await tab(sessionId, 'json');
    let postsToDoomed = 0;
    stack.fault = (request) =>
      request.method === 'POST' && request.connectionId === doomed.connectionId && ++postsToDoomed >= 4
        ? { statusCode: 410, errorType: 'GoneException' }
        : undefined;
    stack.bedrock.setBehaviour({ answerTokens: 200 });
    // Act
    const result = await ask(sessionId, 'How do I enable streaming?');
    await waitUntil(ended(healthy));
    // Assess
    expect(result.goneConnections).toBe(1);
    expect(postsToDoomed).toBe(4); // no post after the 410
    const remaining = await stack.sessions.table.listConnections(sessionId);
    expect(remaining.map((record) => record.connectionId)).toEqual([healthy.connectionId]);
    expect(healthy.text()).toBe(result.text);
  });

  it('backs off and retries on 429 LimitExceeded without losing or reordering text', async () => {
    const sessionId = newSession();
    const jsonTab = await tab(sessionId, 'json');
    let calls = 0;
    stack.fault = (request) =>
      request.method === 'POST' && ++calls % 3 !== 0
        ? { statusCode: 429, errorType: 'LimitExceededException' }
        : undefined;
    stack.bedrock.setBehaviour({ answerTokens: 120 });
    const result = await ask(sessionId, 'What is QnABot?', {
      posterRetry: { baseDelayMs: 5, maxDelayMs: 20 },
    });
    await waitUntil(ended(jsonTab));
    expect(jsonTab.text()).toBe(result.text);
    expectGapFree(jsonTab.frames());
    expect(result.posts).toBeGreaterThan(jsonTab.messages.length); // the refused posts were retried
  });

  it('retries model throttling before the first token, then streams the answer', async () => {
    const sessionId = newSession();
    const jsonTab = await tab(sessionId, 'json');
    stack.bedrock.setBehaviour({ throttleRequests: 2, answerTokens: 60 });
    const result = await ask(sessionId, 'What is QnABot?');
    await waitUntil(ended(jsonTab));
    expect(result.error).toBeUndefined();
    expect(result.text.length).toBeGreaterThan(20);
    expect(jsonTab.text()).toBe(result.text);
    expect(jsonTab.frames().filter((frame) => frame.type === 'start')).toHaveLength(1);
  });

  it('on a model error mid-answer sends an error frame and returns the partial text with a note', async () => {
    const sessionId = newSession();
    const jsonTab = await tab(sessionId, 'json');
    stack.bedrock.setBehaviour({ failAfterTokens: 30, answerTokens: 200 });
    const result = await ask(sessionId, 'How do I enable streaming?');
    await waitUntil(ended(jsonTab));
    expect(result.error?.code).toBe('ModelStreamErrorException');
    expect(result.stopReason).toBe('error');
    const frames = jsonTab.frames();
    const streamed = frames
      .filter((frame): frame is DeltaFrame => frame.type === 'delta')
      .map((frame) => frame.text)
      .join('');
    expect(streamed.length).toBeGreaterThan(0);
    expect(result.text.startsWith(streamed.trimEnd())).toBe(true);
    expect(result.text).toMatch(/incomplete.*ModelStreamErrorException/);
    const error = frames.find((frame): frame is ErrorFrame => frame.type === 'error');
    expect(error?.code).toBe('ModelStreamErrorException');
    expect(frames.at(-1)).toMatchObject({ type: 'end', stopReason: 'error' });
    expectGapFree(frames);
  });

  it('stops within 1 s of a cancel from the browser and returns the partial text marked as stopped', async () => {
    // Prepare: a long, slow answer
    const sessionId = newSession();
    const jsonTab = await tab(sessionId, 'json');
    stack.bedrock.setBehaviour({ answerTokens: 2000, tokensPerSecond: 50 });
    const answering = ask(sessionId, 'How do I enable streaming?');
    await waitUntil(() => jsonTab.frames().some((frame) => frame.type === 'delta'));
    // Act
    const cancelledAt = Date.now();
    jsonTab.send({ action: 'cancel' });
    const result = await answering;
    const stoppedAfterMs = Date.now() - cancelledAt;
    await waitUntil(ended(jsonTab));
    // Assess
    expect(result.cancelled).toBe(true);
    expect(stoppedAfterMs).toBeLessThan(1000);
    expect(result.stopReason).toBe('cancelled');
    expect(result.text.endsWith(STOPPED_NOTE)).toBe(true);
    expect(result.text.length).toBeLessThan(2000 * 3);
    expect(jsonTab.frames().at(-1)).toMatchObject({ type: 'end', stopReason: 'cancelled' });
  });

  it('splits an answer larger than 32 KB into frames the gateway accepts', async () => {
    const sessionId = newSession();
    const jsonTab = await tab(sessionId, 'json');
    const textTab = await tab(sessionId, 'text');
    stack.bedrock.setBehaviour({
      answerTokens: 15_000,
      tokensPerSecond: Number.POSITIVE_INFINITY,
      timeToFirstTokenMs: 0,
    });
    const result = await ask(sessionId, 'How do I enable streaming?', {
      coalesceMaxBytes: 32 * 1024,
      drainTimeoutMs: 10_000,
    });
    await waitUntil(ended(jsonTab), 10_000);
    expect(Buffer.byteLength(result.text)).toBeGreaterThan(40 * 1024);
    await waitUntil(() => textTab.text() === result.text, 10_000);
    expect(jsonTab.text()).toBe(result.text);
    for (const message of [...jsonTab.messages, ...textTab.messages]) {
      expect(Buffer.byteLength(message)).toBeLessThanOrEqual(32 * 1024);
    }
    expect(textTab.socket.readyState).toBe(textTab.socket.OPEN);
  });

  it('an empty answer gives json tabs start, the thinking status and end only, text tabs nothing, and an empty result', async () => {
    const sessionId = newSession();
    const jsonTab = await tab(sessionId, 'json');
    const textTab = await tab(sessionId, 'text');
    const result = await ask(sessionId, '', { source: fromTextIterable([]) });
    await waitUntil(ended(jsonTab));
    expect(result.text).toBe('');
    expect(jsonTab.frames().map((frame: Frame) => frame.type)).toEqual(['start', 'status', 'end']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(textTab.messages).toEqual([]);
  });

  it('delivers emoji, CJK and surrogate pairs intact, also across a 32 KB split', async () => {
    const sessionId = newSession();
    const jsonTab = await tab(sessionId, 'json');
    const textTab = await tab(sessionId, 'text');
    const pieces = [
      'Hé',
      'llo 👋',
      ' 世界',
      ' 👨‍👩‍👧',
      ...Array.from({ length: 1500 }, () => ' 🇯🇵日本語😀𝄞'),
    ];
    const result = await ask(sessionId, '', {
      source: fromTextIterable(pieces),
      coalesceMaxBytes: 32 * 1024,
    });
    await waitUntil(ended(jsonTab));
    expect(result.text).toBe(pieces.join(''));
    expect(Buffer.byteLength(result.text)).toBeGreaterThan(32 * 1024);
    await waitUntil(() => textTab.text() === result.text);
    expect(jsonTab.text()).toBe(result.text);
  });

  it('starts the model call without waiting for the connection lookup', async () => {
    // Prepare: a lookup that takes 300 ms, and a source that notes when it was started
    const sessionId = newSession();
    const jsonTab = await tab(sessionId, 'json');
    let lookupDoneAt = 0;
    let modelStartedAt = 0;
    const slowTable = {
      listConnections: async (id: string) => {
        const first = lookupDoneAt === 0;
        if (first) await new Promise((resolve) => setTimeout(resolve, 300));
        const records = await stack.sessions.table.listConnections(id);
        if (first) lookupDoneAt = Date.now();
        return records;
      },
      deleteConnection: (id: string, connectionId: string) =>
        stack.sessions.table.deleteConnection(id, connectionId),
    };
    async function* source() {
      modelStartedAt = Date.now();
      yield 'early text';
    }
    // Act
    const result = await ask(sessionId, '', { source: source(), table: slowTable });
    await waitUntil(ended(jsonTab));
    // Assess: the model ran first, and the text produced before the lookup still reached the tab
    expect(modelStartedAt).toBeGreaterThan(0);
    expect(modelStartedAt).toBeLessThan(lookupDoneAt);
    expect(jsonTab.text()).toBe(result.text);
  });

  it('callback style reports each piece, then the result', async () => {
    const sessionId = newSession();
    const jsonTab = await tab(sessionId, 'json');
    const pieces: string[] = [];
    let completed: StreamResult | undefined;
    await publishAnswerWithCallbacks(
      {
        sessionId,
        source: fromTextIterable(['one ', 'two ', 'three']),
        table: stack.sessions.table,
        managementApi: stack.managementApi,
        logger: quiet,
        metrics: false,
      },
      {
        onContent: (text) => pieces.push(text),
        onComplete: (result) => (completed = result),
        onError: () => undefined,
      },
    );
    await waitUntil(ended(jsonTab));
    expect(pieces).toEqual(['one ', 'two ', 'three']);
    expect(completed?.text).toBe('one two three');
    expect(jsonTab.text()).toBe('one two three');
  });
});
