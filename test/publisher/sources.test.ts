import type { RetrieveAndGenerateStreamResponseOutput } from '@aws-sdk/client-bedrock-agent-runtime';
import type { ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import { StreamingError } from '../../functions/streaming/errors';
import { fromConverseStream } from '../../functions/streaming/sources/converse';
import type { StreamEvent } from '../../functions/streaming/sources/events';
import { withModelRetry } from '../../functions/streaming/sources/model-retry';
import { createPushSource } from '../../functions/streaming/sources/push';
import { fromRetrieveAndGenerateStream } from '../../functions/streaming/sources/retrieve-and-generate';

async function* items<T>(values: T[]): AsyncGenerator<T> {
  for (const value of values) yield value;
}

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

describe('fromConverseStream', () => {
  it('yields text, citations, the stop reason and usage; skips reasoning content', async () => {
    // Prepare: the event sequence Bedrock sends
    const stream = items<ConverseStreamOutput>([
      { messageStart: { role: 'assistant' } },
      { contentBlockDelta: { contentBlockIndex: 0, delta: { reasoningContent: { text: 'thinking…' } } } },
      { contentBlockDelta: { contentBlockIndex: 1, delta: { text: 'Hello' } } },
      {
        contentBlockDelta: {
          contentBlockIndex: 1,
          delta: {
            citation: {
              title: 'Guide',
              location: { web: { url: 'https://docs.example/guide' } },
              sourceContent: [{ text: 'the passage' }],
            },
          },
        },
      },
      { contentBlockStop: { contentBlockIndex: 1 } },
      { messageStop: { stopReason: 'max_tokens' } },
      {
        metadata: { usage: { inputTokens: 3, outputTokens: 5, totalTokens: 8 }, metrics: { latencyMs: 42 } },
      },
    ]);
    // Act
    const events = await collect(fromConverseStream({ stream }));
    // Assess
    expect(events).toEqual([
      { type: 'text', text: 'Hello' },
      {
        type: 'citations',
        citations: [
          { sources: [{ title: 'Guide', uri: 'https://docs.example/guide', excerpt: 'the passage' }] },
        ],
      },
      { type: 'stop', stopReason: 'max_tokens' },
      { type: 'metadata', usage: { inputTokens: 3, outputTokens: 5, totalTokens: 8 }, latencyMs: 42 },
    ]);
  });

  it.each([
    ['internalServerException', 'InternalServerException', false],
    ['modelStreamErrorException', 'ModelStreamErrorException', false],
    ['serviceUnavailableException', 'ServiceUnavailableException', true],
    ['throttlingException', 'ThrottlingException', true],
    ['validationException', 'ValidationException', false],
  ])('ends with a StreamingError on an in-stream %s', async (member, code, retryable) => {
    const stream = items([
      { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'part' } } },
      { [member]: { message: 'went wrong' } } as unknown as ConverseStreamOutput,
    ]);
    const seen: StreamEvent[] = [];
    const failure = await (async () => {
      try {
        for await (const event of fromConverseStream({ stream })) seen.push(event);
      } catch (error) {
        return error;
      }
    })();
    expect(seen).toEqual([{ type: 'text', text: 'part' }]);
    expect(failure).toBeInstanceOf(StreamingError);
    expect(failure).toMatchObject({ code, retryable });
  });

  it('translates an exception the SDK throws while reading into a StreamingError with its name', async () => {
    async function* throwing(): AsyncGenerator<ConverseStreamOutput> {
      yield { contentBlockDelta: { contentBlockIndex: 0, delta: { text: 'a' } } };
      throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    }
    await expect(collect(fromConverseStream({ stream: throwing() }))).rejects.toMatchObject({
      code: 'ThrottlingException',
      retryable: true,
    });
  });
});

