/**
 * Status frames and retryable error frames, as a browser tab receives them: the publisher with
 * real SDK clients against the local stack (Bedrock ConverseStream and RetrieveAndGenerateStream
 * from the local model server, PostToConnection to the local execute-api, sockets registered
 * through the real connection routes, the session table on dynalite).
 */
import { BedrockAgentRuntimeClient } from '@aws-sdk/client-bedrock-agent-runtime';
import { LOCAL_MODEL_ID } from '../../cli/local-stack/bedrock/models';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import {
  type ErrorFrame,
  type Frame,
  MAX_WORKING_STATUSES,
  STATUS_MESSAGES,
  type StatusFrame,
} from '../../functions/protocol/frames';
import {
  type PublishAnswerOptions,
  publishAnswer,
  type StreamResult,
} from '../../functions/streaming/pipeline/publisher';
import { converseInputForQuestion, converseStreamSource } from '../../functions/streaming/sources/converse';
import type { ModelRetryOptions } from '../../functions/streaming/sources/model-retry';
import { retrieveAndGenerateStreamSource } from '../../functions/streaming/sources/retrieve-and-generate';
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

let stack: LocalStack;
let knowledgeBase: BedrockAgentRuntimeClient;
let sessionCounter = 0;
const tabs: Tab[] = [];

beforeAll(async () => {
  stack = await startLocalStack();
  knowledgeBase = new BedrockAgentRuntimeClient({
    endpoint: stack.bedrock.agentRuntimeEndpoint,
    region: stack.bedrock.region,
    credentials: { ...DEV_CREDENTIALS },
    maxAttempts: 1, // the publisher's own retry is what is tested
  });
});

beforeEach(() => {
  stack.bedrock.setBehaviour({
    timeToFirstTokenMs: 50,
    tokensPerSecond: 200,
    minTokensPerChunk: 1,
    maxTokensPerChunk: 5,
    answerTokens: 60,
    throttleRequests: 0,
    failAfterTokens: undefined,
    failWith: 'modelStreamErrorException',
  });
});

afterEach(async () => {
  await Promise.all(tabs.splice(0).map((opened) => opened.close()));
});

afterAll(async () => {
  knowledgeBase.destroy();
  await stack.stop();
});

async function tab(sessionId: string, protocol: 'json' | 'text' = 'json'): Promise<Tab> {
  const opened = await openTab(stack, sessionId, protocol);
  tabs.push(opened);
  return opened;
}

async function newSessionWithTab(): Promise<{ sessionId: string; jsonTab: Tab }> {
  sessionCounter++;
  const sessionId = `status-test-${sessionCounter}-${Date.now()}`;
  return { sessionId, jsonTab: await tab(sessionId) };
}

const FAST_RETRY: ModelRetryOptions = { baseDelayMs: 40, maxDelayMs: 80 };

function ask(
  sessionId: string,
  extra: Partial<PublishAnswerOptions> & { modelId?: string; retry?: ModelRetryOptions } = {},
): Promise<StreamResult> {
  const { modelId = LOCAL_MODEL_ID, retry = FAST_RETRY, ...options } = extra;
  return publishAnswer({
    sessionId,
    source: converseStreamSource(
      stack.bedrockClient,
      converseInputForQuestion({ modelId, question: 'How do I enable streaming?' }),
      retry,
    ),
    table: stack.sessions.table,
    managementApi: stack.managementApi,
    logger: quiet,
    metrics: false,
    ...options,
  });
}

async function framesOfTurn(jsonTab: Tab): Promise<Frame[]> {
  await waitUntil(() => jsonTab.frames().some((frame) => frame.type === 'end'));
  const frames = jsonTab.frames();
  expectGapFree(frames);
  return frames;
}

const statuses = (frames: Frame[]) => frames.filter((frame): frame is StatusFrame => frame.type === 'status');
const kinds = (frames: Frame[]) =>
  frames.map((frame) => (frame.type === 'status' ? `status ${frame.phase}` : frame.type));
const firstIndex = (frames: Frame[], type: Frame['type']) => frames.findIndex((frame) => frame.type === type);

