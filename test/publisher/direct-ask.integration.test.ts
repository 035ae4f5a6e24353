/**
 * The direct-ask flow (functions/ask) against the local doubles, for the paths the end-to-end test
 * on the full stack does not reach: a connection the table does not know, a refused question on a
 * text-protocol socket, the cold-start checks of the ask Lambda, and the ask limits against a real
 * table (one answer in flight per session, questions per minute, a crashed Lambda's lease, a cancel
 * followed by a new question, what a refused question costs).
 */

import { DeleteItemCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_MODEL_ID } from '../../cli/local-stack/bedrock/models';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import {
  answerDirectAsk,
  assertDirectAskConfig,
  type DirectAskOptions,
} from '../../functions/ask/answer-direct-ask';
import { type DirectAskLimits, readPublisherConfig } from '../../functions/shared/config';
import { askLimitKey, SessionTable } from '../../functions/shared/session-table';
import { createPublisherRuntime, type PublisherRuntime } from '../../functions/streaming/runtime';
import type { StreamEvent } from '../../functions/streaming/sources/events';
import { countTableOperations } from '../abuse/table-operations';
import { type LocalStack, openTab, quiet, startLocalStack, type Tab, waitUntil } from './local-stack';

let stack: LocalStack;
let runtime: PublisherRuntime;
const tabs: Tab[] = [];
const saved = { ...process.env };

beforeAll(async () => {
  stack = await startLocalStack();
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: stack.bedrock.runtimeEndpoint,
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  const config = readPublisherConfig({
    STREAMING_TABLE_NAME: stack.sessions.tableName,
    STREAMING_CALLBACK_URL: stack.gateway.callbackUrl,
    STREAMING_MODEL_ID: LOCAL_MODEL_ID,
  });
  runtime = {
    ...createPublisherRuntime(config, { service: 'ask', dynamoDb: stack.sessions.client }),
    logger: quiet,
  };
});

afterAll(async () => {
  await Promise.all(tabs.map((tab) => tab.close()));
  runtime.managementApi.destroy();
  runtime.bedrock().destroy();
  process.env = saved;
  await stack.stop();
});

it('tells a connection the table does not know (closed or expired item) that it must reconnect, without calling the model', async () => {
  // Prepare: an open socket whose item is gone.
  const tab = await openTab(stack, 'forgotten-session', 'json');
  tabs.push(tab);
  await stack.sessions.table.deleteConnection('forgotten-session', tab.connectionId);
  const modelCalls = { count: 0 };

  // Act
  const outcome = await answerDirectAsk(
    { connectionId: tab.connectionId, body: { action: 'ask', question: 'Hello?' } },
    runtime,
    {
      lookupRetryDelaysMs: [20],
      makeSource: () => {
        modelCalls.count++;
        return async function* never() {};
      },
    },
  );
  await waitUntil(() => tab.messages.length > 0);

  // Assess
  expect(outcome).toEqual({ status: 'unknown-connection' });
  expect(modelCalls.count).toBe(0);
  expect(tab.frames()).toEqual([expect.objectContaining({ type: 'error', code: 'UnknownConnection' })]);
});

it('on a text-protocol socket, a refused question comes back as a plain sentence (every text message is shown)', async () => {
  // Prepare
  const tab = await openTab(stack, 'text-session', 'text');
  tabs.push(tab);

  // Act
  const outcome = await answerDirectAsk(
    { connectionId: tab.connectionId, body: { action: 'ask', question: '' } },
    runtime,
  );
  await waitUntil(() => tab.messages.length > 0);

  // Assess
  expect(outcome).toMatchObject({ status: 'rejected', code: 'InvalidQuestion' });
  expect(tab.messages).toEqual(['the question is empty']);
});

it('the ask Lambda refuses to start without streaming settings or a model', () => {
  expect(() => assertDirectAskConfig(readPublisherConfig({ STREAMING_MODEL_ID: 'm' }))).toThrow(
    'the ask Lambda streams answers: STREAMING_CALLBACK_URL and STREAMING_TABLE_NAME are required',
  );
  expect(() =>
    assertDirectAskConfig(
      readPublisherConfig({
        STREAMING_TABLE_NAME: 't',
        STREAMING_CALLBACK_URL: 'https://x.example.com/Prod',
      }),
    ),
  ).toThrow('STREAMING_MODEL_ID is required');
});