describe('fromRetrieveAndGenerateStream', () => {
  it('maps text, citations with retrieved passages and locations, and guardrail interventions', async () => {
    const stream = items<RetrieveAndGenerateStreamResponseOutput>([
      { output: { text: 'Paris is ' } },
      { output: { text: 'the capital.' } },
      {
        citation: {
          citation: {
            generatedResponsePart: { textResponsePart: { text: 'Paris is the capital.' } },
            retrievedReferences: [
              {
                content: { text: 'Paris is the capital of France.' },
                location: { type: 'S3', s3Location: { uri: 's3://kb/docs/france.pdf' } },
              },
              {
                content: { text: 'web text' },
                location: { type: 'WEB', webLocation: { url: 'https://x.example/p' } },
              },
            ],
          },
        },
      },
      { guardrail: { action: 'INTERVENED' } },
    ]);
    const events = await collect(fromRetrieveAndGenerateStream({ stream }));
    expect(events).toEqual([
      { type: 'text', text: 'Paris is ' },
      { type: 'text', text: 'the capital.' },
      {
        type: 'citations',
        citations: [
          {
            text: 'Paris is the capital.',
            sources: [
              {
                uri: 's3://kb/docs/france.pdf',
                title: 'france.pdf',
                excerpt: 'Paris is the capital of France.',
              },
              { uri: 'https://x.example/p', title: 'p', excerpt: 'web text' },
            ],
          },
        ],
      },
      { type: 'guardrail', action: 'INTERVENED' },
      { type: 'stop', stopReason: 'guardrail_intervened' },
    ]);
  });

  it('ends with a StreamingError on an in-stream exception', async () => {
    const stream = items([
      {
        dependencyFailedException: { message: 'kb down' },
      } as unknown as RetrieveAndGenerateStreamResponseOutput,
    ]);
    await expect(collect(fromRetrieveAndGenerateStream({ stream }))).rejects.toMatchObject({
      code: 'DependencyFailedException',
    });
  });
});

describe('withModelRetry', () => {
  const throttled = () => Object.assign(new Error('Too many requests'), { name: 'ThrottlingException' });

  it('retries throttling before the first token, then streams', async () => {
    // Prepare: two throttled attempts, then an answer
    let attempts = 0;
    const source = withModelRetry(
      async function* attempt() {
        attempts++;
        if (attempts < 3) throw throttled();
        yield { type: 'text', text: 'ok' };
      },
      { baseDelayMs: 1, maxDelayMs: 2 },
    );
    // Act
    const events = await collect(source(new AbortController().signal));
    // Assess
    expect(attempts).toBe(3);
    const retrying = { type: 'status', phase: 'retrying', retryInMs: expect.any(Number) };
    expect(events).toEqual([retrying, retrying, { type: 'text', text: 'ok' }]);
  });

  it('gives up after maxAttempts', async () => {
    let attempts = 0;
    const source = withModelRetry(
      // biome-ignore lint/correctness/useYield: a source that always fails before its first event
      async function* attempt() {
        attempts++;
        throw throttled();
      },
      { baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 3 },
    );
    await expect(collect(source(new AbortController().signal))).rejects.toMatchObject({
      code: 'ThrottlingException',
    });
    expect(attempts).toBe(3);
  });

  it('does not retry once text was passed on (the user already saw it)', async () => {
    let attempts = 0;
    const source = withModelRetry(
      async function* attempt() {
        attempts++;
        yield { type: 'text', text: 'partial' };
        throw throttled();
      },
      { baseDelayMs: 1 },
    );
    await expect(collect(source(new AbortController().signal))).rejects.toMatchObject({
      code: 'ThrottlingException',
    });
    expect(attempts).toBe(1);
  });
});

describe('createPushSource', () => {
  it('turns pushed text into events, ending with the stop reason', async () => {
    const push = createPushSource();
    const collected = collect(push.source);
    push.push('a');
    setTimeout(() => {
      push.push('b');
      push.end();
    }, 5);
    expect(await collected).toEqual([
      { type: 'text', text: 'a' },
      { type: 'text', text: 'b' },
      { type: 'stop', stopReason: 'end_turn' },
    ]);
  });

  it('rejects with the error given to fail', async () => {
    const push = createPushSource();
    push.push('a');
    push.fail(new Error('producer broke'));
    await expect(collect(push.source)).rejects.toThrow('producer broke');
  });
});
