/**
 * Faults on the real local stack, each driven as a browser would (Cognito visitor, presigned json
 * socket, question through Lex) and each checked for what the user gets: the final answer still
 * comes back through Lex, and what went wrong is in the socket's frames or the Lambda's log —
 * nothing is dropped silently.
 *
 * Already covered elsewhere, so not repeated here:
 * - a post answering 410 (injected) with the other tab streaming on: test/publisher/publisher.integration.test.ts
 *   "forgets a connection that answers 410 Gone mid-answer…" — here the socket really drops, through Lex;
 * - every third post refused with 429: same file, "backs off and retries on 429…" — here bursts of
 *   consecutive 429s with the Lambda's default retry settings, through Lex;
 * - model throttling / mid-stream error / cancel after the first text, calling publishAnswer directly:
 *   same file — here the Lex answer the user finally sees is checked, and cancel lands before the first token.
 */

import type { ConnectionsFault, ConnectionsRequest } from '../../cli/local-stack/execute-api';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { logRef } from '../../functions/shared/log-safe';
import { SessionTable } from '../../functions/shared/session-table';
import { STOPPED_NOTE } from '../../functions/streaming/pipeline/answer-notes';
import { newVisitor, type Visitor } from '../../scripts/bench/visitor';
import { askThroughLex } from '../../scripts/load/lex-ask';
import { LogRecorder, openTab, type Tab, waitUntil } from './support';

const FAST = { timeToFirstTokenMs: 50, tokensPerSecond: 150, answerTokens: undefined, throttleRequests: 0 };

let stack: LocalStack;
const logs = new LogRecorder();
const LOG_HASH_KEY = 'faults-test-log-hash-key';
let fault: (request: ConnectionsRequest) => ConnectionsFault | undefined = () => undefined;
const tabs: Tab[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    demo: false,
    modelBehaviour: FAST,
    connectionsFault: (request) => fault(request),
    onLog: logs.onLog,
    // A fixed key, so the test can compute the sessionRef the Lambda logs instead of the session id.
    fulfillmentEnvironment: { STREAMING_LOG_HASH_KEY: LOG_HASH_KEY },
  });
}, 60_000);

afterEach(async () => {
  fault = () => undefined;
  stack.bedrock?.setBehaviour({ ...FAST, failAfterTokens: undefined });
  await Promise.all(tabs.splice(0).map((tab) => tab.close()));
});

afterAll(async () => {
  await stack?.stop();
});

async function tab(visitor: Visitor): Promise<Tab> {
  const opened = await openTab(stack, visitor);
  tabs.push(opened);
  return opened;
}

function sessions(): { table: SessionTable; destroy(): void } {
  const client = stack.dynamodb.client();
  return {
    table: new SessionTable({ client, tableName: stack.endpoints.tableName, ttlSeconds: 7800 }),
    destroy: () => client.destroy(),
  };
}

const isSeqGapFree = (t: Tab) => t.frames().every((frame, index) => frame.seq === index);

it('a tab that drops mid-answer is forgotten (item deleted, each 410 accounted for) while the other tab and Lex get the whole answer', async () => {
  // Prepare: two tabs of one visitor and a long enough answer to drop one of them half-way
  stack.bedrock?.setBehaviour({ tokensPerSecond: 60, answerTokens: 150 });
  const visitor = await newVisitor(stack.endpoints);
  const leaving = await tab(visitor);
  const staying = await tab(visitor);
  const mark = logs.mark();
  const gonesBefore = stack.gateway.stats().goneResponses;

  // Act: the first tab's network goes away after its first text
  const answering = askThroughLex(stack.endpoints, visitor, 'How do I enable streaming on my stack?');
  await waitUntil(() => leaving.frames().some((frame) => frame.type === 'delta'));
  leaving.socket.terminate();
  const answer = await answering;
  await waitUntil(() => staying.ended());

  // Assess
  expect(answer.text.length).toBeGreaterThan(100);
  expect(staying.text()).toBe(answer.text);
  expect(isSeqGapFree(staying)).toBe(true);
  const table = sessions();
  let left = await table.table.listConnections(visitor.sessionId);
  for (let tries = 0; left.length > 1 && tries < 50; tries++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    left = await table.table.listConnections(visitor.sessionId);
  }
  table.destroy();
  expect(left.map((record) => record.connectionId)).toEqual([staying.connectionId]);
  const [finished] = logs.find('answer finished', mark, {
    sessionRef: logRef(visitor.sessionId, LOG_HASH_KEY),
  });
  expect(finished).toMatchObject({ connections: 2, stopReason: 'end_turn' });
  // Whether the 410 or the $disconnect Lambda noticed first, every 410 the gateway sent is counted.
  expect(finished?.goneConnections).toBe(stack.gateway.stats().goneResponses - gonesBefore);
  expect(finished?.goneConnections).toBeLessThanOrEqual(1);
});

