/**
 * The direct-ask flow (functions/ask) against the local doubles, for the paths the end-to-end test
 * on the full stack does not reach: a connection the table does not know, a refused question on a
 * text-protocol socket, and the cold-start checks of the ask Lambda.
 */

import { answerDirectAsk, assertDirectAskConfig } from '../../functions/ask/answer-direct-ask';
import { readPublisherConfig } from '../../functions/shared/config';
import { createPublisherRuntime, type PublisherRuntime } from '../../functions/streaming/runtime';
import { LOCAL_MODEL_ID } from '../../scripts/local/bedrock/models';
import { DEV_CREDENTIALS } from '../../scripts/local/credentials';
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