// --- ask limits ---------------------------------------------------------------------------------

/** A model that says "first", then waits until released, then says "second". */
function heldModel() {
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let calls = 0;
  const makeSource: NonNullable<DirectAskOptions['makeSource']> = () => {
    calls += 1;
    return async function* held(signal: AbortSignal): AsyncIterable<StreamEvent> {
      yield { type: 'text', text: 'first ' };
      await Promise.race([
        released,
        new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true })),
      ]);
      yield { type: 'text', text: 'second' };
      yield { type: 'stop', stopReason: 'end_turn' };
    };
  };
  return { makeSource, release: () => release(), calls: () => calls };
}

const quick: NonNullable<DirectAskOptions['makeSource']> = () =>
  async function* answer(): AsyncIterable<StreamEvent> {
    yield { type: 'text', text: 'ok' };
    yield { type: 'stop', stopReason: 'end_turn' };
  };

/** Forgets the ask limits of a session's owner, so each test starts from none. */
async function resetLimits(sessionId: string): Promise<string> {
  const session = await stack.sessions.table.getSession(sessionId);
  const key = askLimitKey(session?.owner, sessionId);
  await stack.sessions.client.send(
    new DeleteItemCommand({ TableName: stack.sessions.tableName, Key: { sessionId: { S: key } } }),
  );
  return key;
}

const ask = (tab: Tab, question: string, options: DirectAskOptions, turnId?: string) =>
  answerDirectAsk(
    { connectionId: tab.connectionId, body: { action: 'ask', question, ...(turnId ? { turnId } : {}) } },
    runtime,
    options,
  );

const oneAtATime: DirectAskLimits = { answersInFlight: 1, questionsPerMinute: 0 };

it('a second question while the session’s answer runs gets Busy on the asking tab and no model call; the session is free again when the answer ends', async () => {
  // Prepare
  const first = await openTab(stack, 'busy-session', 'json');
  const second = await openTab(stack, 'busy-session', 'json');
  tabs.push(first, second);
  await resetLimits('busy-session');
  const model = heldModel();
  const running = ask(first, 'Long one?', { makeSource: model.makeSource, limits: oneAtATime }, 'turn-1');
  await waitUntil(() => first.text().includes('first'));

  // Act
  const refused = await ask(
    second,
    'And now?',
    { makeSource: model.makeSource, limits: oneAtATime },
    'turn-2',
  );
  await waitUntil(() => second.frames().some((frame) => frame.type === 'error'));
  model.release();
  const answered = await running;
  const third = await ask(second, 'Now?', { makeSource: quick, limits: oneAtATime });

  // Assess
  expect(refused).toMatchObject({ status: 'rejected', code: 'Busy' });
  expect(second.frames().find((frame) => frame.type === 'error')).toMatchObject({
    code: 'Busy',
    turnId: 'turn-2',
    message: expect.stringContaining('send {"action":"cancel"} first'),
    retryable: true,
  });
  expect(model.calls()).toBe(1);
  expect(answered).toMatchObject({ status: 'answered' });
  expect(third).toMatchObject({ status: 'answered' });
});

it('past the questions per minute of an identity, RateLimited says when to ask again (retryAfterMs); refused questions are not counted', async () => {
  // Prepare: two sessions of the same owner (the test principal)
  const tabA = await openTab(stack, 'rate-session-a', 'json');
  const tabB = await openTab(stack, 'rate-session-b', 'json');
  tabs.push(tabA, tabB);
  await resetLimits('rate-session-a');
  const limits = { answersInFlight: 1, questionsPerMinute: 2 };

  // Act
  const outcomes = [
    await ask(tabA, 'one?', { makeSource: quick, limits }),
    await ask(tabB, 'two?', { makeSource: quick, limits }),
    await ask(tabA, 'three?', { makeSource: quick, limits }),
    await ask(tabB, 'four?', { makeSource: quick, limits }),
  ];
  await waitUntil(() => tabB.frames().some((frame) => frame.type === 'error'));

  // Assess
  expect(outcomes.map((outcome) => (outcome.status === 'rejected' ? outcome.code : outcome.status))).toEqual([
    'answered',
    'answered',
    'RateLimited',
    'RateLimited',
  ]);
  const frame = tabB.frames().find((candidate) => candidate.type === 'error') as unknown as Record<
    string,
    unknown
  >;
  expect(frame).toMatchObject({
    code: 'RateLimited',
    message: expect.stringMatching(/at most 2 a minute; ask again in \d+ s/),
    retryable: true,
  });
  expect(frame.retryAfterMs).toBeGreaterThan(55_000);
  expect(frame.retryAfterMs).toBeLessThanOrEqual(60_000);
});