describe('status frames on the local stack', () => {
  it('a json tab gets start, then the thinking status, then the text; a text tab of the same session only the text', async () => {
    // Prepare
    const { sessionId, jsonTab } = await newSessionWithTab();
    const textTab = await tab(sessionId, 'text');

    // Act
    const result = await ask(sessionId);

    // Assess
    const frames = await framesOfTurn(jsonTab);
    expect(kinds(frames).slice(0, 3)).toEqual(['start', 'status thinking', 'delta']);
    expect(frames[1]).toMatchObject({ turnId: result.turnId, message: STATUS_MESSAGES.thinking });
    expect(statuses(frames)).toHaveLength(1);
    expect(jsonTab.text()).toBe(result.text);
    await waitUntil(() => textTab.text() === result.text);
    // Not one message of the text tab is a frame: what it shows is exactly the answer.
    expect(textTab.messages.some((message) => message.includes('"status"'))).toBe(false);
    expect(textTab.messages.join('').trimEnd()).toBe(result.text);
  });

  it('a throttled model gives a retrying status with each wait before the first text, then the answer', async () => {
    // Prepare: the next two calls are refused with 429 ThrottlingException
    const { sessionId, jsonTab } = await newSessionWithTab();
    stack.bedrock.setBehaviour({ throttleRequests: 2 });
    const log = capturingLogger();

    // Act
    const result = await ask(sessionId, { retry: { ...FAST_RETRY, logger: log.logger } });

    // Assess
    const frames = await framesOfTurn(jsonTab);
    expect(result.error).toBeUndefined();
    expect(kinds(frames).slice(0, 5)).toEqual([
      'start',
      'status thinking',
      'status retrying',
      'status retrying',
      'delta',
    ]);
    const waits = log.find('model throttled before the first token; retrying').map((line) => line.delayMs);
    expect(waits).toHaveLength(2);
    expect(statuses(frames).slice(1)).toEqual([
      expect.objectContaining({ message: STATUS_MESSAGES.retrying, retryInMs: waits[0] }),
      expect.objectContaining({ message: STATUS_MESSAGES.retrying, retryInMs: waits[1] }),
    ]);
    expect(jsonTab.text()).toBe(result.text);
  });

  it('a knowledge-base answer says it is retrieving before its text, on each attempt', async () => {
    // Prepare: the first call is throttled, so the retrieval runs twice
    const { sessionId, jsonTab } = await newSessionWithTab();
    stack.bedrock.setBehaviour({ throttleRequests: 1 });
    const source = retrieveAndGenerateStreamSource(
      knowledgeBase,
      {
        input: { text: 'How can I cancel an answer while it streams?' },
        retrieveAndGenerateConfiguration: {
          type: 'KNOWLEDGE_BASE',
          knowledgeBaseConfiguration: {
            knowledgeBaseId: 'LOCALKB001',
            modelArn: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0',
          },
        },
      },
      FAST_RETRY,
    );

    // Act
    const result = await ask(sessionId, { source });

    // Assess
    const frames = await framesOfTurn(jsonTab);
    expect(result.error).toBeUndefined();
    expect(kinds(frames).slice(0, 6)).toEqual([
      'start',
      'status thinking',
      'status retrieving',
      'status retrying',
      'status retrieving',
      'delta',
    ]);
    expect(frames[2]).toMatchObject({ message: STATUS_MESSAGES.retrieving });
    expect(jsonTab.text()).toBe(result.text);
    expect(frames.some((frame) => frame.type === 'citation')).toBe(true);
  });

  it('a slow model gives working statuses during its silence, none once the text flows', async () => {
    // Prepare: 1.5 s before the first token, "still working" after 300 ms of silence
    const { sessionId, jsonTab } = await newSessionWithTab();
    stack.bedrock.setBehaviour({ timeToFirstTokenMs: 1500 });

    // Act
    const result = await ask(sessionId, { stillWorkingAfterMs: 300 });

    // Assess: at least one before the first text (timers may run late on a busy machine), none after
    const frames = await framesOfTurn(jsonTab);
    const firstDelta = firstIndex(frames, 'delta');
    const working = frames.flatMap((frame, index) =>
      frame.type === 'status' && frame.phase === 'working' ? [index] : [],
    );
    expect(working.length).toBeGreaterThanOrEqual(1);
    expect(working.every((index) => index < firstDelta)).toBe(true);
    expect(frames[working[0] as number]).toMatchObject({ message: STATUS_MESSAGES.working });
    expect(jsonTab.text()).toBe(result.text);
  });

  it('a model that stays silent gets at most MAX_WORKING_STATUSES working statuses', async () => {
    // Prepare: 3 s before the first token, "still working" after 100 ms (30 silences)
    const { sessionId, jsonTab } = await newSessionWithTab();
    stack.bedrock.setBehaviour({ timeToFirstTokenMs: 3000 });

    // Act
    await ask(sessionId, { stillWorkingAfterMs: 100 });

    // Assess
    const frames = await framesOfTurn(jsonTab);
    const working = statuses(frames).filter((frame) => frame.phase === 'working');
    expect(working).toHaveLength(MAX_WORKING_STATUSES);
  });

  it('a tab that connects before the first text gets start, the first and the latest status, then the answer', async () => {
    // Prepare: one throttled call, then a slow first token; the second tab connects meanwhile
    const { sessionId, jsonTab } = await newSessionWithTab();
    stack.bedrock.setBehaviour({ throttleRequests: 1, timeToFirstTokenMs: 1500 });
    const answer = ask(sessionId, { sessionPollMs: 50 });
    await waitUntil(() => statuses(jsonTab.frames()).some((frame) => frame.phase === 'retrying'));

    // Act
    const late = await tab(sessionId);
    const result = await answer;

    // Assess
    const frames = await framesOfTurn(late);
    expect(kinds(frames).slice(0, 4)).toEqual(['start', 'status thinking', 'status retrying', 'delta']);
    expect(late.text()).toBe(result.text);
  });

  it('a tab that connects once the text flows gets start, thinking and the text so far, no stale status', async () => {
    // Prepare: a longer answer, throttled once; the second tab connects after the first text
    const { sessionId, jsonTab } = await newSessionWithTab();
    stack.bedrock.setBehaviour({ throttleRequests: 1, answerTokens: 200, tokensPerSecond: 100 });
    const answer = ask(sessionId, { sessionPollMs: 50 });
    await waitUntil(() => jsonTab.frames().some((frame) => frame.type === 'delta'));

    // Act
    const late = await tab(sessionId);
    const result = await answer;

    // Assess
    const frames = await framesOfTurn(late);
    expect(kinds(frames).slice(0, 3)).toEqual(['start', 'status thinking', 'delta']);
    expect(statuses(frames)).toHaveLength(1);
    expect(late.text()).toBe(result.text);
  });
});