it('bursts of @connections 429s are retried with the default backoff: nothing lost, order kept, the retries counted', async () => {
  // Prepare: posts 2–6 and 9–12 of the socket are refused with 429 LimitExceeded
  stack.bedrock?.setBehaviour({ answerTokens: 120 });
  const visitor = await newVisitor(stack.endpoints);
  const jsonTab = await tab(visitor);
  let posts = 0;
  fault = (request) => {
    if (request.method !== 'POST' || request.connectionId !== jsonTab.connectionId) return undefined;
    posts += 1;
    return (posts >= 2 && posts <= 6) || (posts >= 9 && posts <= 12)
      ? { statusCode: 429, errorType: 'LimitExceededException', message: 'Rate exceeded' }
      : undefined;
  };
  const mark = logs.mark();

  // Act
  const answer = await askThroughLex(
    stack.endpoints,
    visitor,
    'What do the messages on the WebSocket look like?',
  );
  await waitUntil(() => jsonTab.ended());

  // Assess
  expect(posts).toBeGreaterThanOrEqual(12);
  expect(jsonTab.text()).toBe(answer.text);
  expect(isSeqGapFree(jsonTab)).toBe(true);
  const [finished] = logs.find('answer finished', mark, {
    sessionRef: logRef(visitor.sessionId, LOG_HASH_KEY),
  });
  expect(finished?.posts).toBe(jsonTab.messages.length + 9); // every refused post was retried
});

it('model throttling before the first token is retried and the whole answer reaches the socket and Lex', async () => {
  // Prepare: the next 4 ConverseStream calls are refused with 429 (more than the SDK's own 3 attempts)
  stack.bedrock?.setBehaviour({ throttleRequests: 4 });
  const visitor = await newVisitor(stack.endpoints);
  const jsonTab = await tab(visitor);
  const throttledBefore = stack.bedrock?.stats().throttled ?? 0;
  const mark = logs.mark();

  // Act
  const answer = await askThroughLex(stack.endpoints, visitor, 'What is QnABot on AWS?');
  await waitUntil(() => jsonTab.ended());

  // Assess
  expect((stack.bedrock?.stats().throttled ?? 0) - throttledBefore).toBe(4);
  expect(answer.text).toMatch(/^QnABot on AWS is an open source solution/);
  expect(jsonTab.text()).toBe(answer.text);
  expect(jsonTab.frames().filter((frame) => frame.type === 'start')).toHaveLength(1);
  expect(logs.find('model throttled before the first token; retrying', mark).length).toBeGreaterThan(0);
});

