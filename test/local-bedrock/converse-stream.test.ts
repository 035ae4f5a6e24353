import {
  AccessDeniedException,
  type BedrockRuntimeClient,
  ConverseCommand,
  ConverseStreamCommand,
  type ConverseStreamCommandOutput,
  InternalServerException,
  ModelStreamErrorException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DEFAULT_BEHAVIOUR, type StreamExceptionType } from '../../cli/local-stack/bedrock/behaviour';
import type { LocalBedrock } from '../../cli/local-stack/bedrock/server';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import { FALLBACK_ANSWER, KNOWLEDGE_BASE_ENTRIES } from '../../cli/local-stack/knowledge-base/entries';
import { countTokens, tokenize } from '../../cli/local-stack/knowledge-base/tokenizer';
import { type CapturedLogs, delay, runtimeClient, startDouble, waitFor } from './support';

const MODEL_ID = 'anthropic.claude-3-haiku-20240307-v1:0';
const QUESTION = 'What is a WebSocket?';
const WEBSOCKET_ANSWER = KNOWLEDGE_BASE_ENTRIES.find((entry) => entry.slug === 'websockets')
  ?.answer as string;
/** Fast behaviour for tests that are not about timing. */
const FAST = { timeToFirstTokenMs: 0, tokensPerSecond: Number.POSITIVE_INFINITY } as const;

let bedrock: LocalBedrock;
let logs: CapturedLogs;
let client: BedrockRuntimeClient;