describe('error frames say whether asking again can help', () => {
  it('throttling that outlasts the retries: retryable', async () => {
    // Prepare: more refusals than the 3 attempts
    const { sessionId, jsonTab } = await newSessionWithTab();
    stack.bedrock.setBehaviour({ throttleRequests: 5 });

    // Act
    const result = await ask(sessionId, { retry: { ...FAST_RETRY, maxAttempts: 3 } });

    // Assess
    const frames = await framesOfTurn(jsonTab);
    expect(result.error?.code).toBe('ThrottlingException');
    expect(frames.find((frame) => frame.type === 'error')).toMatchObject({
      code: 'ThrottlingException',
      retryable: true,
    });
    expect(statuses(frames).filter((frame) => frame.phase === 'retrying')).toHaveLength(2);
  });

  it('a model stream that drops mid-answer: retryable', async () => {
    // Prepare
    const { sessionId, jsonTab } = await newSessionWithTab();
    stack.bedrock.setBehaviour({ failAfterTokens: 10 });

    // Act
    await ask(sessionId);

    // Assess
    const frames = await framesOfTurn(jsonTab);
    expect(firstIndex(frames, 'delta')).toBeLessThan(firstIndex(frames, 'error'));
    expect(frames.find((frame) => frame.type === 'error')).toMatchObject({
      code: 'ModelStreamErrorException',
      retryable: true,
    });
  });

  it('a validation error (a model id Bedrock does not know): not retryable', async () => {
    // Prepare
    const { sessionId, jsonTab } = await newSessionWithTab();

    // Act
    const result = await ask(sessionId, { modelId: 'no.such-model-v9:0' });

    // Assess
    const frames = await framesOfTurn(jsonTab);
    expect(result.error?.code).toBe('ValidationException');
    const error = frames.find((frame): frame is ErrorFrame => frame.type === 'error');
    expect(error).toMatchObject({ code: 'ValidationException', retryable: false });
    expect(statuses(frames).map((frame) => frame.phase)).toEqual(['thinking']);
  });
});