it('a model error mid-answer: the socket gets an error frame, Lex returns the partial answer with a note', async () => {
  // Prepare
  stack.bedrock?.setBehaviour({ failAfterTokens: 25, answerTokens: 150 });
  const visitor = await newVisitor(stack.endpoints);
  const jsonTab = await tab(visitor);
  const mark = logs.mark();

  // Act
  const answer = await askThroughLex(stack.endpoints, visitor, 'How do I enable streaming on my stack?');
  await waitUntil(() => jsonTab.ended());

  // Assess
  const streamed = jsonTab.text();
  expect(streamed.length).toBeGreaterThan(20);
  expect(answer.text.startsWith(streamed.trimEnd())).toBe(true);
  expect(answer.text).toMatch(
    /\[Answer incomplete: the model failed while answering \(ModelStreamErrorException\)/,
  );
  const frames = jsonTab.frames();
  expect(frames.find((frame) => frame.type === 'error')).toMatchObject({ code: 'ModelStreamErrorException' });
  expect(frames.at(-1)).toMatchObject({ type: 'end', stopReason: 'error' });
  expect(isSeqGapFree(jsonTab)).toBe(true);
  expect(
    logs.find('model failed', mark, { sessionRef: logRef(visitor.sessionId, LOG_HASH_KEY) }),
  ).toHaveLength(1);
});

it("a socket that stops reading does not hold up the session's other tab or another visitor, and gets everything once it reads again", async () => {
  // Prepare: a long answer (~3,000 tokens) for a visitor with a stalled tab and a healthy tab, and another visitor
  stack.bedrock?.setBehaviour({ tokensPerSecond: Number.POSITIVE_INFINITY, answerTokens: 3000 });
  const slowVisitor = await newVisitor(stack.endpoints);
  const stalled = await tab(slowVisitor);
  const healthy = await tab(slowVisitor);
  const other = await newVisitor(stack.endpoints);
  const otherTab = await tab(other);
  stalled.socket.pause();

  // Act
  const [slowAnswer, otherAnswer] = await Promise.all([
    askThroughLex(stack.endpoints, slowVisitor, 'Tell me about the WebSocket frames.'),
    askThroughLex(stack.endpoints, other, 'What is QnABot on AWS?'),
  ]);
  await waitUntil(() => healthy.ended() && otherTab.ended());
  const receivedWhileStalled = stalled.messages.length;
  stalled.socket.resume();
  await waitUntil(() => stalled.ended());

  // Assess
  expect(receivedWhileStalled).toBe(0);
  expect(slowAnswer.text.length).toBeGreaterThan(5000);
  expect(healthy.text()).toBe(slowAnswer.text);
  expect(otherTab.text()).toBe(otherAnswer.text);
  expect(stalled.text()).toBe(slowAnswer.text);
  expect(isSeqGapFree(stalled)).toBe(true);
});

it('cancel in the first second, before the first token: the answer stops within 1 s and Lex says it was stopped', async () => {
  // Prepare: a model that takes 800 ms to its first token
  stack.bedrock?.setBehaviour({ timeToFirstTokenMs: 800, tokensPerSecond: 60, answerTokens: 200 });
  const visitor = await newVisitor(stack.endpoints);
  const jsonTab = await tab(visitor);

  // Act: cancel as soon as the turn has started on the socket
  const answering = askThroughLex(
    stack.endpoints,
    visitor,
    'Can a user stop an answer while it is streaming?',
  );
  await waitUntil(() => jsonTab.frames().some((frame) => frame.type === 'start'));
  const cancelledAt = performance.now();
  jsonTab.send(JSON.stringify({ action: 'cancel' }));
  const answer = await answering;
  await waitUntil(() => jsonTab.ended());

  // Assess
  expect(answer.answeredAt - cancelledAt).toBeLessThan(1000);
  expect(answer.text).toBe(STOPPED_NOTE);
  expect(jsonTab.frames().filter((frame) => frame.type === 'delta')).toEqual([]);
  expect(jsonTab.frames().at(-1)).toMatchObject({ type: 'end', stopReason: 'cancelled' });
});

// Last: it stops the stack's DynamoDB for good.
it('with DynamoDB down, streaming degrades (logged, nothing posted) and the Lex answer still returns; new sockets get a clear 502', async () => {
  // Prepare: a socket registered while the table was up
  const visitor = await newVisitor(stack.endpoints);
  const jsonTab = await tab(visitor);
  await stack.dynamodb.stop();
  const mark = logs.mark();
  const postsBefore = stack.gateway.stats().posts;

  // Act
  const answer = await askThroughLex(stack.endpoints, visitor, 'What is QnABot on AWS?');
  const latecomer = await newVisitor(stack.endpoints); // Cognito still serves: only the table is gone

  // Assess
  expect(answer.text).toMatch(/^QnABot on AWS is an open source solution/);
  expect(stack.gateway.stats().posts).toBe(postsBefore);
  expect(jsonTab.messages).toEqual([]);
  expect(logs.find('could not read the session connections', mark).length).toBeGreaterThan(0);
  expect(logs.find('answer finished', mark, { sessionRef: logRef(visitor.sessionId, LOG_HASH_KEY) })).toEqual(
    [expect.objectContaining({ connections: 0, stopReason: 'end_turn' })],
  );
  await expect(openTab(stack, latecomer)).rejects.toThrow('connect refused with HTTP 502');
});