it('a Lambda that died mid-answer blocks its session only until its lease (its deadline) lapses', async () => {
  // Prepare: the lease an admitted answer leaves behind when its Lambda is killed
  const tab = await openTab(stack, 'crash-session', 'json');
  tabs.push(tab);
  const key = await resetLimits('crash-session');
  const now = Date.now();
  await stack.sessions.table.putAskLimits(
    { key, leases: { dead: { session: 'crash-session', startedAt: now, expiresAt: now + 400 } }, asks: [] },
    false,
    now,
  );

  // Act
  const during = await ask(tab, 'Anyone?', { makeSource: quick, limits: oneAtATime });
  await new Promise((resolve) => setTimeout(resolve, 450));
  const after = await ask(tab, 'Anyone now?', { makeSource: quick, limits: oneAtATime });

  // Assess
  expect(during).toMatchObject({ status: 'rejected', code: 'Busy' });
  expect(after).toMatchObject({ status: 'answered' });
});

it('after a cancel, a new question waits for the cancelled answer to end instead of getting Busy', async () => {
  // Prepare
  const tab = await openTab(stack, 'cancel-session', 'json');
  tabs.push(tab);
  await resetLimits('cancel-session');
  const model = heldModel();
  const running = ask(tab, 'Long one?', { makeSource: model.makeSource, limits: oneAtATime }, 'old-turn');
  await waitUntil(() => tab.text().includes('first'));

  // Act: what the cancel route records, then the next question at once
  await stack.sessions.table.requestCancel('cancel-session', tab.connectionId, Date.now());
  const next = await ask(tab, 'Short one?', { makeSource: quick, limits: oneAtATime }, 'new-turn');

  // Assess
  expect(await running).toMatchObject({ status: 'answered', result: { stopReason: 'cancelled' } });
  expect(next).toMatchObject({ status: 'answered' });
  expect(tab.frames().filter((frame) => frame.type === 'error')).toEqual([]);
});

it('a refused question costs three item reads, no write and no model call; an admitted one two writes for its limits', async () => {
  // Prepare: a runtime whose table client counts operations
  const tab = await openTab(stack, 'cost-session', 'json');
  tabs.push(tab);
  await resetLimits('cost-session');
  const client = stack.sessions.dynamodb.client();
  const counter = countTableOperations(client);
  const counted = {
    ...runtime,
    table: new SessionTable({ client, tableName: stack.sessions.tableName, ttlSeconds: 8000 }),
  };
  const model = heldModel();
  // the running answer on the uncounted runtime: its session polls are not the refused question's
  const running = answerDirectAsk(
    { connectionId: tab.connectionId, body: { action: 'ask', question: 'Long?' } },
    runtime,
    { makeSource: model.makeSource, limits: oneAtATime },
  );
  await waitUntil(() => tab.text().includes('first'));
  counter.reset();

  // Act
  const refused = await answerDirectAsk(
    { connectionId: tab.connectionId, body: { action: 'ask', question: 'Again?' } },
    counted,
    { makeSource: model.makeSource, limits: oneAtATime },
  );
  const refusedCost = counter.counts();
  model.release();
  await running;
  counter.reset();
  const admitted = await answerDirectAsk(
    { connectionId: tab.connectionId, body: { action: 'ask', question: 'Short?' } },
    counted,
    { makeSource: quick, limits: oneAtATime },
  );
  const admittedCost = counter.counts();

  // Assess
  expect(refused).toMatchObject({ status: 'rejected', code: 'Busy' });
  expect(refusedCost).toEqual({ GetItem: 3 });
  expect(model.calls()).toBe(1);
  // the limits: one conditional PutItem to admit, one UpdateItem to release; the rest are reads
  expect(admitted).toMatchObject({ status: 'answered' });
  expect(admittedCost).toEqual({ GetItem: expect.any(Number), PutItem: 1, UpdateItem: 1 });
  client.destroy();
});
