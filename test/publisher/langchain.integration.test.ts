/**
 * A hook author's LangChain.js path on the local stack: a real `ChatBedrockConverse` (@langchain/aws)
 * talks ConverseStream over HTTP/2 to the local Bedrock double, its `.stream()` goes through the
 * adapter into publishAnswer, and the frames reach a real socket on the local execute-api. The
 * guide's example hook (docs/examples/langchain-hook.ts) is bundled and run against the same stack.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ChatBedrockConverse } from '@langchain/aws';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { LOCAL_MODEL_ID } from '../../cli/local-stack/bedrock/models';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import type { EndFrame, ErrorFrame } from '../../functions/protocol/frames';
import { STOPPED_NOTE } from '../../functions/streaming/pipeline/answer-notes';
import { type PublishAnswerOptions, publishAnswer } from '../../functions/streaming/pipeline/publisher';
import { converseInputForQuestion, converseStreamSource } from '../../functions/streaming/sources/converse';
import { langChainStreamSource } from '../../functions/streaming/sources/langchain';
import { runProcess } from '../cli/run-bin';
import {
  expectGapFree,
  type LocalStack,
  localLambdaEnvironment,
  openTab,
  quiet,
  startLocalStack,
  type Tab,
  waitUntil,
} from './local-stack';

let stack: LocalStack;
let model: ChatBedrockConverse;
let sessionCounter = 0;
const tabs: Tab[] = [];

beforeAll(async () => {
  stack = await startLocalStack();
  // The client a hook author would point at another endpoint: ChatBedrockConverse takes it as is
  // (its own `endpointHost` is https only). SDK retries off, so the adapter's retry is what runs.
  model = new ChatBedrockConverse({
    model: LOCAL_MODEL_ID,
    region: stack.bedrock.region,
    credentials: { ...DEV_CREDENTIALS },
    client: stack.bedrockClient,
  });
});

beforeEach(() => {
  stack.bedrock.setBehaviour({ timeToFirstTokenMs: 20, tokensPerSecond: 200, answerTokens: 120 });
});

afterEach(async () => {
  await Promise.all(tabs.splice(0).map((open) => open.close()));
  stack.bedrock.setBehaviour({ throttleRequests: 0, answerTokens: undefined, tokensPerSecond: 200 });
});

afterAll(async () => {
  await stack.stop();
});

async function tab(): Promise<{ sessionId: string; tab: Tab }> {
  sessionCounter++;
  const sessionId = `langchain-test-${sessionCounter}-${Date.now()}`;
  const opened = await openTab(stack, sessionId, 'json');
  tabs.push(opened);
  return { sessionId, tab: opened };
}

function publish(sessionId: string, source: PublishAnswerOptions['source']) {
  return publishAnswer({
    sessionId,
    source,
    table: stack.sessions.table,
    managementApi: stack.managementApi,
    logger: quiet,
    metrics: false,
  });
}

/** What the local model says to `question`, read straight from ConverseStream (no LangChain). */
async function modelAnswer(question: string): Promise<string> {
  let text = '';
  const source = converseStreamSource(
    stack.bedrockClient,
    converseInputForQuestion({ modelId: LOCAL_MODEL_ID, question }),
  );
  for await (const event of source(new AbortController().signal))
    if (event.type === 'text') text += event.text;
  return text;
}

const ended = (open: Tab) => () => open.frames().some((frame) => frame.type === 'end');

