/**
 * The example Lambdas, unmodified, against the local stack: configuration from the environment
 * (as the template sets it) and endpoints through AWS_ENDPOINT_URL_<SERVICE>.
 */
import type { LexV2Event, LexV2Result } from 'aws-lambda';
import { LOCAL_MODEL_ID } from '../../cli/local-stack/bedrock/models';
import type { QnabotHookEvent } from '../../functions/streaming/integrations/qnabot';
import { getPublisherRuntime, resetPublisherRuntime } from '../../functions/streaming/runtime';
import { captureStdout } from '../support/capture-stdout';
import {
  type LocalStack,
  localLambdaEnvironment,
  openTab,
  startLocalStack,
  type Tab,
  waitUntil,
} from './local-stack';

let stack: LocalStack;
const saved = { ...process.env };
const tabs: Tab[] = [];
// The handlers read their configuration at cold start (module load), so they are loaded once the
// environment points at the local stack.
let fulfillmentHandler: (event: LexV2Event) => Promise<LexV2Result>;
let qnabotHookHandler: (event: QnabotHookEvent) => Promise<QnabotHookEvent>;

beforeAll(async () => {
  stack = await startLocalStack();
  stack.bedrock.setBehaviour({ timeToFirstTokenMs: 20, tokensPerSecond: 400, answerTokens: 80 });
  Object.assign(process.env, {
    STREAMING_TABLE_NAME: stack.sessions.tableName,
    STREAMING_CALLBACK_URL: stack.gateway.callbackUrl,
    STREAMING_WEBSOCKET_ENDPOINT: stack.gateway.webSocketUrl,
    ...localLambdaEnvironment(stack, LOCAL_MODEL_ID),
    // What Lambda sets in an execution environment it starts for a request (not provisioned).
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  resetPublisherRuntime();
  fulfillmentHandler = (
    require('../../functions/fulfillment/handler') as typeof import('../../functions/fulfillment/handler')
  ).handler;
  qnabotHookHandler = (
    require('../../functions/qnabot-hook/handler') as typeof import('../../functions/qnabot-hook/handler')
  ).handler;
});

afterAll(async () => {
  await Promise.all(tabs.map((tab) => tab.close()));
  const runtime = getPublisherRuntime();
  runtime.managementApi.destroy();
  runtime.bedrock().destroy();
  resetPublisherRuntime();
  process.env = saved;
  await stack.stop();
});

/** Lines the Lambdas write to stdout (where CloudWatch picks up EMF metrics). */
const stdout = captureStdout();
const emfLines = () => stdout.jsonLines().filter((line) => '_aws' in line);
const answerMetricLines = () => emfLines().filter((line) => 'TotalTime' in line);
const coldStartLines = () => emfLines().filter((line) => 'ColdStart' in line);

const ended = (tab: Tab) => () => tab.frames().some((frame) => frame.type === 'end');

it('fulfillment Lambda streams to the session and closes the intent with the same answer', async () => {
  // Prepare
  const tab = await openTab(stack, 'lex-session-1', 'json');
  tabs.push(tab);
  const event = {
    sessionId: 'lex-session-1',
    inputTranscript: 'How do I enable streaming?',
    sessionState: {
      sessionAttributes: { streamingEndpoint: 'https://elsewhere.example.com/Prod' },
      intent: { name: 'FallbackIntent', state: 'InProgress', slots: {} },
    },
  } as unknown as LexV2Event;
  // Act
  const response = await fulfillmentHandler(event);
  await waitUntil(ended(tab));
  // Assess
  expect(response.sessionState.dialogAction.type).toBe('Close');
  expect(response.sessionState.intent?.state).toBe('Fulfilled');
  const message = response.messages?.[0];
  expect(message && 'content' in message ? message.content : '').toBe(tab.text());
  expect(tab.text().length).toBeGreaterThan(20);
  const [metrics, ...more] = answerMetricLines();
  expect(more).toEqual([]);
  expect(metrics).toMatchObject({
    Service: 'fulfillment',
    Connections: 1,
    GoneConnections: 0,
    Cancelled: 0,
    Errors: 0,
  });
  expect(metrics?.TimeToFirstToken).toEqual(expect.any(Number));
  expect(metrics?.Posts).toBeGreaterThan(2);
  // The container's first invocation: one ColdStart, in the namespace and dimension of the others
  expect(coldStartLines()).toEqual([
    {
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: 'QnaStreaming',
            Dimensions: [['Service']],
            Metrics: [{ Name: 'ColdStart', Unit: 'Count' }],
          },
        ],
      },
      Service: 'fulfillment',
      ColdStart: 1,
    },
  ]);
});

it('QnABot hook streams to the session and writes res.message and the markdown alternative', async () => {
  const tab = await openTab(stack, 'qnabot-session-1', 'text');
  tabs.push(tab);
  const event = {
    req: { question: 'What is QnABot?', _event: { sessionId: 'qnabot-session-1' }, _settings: {} },
    res: { message: 'placeholder', session: {}, result: { args: [JSON.stringify({ system: 'Be brief.' })] } },
  };
  const out = await qnabotHookHandler(event);
  await waitUntil(() => tab.text() === out.res.message);
  expect(out.res.message?.length).toBeGreaterThan(20);
  expect(out.res.session?.appContext).toEqual({ altMessages: { markdown: out.res.message } });
  // The hook module's first invocation (its Service is the runtime's: in this one process both
  // handlers share the first runtime created, unlike two Lambdas)
  expect(coldStartLines()).toEqual([expect.objectContaining({ ColdStart: 1 })]);
});

it('a warm container counts no cold start: only the answer metrics of each invocation', async () => {
  // Prepare: both Lambdas answered once above (their containers' cold starts)
  const lexEvent = {
    sessionId: 'lex-session-warm',
    inputTranscript: 'How do I enable streaming?',
    sessionState: { intent: { name: 'FallbackIntent', state: 'InProgress', slots: {} } },
  } as unknown as LexV2Event;
  const hookEvent = {
    req: { question: 'What is QnABot?', _event: { sessionId: 'qnabot-session-warm' }, _settings: {} },
    res: { message: 'placeholder', session: {}, result: { args: [] } },
  };

  // Act
  await fulfillmentHandler(lexEvent);
  await qnabotHookHandler(hookEvent);

  // Assess
  expect(coldStartLines()).toEqual([]);
  expect(answerMetricLines()).toEqual([
    expect.objectContaining({ Connections: 0, Errors: 0 }),
    expect.objectContaining({ Connections: 0, Errors: 0 }),
  ]);
});