beforeAll(async () => {
  ({ bedrock, logs } = await startDouble());
  client = runtimeClient(bedrock, { maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await bedrock.stop();
});

beforeEach(() => {
  bedrock.setBehaviour({ ...DEFAULT_BEHAVIOUR, ...FAST });
  logs.lines.length = 0;
});

function ask(text: string, extra: Partial<ConstructorParameters<typeof ConverseStreamCommand>[0]> = {}) {
  return new ConverseStreamCommand({
    modelId: MODEL_ID,
    messages: [{ role: 'user', content: [{ text }] }],
    ...extra,
  });
}

interface Collected {
  events: string[];
  deltas: string[];
  /** ms after the request was sent, per delta. */
  deltaTimes: number[];
  stopReason?: string;
  usage?: { inputTokens?: number; outputTokens?: number; totalTokens?: number };
  latencyMs?: number;
  error?: unknown;
}

async function collect(response: ConverseStreamCommandOutput, sentAt: number): Promise<Collected> {
  const collected: Collected = { events: [], deltas: [], deltaTimes: [] };
  try {
    for await (const event of response.stream ?? []) {
      const name = Object.keys(event).find((key) => key !== '$unknown') ?? '$unknown';
      collected.events.push(name);
      if (event.contentBlockDelta?.delta?.text !== undefined) {
        collected.deltas.push(event.contentBlockDelta.delta.text);
        collected.deltaTimes.push(Date.now() - sentAt);
      }
      if (event.messageStop) collected.stopReason = event.messageStop.stopReason;
      if (event.metadata) {
        collected.usage = event.metadata.usage;
        collected.latencyMs = event.metadata.metrics?.latencyMs;
      }
    }
  } catch (error) {
    collected.error = error;
  }
  return collected;
}

async function converseStream(command: ConverseStreamCommand, on: BedrockRuntimeClient = client) {
  const sentAt = Date.now();
  return collect(await on.send(command), sentAt);
}

describe('ConverseStream through the real BedrockRuntimeClient (HTTP/2)', () => {
  it('streams the knowledge-base answer as messageStart, deltas, contentBlockStop, messageStop, metadata', async () => {
    // Act
    const result = await converseStream(ask(QUESTION));

    // Assess
    expect(result.error).toBeUndefined();
    expect(result.events[0]).toBe('messageStart');
    expect(result.events.slice(-3)).toEqual(['contentBlockStop', 'messageStop', 'metadata']);
    expect(new Set(result.events.slice(1, -3))).toEqual(new Set(['contentBlockDelta']));
    expect(result.deltas.join('')).toBe(WEBSOCKET_ANSWER);
    expect(result.stopReason).toBe('end_turn');
    expect(result.usage).toEqual({
      inputTokens: countTokens(QUESTION),
      outputTokens: countTokens(WEBSOCKET_ANSWER),
      totalTokens: countTokens(QUESTION) + countTokens(WEBSOCKET_ANSWER),
    });
    expect(result.latencyMs).toEqual(expect.any(Number));
  });

  it('sends 1 to 5 tokens per delta, in varied sizes, the same way for the same prompt and seed', async () => {
    // Prepare
    bedrock.setBehaviour({ answerTokens: 300 });

    // Act
    const first = await converseStream(ask(QUESTION));
    const second = await converseStream(ask(QUESTION));

    // Assess
    const sizes = first.deltas.map((delta) => tokenize(delta).length);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(300);
    expect(Math.min(...sizes)).toBeGreaterThanOrEqual(1);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(5);
    expect(new Set(sizes).size).toBeGreaterThanOrEqual(4);
    expect(second.deltas).toEqual(first.deltas);
  });

  it('waits about the time to first token, then streams at about the configured rate', async () => {
    // Prepare
    bedrock.setBehaviour({ timeToFirstTokenMs: 300, tokensPerSecond: 100, answerTokens: 100 });

    // Act
    const result = await converseStream(ask(QUESTION));

    // Assess: generous bounds, only to catch a double that ignores its settings
    const firstAt = result.deltaTimes[0] as number;
    const lastAt = result.deltaTimes.at(-1) as number;
    const tokensAfterFirst = 100 - tokenize(result.deltas[0] as string).length;
    const rate = tokensAfterFirst / ((lastAt - firstAt) / 1000);
    expect(firstAt).toBeGreaterThanOrEqual(280);
    expect(firstAt).toBeLessThan(1500);
    expect(rate).toBeGreaterThan(40);
    expect(rate).toBeLessThan(250);
  });

  it('stops at inferenceConfig.maxTokens with stopReason max_tokens', async () => {
    const result = await converseStream(ask(QUESTION, { inferenceConfig: { maxTokens: 5 } }));

    expect(result.deltas.join('')).toBe(tokenize(WEBSOCKET_ANSWER).slice(0, 5).join(''));
    expect(result.stopReason).toBe('max_tokens');
  });

  it('answers politely when the knowledge base has nothing on the question', async () => {
    const result = await converseStream(ask('Recommend a recipe with bananas'));

    expect(result.deltas.join('')).toBe(FALLBACK_ANSWER);
  });

  it('accepts inference profile ids and model ARNs', async () => {
    const profile = await converseStream(
      new ConverseStreamCommand({
        modelId: `us.${MODEL_ID}`,
        messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      }),
    );
    const arn = await converseStream(
      new ConverseStreamCommand({
        modelId: `arn:aws:bedrock:us-east-1::foundation-model/${MODEL_ID}`,
        messages: [{ role: 'user', content: [{ text: 'hi' }] }],
      }),
    );

    expect(profile.error).toBeUndefined();
    expect(arn.error).toBeUndefined();
  });
});

describe('ConverseStream faults', () => {
  it('refuses the first N requests with a typed ThrottlingException (HTTP 429) before any token', async () => {
    // Prepare
    bedrock.setBehaviour({ throttleRequests: 1 });
    const throttledBefore = bedrock.stats().throttled;

    // Act
    const error = await client.send(ask(QUESTION)).catch((caught: unknown) => caught);
    const next = await converseStream(ask(QUESTION));

    // Assess
    expect(error).toBeInstanceOf(ThrottlingException);
    expect((error as ThrottlingException).$metadata.httpStatusCode).toBe(429);
    expect(next.deltas.join('')).toBe(WEBSOCKET_ANSWER);
    expect(bedrock.stats().throttled).toBe(throttledBefore + 1);
  });

  it('lets the SDK retry a throttled request to success', async () => {
    // Prepare
    bedrock.setBehaviour({ throttleRequests: 1 });
    const retrying = runtimeClient(bedrock, { maxAttempts: 3 });

    // Act
    const result = await converseStream(ask(QUESTION), retrying);
    retrying.destroy();

    // Assess
    expect(result.deltas.join('')).toBe(WEBSOCKET_ANSWER);
    expect(bedrock.behaviour().throttleRequests).toBe(0);
  });

  it.each<[StreamExceptionType, new (...args: never[]) => Error]>([
    ['modelStreamErrorException', ModelStreamErrorException],
    ['throttlingException', ThrottlingException],
    ['internalServerException', InternalServerException],
    ['validationException', ValidationException],
    ['serviceUnavailableException', ServiceUnavailableException],
  ])('fails mid-stream after K tokens with %s, typed by the SDK', async (failWith, errorClass) => {
    // Prepare
    bedrock.setBehaviour({ failAfterTokens: 7, failWith });

    // Act
    const result = await converseStream(ask(QUESTION));

    // Assess
    expect(result.error).toBeInstanceOf(errorClass);
    expect(result.deltas.join('')).toBe(tokenize(WEBSOCKET_ANSWER).slice(0, 7).join(''));
    expect(result.events).not.toContain('messageStop');
  });

  it('refuses an unknown model id with ValidationException (HTTP 400)', async () => {
    const error = await client
      .send(
        new ConverseStreamCommand({
          modelId: 'acme.no-such-model-v9',
          messages: [{ role: 'user', content: [{ text: 'hi' }] }],
        }),
      )
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ValidationException);
    expect((error as ValidationException).message).toBe('The provided model identifier is invalid.');
    expect((error as ValidationException).$metadata.httpStatusCode).toBe(400);
  });

  it.each([
    ['no messages', []],
    ['an assistant message first', [{ role: 'assistant' as const, content: [{ text: 'hello' }] }]],
    ['an empty content list', [{ role: 'user' as const, content: [] }]],
    [
      'two user messages in a row',
      [
        { role: 'user' as const, content: [{ text: 'a' }] },
        { role: 'user' as const, content: [{ text: 'b' }] },
      ],
    ],
  ])('refuses malformed messages (%s) with ValidationException', async (_case, messages) => {
    const error = await client
      .send(new ConverseStreamCommand({ modelId: MODEL_ID, messages }))
      .catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ValidationException);
  });

  it('refuses a request signed with the wrong secret with AccessDeniedException (HTTP 403), over HTTP/2 and HTTP/1.1', async () => {
    // Prepare
    const credentials = { accessKeyId: DEV_CREDENTIALS.accessKeyId, secretAccessKey: 'not-the-secret' };
    const http2Client = runtimeClient(bedrock, { maxAttempts: 1, credentials });
    const http1Client = runtimeClient(bedrock, {
      maxAttempts: 1,
      credentials,
      requestHandler: new NodeHttpHandler(),
    });

    // Act
    const errors = await Promise.all(
      [http2Client, http1Client].map((signedWrong) =>
        signedWrong.send(ask(QUESTION)).catch((caught: unknown) => caught),
      ),
    );
    http2Client.destroy();
    http1Client.destroy();

    // Assess
    for (const error of errors) {
      expect(error).toBeInstanceOf(AccessDeniedException);
      expect((error as AccessDeniedException).$metadata.httpStatusCode).toBe(403);
    }
  });

  it('refuses an unknown access key with UnrecognizedClientException (HTTP 403)', async () => {
    const stranger = runtimeClient(bedrock, {
      maxAttempts: 1,
      credentials: { accessKeyId: 'AKIAUNKNOWN000000000', secretAccessKey: 'whatever' },
    });

    const error = (await stranger.send(ask(QUESTION)).catch((caught: unknown) => caught)) as Error & {
      $metadata: { httpStatusCode?: number };
    };
    stranger.destroy();

    expect(error.name).toBe('UnrecognizedClientException');
    expect(error.$metadata.httpStatusCode).toBe(403);
  });
});

