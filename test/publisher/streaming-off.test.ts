/**
 * EnableStreaming=FALSE: the parent template gives the example Lambdas an empty callback URL and
 * table. The bot must keep answering: the handlers (loaded with exactly those values) call the real
 * local Bedrock and return the full answer through Lex / QnABot, post nothing to any socket, and
 * say once at cold start that streaming is off. A half-wired pair fails at cold start instead.
 */
import type { LexV2Event, LexV2Result } from 'aws-lambda';
import { LOCAL_MODEL_ID } from '../../cli/local-stack/bedrock/models';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import type { QnabotHookEvent } from '../../functions/streaming/integrations/qnabot';
import { resetPublisherRuntime } from '../../functions/streaming/runtime';
import { captureStdout } from '../support/capture-stdout';
import { type LocalStack, openTab, startLocalStack, type Tab } from './local-stack';

let stack: LocalStack;
const saved = { ...process.env };
const tabs: Tab[] = [];

type FulfillmentModule = typeof import('../../functions/fulfillment/handler');
type HookModule = typeof import('../../functions/qnabot-hook/handler');

/** Lines the Lambdas write to stdout (JSON logs and EMF metrics) during the current test. */
const stdout = captureStdout();
const logLines = () => stdout.jsonLines();

const streamingOffLines = () =>
  logLines().filter((line) => String(line.message).startsWith('streaming is off'));

/** Loads a handler module fresh (a cold start) with the given streaming settings. */
function coldStart<T>(path: string, streaming: Record<string, string>): T {
  Object.assign(process.env, streaming);
  resetPublisherRuntime();
  let loaded: T | undefined;
  jest.isolateModules(() => {
    loaded = require(path) as T;
  });
  return loaded as T;
}

const OFF = { STREAMING_CALLBACK_URL: '', STREAMING_TABLE_NAME: '', STREAMING_WEBSOCKET_ENDPOINT: '' };

beforeAll(async () => {
  stack = await startLocalStack();
  stack.bedrock.setBehaviour({ timeToFirstTokenMs: 20, tokensPerSecond: 400, answerTokens: 60 });
  Object.assign(process.env, {
    STREAMING_MODEL_ID: LOCAL_MODEL_ID,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: stack.bedrock.runtimeEndpoint,
    AWS_ENDPOINT_URL_DYNAMODB: stack.sessions.dynamodb.endpoint,
    AWS_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
    AWS_REGION: 'us-east-1',
    LOG_LEVEL: 'info',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
});

afterAll(async () => {
  await Promise.all(tabs.map((tab) => tab.close()));
  resetPublisherRuntime();
  process.env = saved;
  await stack.stop();
});

it('fulfillment Lambda answers through Lex with the full model answer, posts nothing, logs "streaming is off" once', async () => {
  // Prepare: a socket is open for the session, as if the chat client still had streaming configured.
  const tab = await openTab(stack, 'off-session-1', 'json');
  tabs.push(tab);
  const module = coldStart<FulfillmentModule>('../../functions/fulfillment/handler', OFF);
  const event = {
    sessionId: 'off-session-1',
    inputTranscript: 'How do I enable streaming?',
    sessionState: {
      sessionAttributes: {},
      intent: { name: 'FallbackIntent', state: 'InProgress', slots: {} },
    },
  } as unknown as LexV2Event;
  const postsBefore = stack.gateway.stats().posts;

  // Act
  const first = await module.handler(event);
  const second = await module.handler(event);

  // Assess
  const content = (result: LexV2Result) => {
    const message = result.messages?.[0];
    return message && 'content' in message ? (message.content ?? '') : '';
  };
  expect(first.sessionState.intent?.state).toBe('Fulfilled');
  expect(content(first).length).toBeGreaterThan(40);
  expect(content(first)).not.toMatch(/stopped|error/i);
  expect(content(second)).toBe(content(first));
  expect(stack.gateway.stats().posts).toBe(postsBefore);
  expect(tab.messages).toEqual([]);
  const offLines = streamingOffLines();
  expect(offLines).toHaveLength(1);
  expect(offLines[0]).toMatchObject({ level: 'info', service: 'fulfillment' });
});

it('QnABot hook gets the full answer in res.message and the markdown alternative, with nothing posted', async () => {
  // Prepare
  const module = coldStart<HookModule>('../../functions/qnabot-hook/handler', OFF);
  const event: QnabotHookEvent = {
    req: { question: 'What is QnABot?', _event: { sessionId: 'off-session-2' }, _settings: {} },
    res: { message: 'placeholder', session: {}, result: { args: [] } },
  };
  const postsBefore = stack.gateway.stats().posts;

  // Act
  const out = await module.handler(event);

  // Assess
  expect(out.res.message?.length).toBeGreaterThan(40);
  expect(out.res.message).not.toBe('placeholder');
  expect(out.res.session?.appContext).toEqual({ altMessages: { markdown: out.res.message } });
  expect(stack.gateway.stats().posts).toBe(postsBefore);
  expect(streamingOffLines()).toHaveLength(1);
});

it.each([
  ['only the table is set', { STREAMING_CALLBACK_URL: '', STREAMING_TABLE_NAME: 'sessions' }],
  [
    'only the callback URL is set',
    { STREAMING_CALLBACK_URL: 'https://abc.example.com/Prod', STREAMING_TABLE_NAME: '' },
  ],
])('a half-wired template (%s) fails at cold start naming both settings', (_name, streaming) => {
  // Act / Assess
  expect(() => coldStart<FulfillmentModule>('../../functions/fulfillment/handler', streaming)).toThrow(
    expect.objectContaining({
      name: 'ConfigurationError',
      message: expect.stringMatching(/STREAMING_CALLBACK_URL and STREAMING_TABLE_NAME must both be set/),
    }),
  );
});
