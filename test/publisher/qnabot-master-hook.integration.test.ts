/**
 * The example QnABot hook deployed next to a QnABot 7 master, which gives hooks none of our
 * environment: it streams where QnABot's own fulfillment would (the table from QnABot's
 * `STREAMING_TABLE` setting, the client's `streamingEndpoint` checked), and otherwise answers
 * through QnABot only.
 */

import { LOCAL_MODEL_ID } from '../../cli/local-stack/bedrock/models';
import type { QnabotHookEvent } from '../../functions/streaming/integrations/qnabot';
import { getPublisherRuntime, resetPublisherRuntime } from '../../functions/streaming/runtime';
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
let hook: (event: QnabotHookEvent) => Promise<QnabotHookEvent>;

beforeAll(async () => {
  stack = await startLocalStack();
  stack.bedrock.setBehaviour({ timeToFirstTokenMs: 20, tokensPerSecond: 400, answerTokens: 60 });
  // What a hook next to a QnABot master has: no STREAMING_TABLE_NAME / STREAMING_CALLBACK_URL.
  for (const name of ['STREAMING_TABLE_NAME', 'STREAMING_CALLBACK_URL', 'STREAMING_WEBSOCKET_ENDPOINT']) {
    delete process.env[name];
  }
  Object.assign(process.env, {
    STREAMING_ALLOW_LOCAL_ENDPOINTS: 'true',
    ...localLambdaEnvironment(stack, LOCAL_MODEL_ID),
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  resetPublisherRuntime();
  hook = (
    require('../../functions/qnabot-hook/handler') as typeof import('../../functions/qnabot-hook/handler')
  ).handler;
});

afterAll(async () => {
  await Promise.all(tabs.map((tab) => tab.close()));
  getPublisherRuntime().bedrock().destroy();
  resetPublisherRuntime();
  process.env = saved;
  await stack.stop();
});

/** The hook event QnABot builds for a Lex Web UI visitor (session attributes as Lex Web UI sends them). */
function hookEvent(sessionId: string, attributes: Record<string, string>, settings: Record<string, unknown>) {
  return {
    req: {
      question: 'What is QnABot?',
      _event: { sessionId, sessionState: { sessionAttributes: attributes } },
      _settings: settings,
    },
    res: { message: 'placeholder', session: {}, result: { args: [] } },
  } as QnabotHookEvent;
}

it('streams with QnABot’s STREAMING_TABLE setting and the client’s streamingEndpoint', async () => {
  // Prepare
  const tab = await openTab(stack, 'lex-web-ui-1a2b', 'text');
  tabs.push(tab);
  const event = hookEvent(
    'lex-web-ui-1a2b',
    { streamingEndpoint: stack.gateway.webSocketUrl.replace('ws://', 'http://'), streamingDynamoDbTable: '' },
    { STREAMING_TABLE: stack.sessions.tableName },
  );

  // Act
  const out = await hook(event);

  // Assess
  await waitUntil(() => tab.text() === out.res.message);
  expect(out.res.message?.length).toBeGreaterThan(20);
});

it.each([
  ['an endpoint in another region', 'https://abcdefghij.execute-api.eu-west-1.amazonaws.com/Prod', 'tbl'],
  ['an endpoint that is not API Gateway', 'https://collector.example.com/Prod', 'tbl'],
  ['no STREAMING_TABLE setting (streaming off on the master)', 'local', ''],
])('answers through QnABot only, posting nothing, for %s', async (_name, endpoint, table) => {
  // Prepare
  const sessionId = `lex-web-ui-${Math.floor(Math.random() * 0xffff).toString(16)}`;
  const tab = await openTab(stack, sessionId, 'text');
  tabs.push(tab);
  const event = hookEvent(
    sessionId,
    { streamingEndpoint: endpoint === 'local' ? stack.gateway.webSocketUrl : endpoint },
    { STREAMING_TABLE: table === 'tbl' ? stack.sessions.tableName : table },
  );

  // Act
  const out = await hook(event);

  // Assess
  expect(out.res.message?.length).toBeGreaterThan(20);
  expect(tab.messages).toEqual([]);
});