describe('ConverseStream cancellation and flow control', () => {
  it('stops generating promptly when the client aborts, and logs it', async () => {
    // Prepare: an answer that would take 20 s
    bedrock.setBehaviour({ tokensPerSecond: 100, answerTokens: 2000 });
    const before = bedrock.stats();
    const controller = new AbortController();

    // Act
    const response = await client.send(ask(QUESTION), { abortSignal: controller.signal });
    let deltas = 0;
    const reading = (async () => {
      for await (const event of response.stream ?? []) {
        if (event.contentBlockDelta && ++deltas === 3) controller.abort();
      }
    })().catch(() => undefined); // the SDK may end the iteration or throw an AbortError
    await reading;
    await waitFor(() => bedrock.stats().streamsAborted === before.streamsAborted + 1, 2000);
    const sentAtAbort = bedrock.stats().tokensSent - before.tokensSent;
    await delay(300);

    // Assess
    expect(deltas).toBeLessThan(50);
    expect(bedrock.stats().tokensSent - before.tokensSent).toBe(sentAtAbort);
    expect(sentAtAbort).toBeLessThan(100);
    expect(bedrock.stats().activeStreams).toBe(0);
    expect(logs.lines).toContainEqual(
      expect.objectContaining({
        message: 'client cancelled the stream; generation stopped',
        operation: 'ConverseStream',
      }),
    );
  });

  it('holds generation while the client does not read (HTTP/2 flow control), then delivers everything', async () => {
    // Prepare: as fast as the client reads; far more than the flow-control windows hold
    bedrock.setBehaviour({ answerTokens: 60_000 });
    const before = bedrock.stats().tokensSent;

    // Act
    const sentAt = Date.now();
    const response = await client.send(ask(QUESTION));
    await delay(300);
    const whilePaused = bedrock.stats().tokensSent - before;
    await delay(200);
    const stillPaused = bedrock.stats().tokensSent - before;
    const result = await collect(response, sentAt);

    // Assess
    expect(whilePaused).toBeLessThan(10_000); // ≈1,200 observed: windows + buffers, not the answer
    expect(stillPaused).toBe(whilePaused);
    expect(result.error).toBeUndefined();
    expect(countTokens(result.deltas.join(''))).toBe(60_000);
    expect(result.usage?.outputTokens).toBe(60_000);
  });
});

describe('Converse and HTTP/1.1', () => {
  it('answers Converse with the whole message, stop reason and usage', async () => {
    const output = await client.send(
      new ConverseCommand({ modelId: MODEL_ID, messages: [{ role: 'user', content: [{ text: QUESTION }] }] }),
    );

    expect(output.output?.message?.role).toBe('assistant');
    expect(output.output?.message?.content?.[0]?.text).toBe(WEBSOCKET_ANSWER);
    expect(output.stopReason).toBe('end_turn');
    expect(output.usage?.outputTokens).toBe(countTokens(WEBSOCKET_ANSWER));
  });

  it('serves the same stream to a client on HTTP/1.1 (NodeHttpHandler)', async () => {
    const http1Client = runtimeClient(bedrock, { maxAttempts: 1, requestHandler: new NodeHttpHandler() });

    const result = await converseStream(ask(QUESTION), http1Client);
    http1Client.destroy();

    expect(result.error).toBeUndefined();
    expect(result.deltas.join('')).toBe(WEBSOCKET_ANSWER);
    expect(result.events.at(-1)).toBe('metadata');
  });
});