describe('ChatBedrockConverse through the LangChain.js adapter', () => {
  it('streams what the model said to the socket, with its stop reason and usage', async () => {
    // Prepare
    const question = 'How do I enable streaming?';
    const expected = await modelAnswer(question);
    const { sessionId, tab: browser } = await tab();
    // Act
    const result = await publish(
      sessionId,
      langChainStreamSource((signal) => model.stream(question, { signal })),
    );
    await waitUntil(ended(browser));
    // Assess: the socket got exactly the model's words, in gap-free frames, and the end frame says
    // why it stopped and what it cost
    expect(result.error).toBeUndefined();
    expect(expected.length).toBeGreaterThan(100);
    expect(browser.text()).toBe(expected);
    expect(result.text).toBe(expected);
    const frames = browser.frames();
    expectGapFree(frames);
    const end = frames.at(-1) as EndFrame;
    expect(end).toMatchObject({ type: 'end', stopReason: 'end_turn' });
    expect(end.usage?.outputTokens).toBe(120);
    expect(end.usage?.totalTokens).toBe((end.usage?.inputTokens ?? 0) + 120);
  });

  it("streams a chain's output (prompt → model → StringOutputParser) the same way", async () => {
    const question = 'What is QnABot?';
    const expected = await modelAnswer(question);
    const chain = ChatPromptTemplate.fromTemplate('{question}').pipe(model).pipe(new StringOutputParser());
    const { sessionId, tab: browser } = await tab();
    const result = await publish(
      sessionId,
      langChainStreamSource((signal) => chain.stream({ question }, { signal })),
    );
    await waitUntil(ended(browser));
    expect(browser.text()).toBe(expected);
    expect(result.text).toBe(expected);
  });

  it('a cancel from the browser closes the model HTTP stream and stops the answer', async () => {
    // Prepare: a long, slow answer
    stack.bedrock.setBehaviour({ answerTokens: 2000, tokensPerSecond: 40 });
    const { sessionId, tab: browser } = await tab();
    const before = stack.bedrock.stats();
    const answering = publish(
      sessionId,
      langChainStreamSource((signal) => model.stream('How do I enable streaming?', { signal })),
    );
    await waitUntil(() => browser.frames().some((frame) => frame.type === 'delta'));
    // Act
    browser.send({ action: 'cancel' });
    const result = await answering;
    // Assess: the double saw the stream closed by the client before its end, and nothing runs on
    await waitUntil(() => stack.bedrock.stats().streamsAborted === before.streamsAborted + 1);
    expect(stack.bedrock.stats().activeStreams).toBe(0);
    expect(stack.bedrock.stats().streamsCompleted).toBe(before.streamsCompleted);
    expect(result.cancelled).toBe(true);
    expect(result.text.endsWith(STOPPED_NOTE)).toBe(true);
    await waitUntil(ended(browser));
    expect(browser.frames().at(-1)).toMatchObject({ type: 'end', stopReason: 'cancelled' });
  });

  it('a model throttled on every call ends the answer with a ThrottlingException error frame', async () => {
    // Prepare: every call refused with 429 before any token
    stack.bedrock.setBehaviour({ throttleRequests: 100 });
    const { sessionId, tab: browser } = await tab();
    const before = stack.bedrock.stats();
    // Act
    const result = await publish(
      sessionId,
      langChainStreamSource((signal) => model.stream('What is QnABot?', { signal }), {
        maxAttempts: 3,
        baseDelayMs: 5,
        maxDelayMs: 20,
      }),
    );
    await waitUntil(ended(browser));
    // Assess: three calls, then the named error to the browser and in the result
    expect(stack.bedrock.stats().throttled - before.throttled).toBe(3);
    expect(result.error?.code).toBe('ThrottlingException');
    expect(result.stopReason).toBe('error');
    const error = browser.frames().find((frame): frame is ErrorFrame => frame.type === 'error');
    expect(error?.code).toBe('ThrottlingException');
    expect(browser.frames().at(-1)).toMatchObject({ type: 'end', stopReason: 'error' });
  });

  it('a model throttled once is called again and the answer streams whole', async () => {
    stack.bedrock.setBehaviour({ throttleRequests: 1 });
    const question = 'What is QnABot?';
    const { sessionId, tab: browser } = await tab();
    const result = await publish(
      sessionId,
      langChainStreamSource((signal) => model.stream(question, { signal }), {
        baseDelayMs: 5,
        maxDelayMs: 20,
      }),
    );
    await waitUntil(ended(browser));
    expect(result.error).toBeUndefined();
    expect(browser.text()).toBe(await modelAnswer(question));
  });
});

describe('docs/examples/langchain-hook.ts, bundled as the guide says', () => {
  let outDir: string;

  beforeAll(() => {
    outDir = mkdtempSync(path.join(os.tmpdir(), 'langchain-hook-'));
  });

  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it('streams its answer to the session tab and returns the same text to QnABot', async () => {
    // Prepare: the guide's esbuild options, the hook's environment pointing at this stack
    const root = path.join(__dirname, '..', '..');
    const outfile = path.join(outDir, 'index.js');
    const bundled = await runProcess(
      'npx',
      [
        'esbuild',
        'docs/examples/langchain-hook.ts',
        '--bundle',
        '--platform=node',
        '--target=node22',
        '--format=cjs',
        `--outfile=${outfile}`,
      ],
      { cwd: root, timeoutMs: 120_000 },
    );
    expect(bundled.code).toBe(0);
    const { sessionId, tab: browser } = await tab();
    const env = {
      ...localLambdaEnvironment(stack, 'amazon.nova-micro-v1:0'),
      STREAMING_CALLBACK_URL: stack.gateway.callbackUrl,
      STREAMING_TABLE_NAME: stack.sessions.tableName,
      SESSION_ID: sessionId,
    };
    const invoke = `
      const { handler } = require(${JSON.stringify(outfile)});
      const event = {
        req: { question: 'What is QnABot?', _event: { sessionId: process.env.SESSION_ID } },
        res: { message: '', session: {}, result: { args: [] } },
      };
      handler(event).then((out) => console.log(JSON.stringify({ answer: out.res.message })));
    `;
    // Act
    const run = await runProcess(process.execPath, ['-e', invoke], { env, timeoutMs: 60_000 });
    // Assess: the tab got the answer the hook returned, with LangChain's usage in the end frame
    if (run.code !== 0) throw new Error(`exit ${run.code}\n${run.stdout}\n${run.stderr}`);
    const answerLine = run.stdout.trim().split('\n').at(-1) ?? '';
    const { answer } = JSON.parse(answerLine) as { answer: string };
    expect(answer.length).toBeGreaterThan(100);
    await waitUntil(ended(browser));
    expect(browser.text()).toBe(answer);
    const end = browser.frames().at(-1) as EndFrame;
    expect(end).toMatchObject({ type: 'end', stopReason: 'end_turn' });
    expect(end.usage?.outputTokens).toBe(120);
  }, 150_000);
});
