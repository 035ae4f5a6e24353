/**
 * The LangChain.js adapter with LangChain's own classes: AIMessageChunk as ChatBedrockConverse
 * yields them (string content, metadata chunks, messageStop), content blocks, a chain through
 * StringOutputParser, and a cancel that reaches the model.
 */
import { AIMessage, AIMessageChunk } from '@langchain/core/messages';
import { StringOutputParser } from '@langchain/core/output_parsers';
import { ChatPromptTemplate } from '@langchain/core/prompts';
import { FakeStreamingChatModel } from '@langchain/core/utils/testing';
import { StreamingError } from '../../functions/streaming/errors';
import type { StreamEvent } from '../../functions/streaming/sources/events';
import {
  fromLangChainStream,
  type LangChainChunkLike,
  langChainStreamSource,
} from '../../functions/streaming/sources/langchain';

async function* items<T>(values: T[]): AsyncGenerator<T> {
  for (const value of values) yield value;
}

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const out: StreamEvent[] = [];
  for await (const event of events) out.push(event);
  return out;
}

async function failureOf(events: AsyncIterable<StreamEvent>, seen: StreamEvent[] = []): Promise<unknown> {
  try {
    for await (const event of events) seen.push(event);
  } catch (error) {
    return error;
  }
  throw new Error('the stream ended without an error');
}

const textOf = (events: StreamEvent[]) =>
  events.map((event) => (event.type === 'text' ? event.text : '')).join('');

describe('fromLangChainStream', () => {
  it('maps the chunks ChatBedrockConverse yields: text, the stop reason, then usage and latency once', async () => {
    // Prepare: the chunk sequence @langchain/aws makes of a ConverseStream (messageStart, deltas,
    // contentBlockStop, messageStop, metadata), built with LangChain's own class
    const chunks = [
      new AIMessageChunk({ content: '', response_metadata: { messageStart: { role: 'assistant' } } }),
      new AIMessageChunk({ content: 'Streaming is ' }),
      new AIMessageChunk({ content: 'on.' }),
      new AIMessageChunk({ content: '', response_metadata: { contentBlockStop: { contentBlockIndex: 0 } } }),
      new AIMessageChunk({ content: '', response_metadata: { messageStop: { stopReason: 'max_tokens' } } }),
      new AIMessageChunk({
        content: '',
        usage_metadata: { input_tokens: 12, output_tokens: 4, total_tokens: 16 },
        response_metadata: {
          metadata: {
            usage: { inputTokens: 12, outputTokens: 4, totalTokens: 16 },
            metrics: { latencyMs: 321 },
          },
          model_provider: 'bedrock-converse',
        },
      }),
    ];
    // Act
    const events = await collect(fromLangChainStream(items(chunks)));
    // Assess
    expect(events).toEqual([
      { type: 'text', text: 'Streaming is ' },
      { type: 'text', text: 'on.' },
      { type: 'stop', stopReason: 'max_tokens' },
      { type: 'metadata', usage: { inputTokens: 12, outputTokens: 4, totalTokens: 16 }, latencyMs: 321 },
    ]);
  });

  it('reads text blocks (with citation annotations) and skips reasoning and tool-call blocks', async () => {
    const chunks = [
      new AIMessageChunk({ content: [{ type: 'reasoning', reasoning: 'The user wants…' }] }),
      new AIMessageChunk({
        content: [
          { type: 'text', text: 'See the guide.' },
          { type: 'tool_use', id: 'tool-1', name: 'search', input: {} },
        ],
      }),
      new AIMessageChunk({
        content: [
          {
            type: 'text',
            text: ' It says so.',
            annotations: [
              {
                type: 'citation',
                title: 'Guide',
                url: 'https://docs.example/guide',
                citedText: ' the passage ',
              },
              { type: 'non_standard', value: {} },
            ],
          },
        ],
      }),
    ];
    const events = await collect(fromLangChainStream(items(chunks)));
    expect(events).toEqual([
      { type: 'text', text: 'See the guide.' },
      { type: 'text', text: ' It says so.' },
      {
        type: 'citations',
        citations: [
          { sources: [{ title: 'Guide', uri: 'https://docs.example/guide', excerpt: 'the passage' }] },
        ],
      },
    ]);
  });

  it("reads Bedrock's citations_content block and the non-streaming stopReason (a model that does not stream)", async () => {
    // Prepare: what ChatBedrockConverse returns from invoke() for a cited answer (one whole message)
    const message = new AIMessage({
      content: [
        {
          type: 'citations_content',
          citationsContent: {
            content: [{ text: 'QnABot answers ' }, { text: 'questions.' }],
            citations: [
              {
                title: 'QnABot on AWS',
                location: { web: { url: 'https://aws.example/qnabot' } },
                sourceContent: [{ text: 'QnABot is a chatbot.' }],
              },
              { source: 's3://bucket/faq.md' },
            ],
          },
        },
      ],
      response_metadata: { stopReason: 'end_turn' },
    });
    // Act
    const events = await collect(fromLangChainStream(items([message])));
    // Assess
    expect(events).toEqual([
      { type: 'text', text: 'QnABot answers questions.' },
      {
        type: 'citations',
        citations: [
          {
            sources: [
              { title: 'QnABot on AWS', uri: 'https://aws.example/qnabot', excerpt: 'QnABot is a chatbot.' },
            ],
          },
          { sources: [{ uri: 's3://bucket/faq.md' }] },
        ],
      },
      { type: 'stop', stopReason: 'end_turn' },
    ]);
  });

  it('sums usage spread over chunks and translates finish_reason and stop_reason', async () => {
    const openAiStyle = [
      new AIMessageChunk({
        content: 'a',
        usage_metadata: { input_tokens: 5, output_tokens: 0, total_tokens: 5 },
      }),
      new AIMessageChunk({
        content: 'b',
        usage_metadata: { input_tokens: 0, output_tokens: 2, total_tokens: 2 },
        response_metadata: { finish_reason: 'length' },
      }),
    ];
    const anthropicStyle = [
      new AIMessageChunk({ content: 'c', response_metadata: { stop_reason: 'stop_sequence' } }),
    ];
    const openAi = await collect(fromLangChainStream(items(openAiStyle)));
    const anthropic = await collect(fromLangChainStream(items(anthropicStyle)));
    expect(openAi.slice(-2)).toEqual([
      { type: 'stop', stopReason: 'max_tokens' },
      { type: 'metadata', usage: { inputTokens: 5, outputTokens: 2, totalTokens: 7 } },
    ]);
    expect(anthropic).toEqual([
      { type: 'text', text: 'c' },
      { type: 'stop', stopReason: 'stop_sequence' },
    ]);
  });

  it("takes a chain's .stream() through StringOutputParser: strings in, the same text out", async () => {
    // Prepare: prompt → chat model → StringOutputParser, the common LCEL chain
    const model = new FakeStreamingChatModel({
      chunks: ['Lex ', 'asks, ', '', 'the hook ', 'answers.'].map(
        (content) => new AIMessageChunk({ content }),
      ),
    });
    const chain = ChatPromptTemplate.fromTemplate('{question}').pipe(model).pipe(new StringOutputParser());
    // Act
    const events = await collect(fromLangChainStream(await chain.stream({ question: 'Who answers?' })));
    // Assess: every piece is text, empty strings dropped
    expect(events).toEqual(
      ['Lex ', 'asks, ', 'the hook ', 'answers.'].map((text) => ({ type: 'text', text })),
    );
  });

  it('accepts what model.stream() resolves to as it is (a type check as much as a run)', async () => {
    const model = new FakeStreamingChatModel({ chunks: [new AIMessageChunk({ content: 'typed' })] });
    const stream: AsyncIterable<LangChainChunkLike> = await model.stream('hi');
    expect(textOf(await collect(fromLangChainStream(stream)))).toBe('typed');
  });

  it('ends with a StreamingError named after what LangChain threw, keeping the text before it', async () => {
    async function* failing(): AsyncGenerator<AIMessageChunk> {
      yield new AIMessageChunk({ content: 'part' });
      throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    }
    const seen: StreamEvent[] = [];
    const failure = await failureOf(fromLangChainStream(failing()), seen);
    expect(seen).toEqual([{ type: 'text', text: 'part' }]);
    expect(failure).toBeInstanceOf(StreamingError);
    expect(failure).toMatchObject({ code: 'ThrottlingException', retryable: true });
  });

  it("names @langchain/aws's idle timeout StreamIdleTimeout, retryable", async () => {
    async function* stalled(): AsyncGenerator<AIMessageChunk> {
      yield* [];
      throw new Error('Bedrock Converse timed out after 60000 ms while waiting for the next chunk.');
    }
    const failure = await failureOf(fromLangChainStream(stalled()));
    expect(failure).toMatchObject({ name: 'StreamingError', code: 'StreamIdleTimeout', retryable: true });
  });
});

describe('langChainStreamSource', () => {
  it('hands the cancel signal to LangChain: aborting stops the model mid-answer', async () => {
    // Prepare: a model that types a long answer one character at a time
    const answer = 'A long answer that keeps coming, one character at a time, until it is cancelled.';
    const model = new FakeStreamingChatModel({ responses: [new AIMessage(answer)], sleep: 5 });
    let generated = 0;
    const controller = new AbortController();
    const source = langChainStreamSource((signal) =>
      model.stream('go', { signal, callbacks: [{ handleLLMNewToken: () => void generated++ }] }),
    );
    // Act: cancel after the third piece of text
    const seen: StreamEvent[] = [];
    let failure: unknown;
    try {
      for await (const event of source(controller.signal)) {
        seen.push(event);
        if (seen.length === 3) controller.abort();
      }
    } catch (error) {
      failure = error;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    // Assess: the stream ended with the abort (a model without the signal would have typed to the
    // end), the text is a prefix, and the model typed at most a piece or two past the cancel
    expect(failure).toMatchObject({ name: 'StreamingError', code: 'AbortError' });
    expect(seen.length).toBe(3);
    expect(answer.startsWith(textOf(seen))).toBe(true);
    expect(generated).toBeLessThanOrEqual(seen.length + 2);
  });

  it('calls a throttled model again before its first text, then streams (maxAttempts counts calls)', async () => {
    // Prepare: the first call is refused like Bedrock's 429, the second streams
    let calls = 0;
    const open = async () => {
      calls++;
      if (calls === 1) throw Object.assign(new Error('Too many requests'), { name: 'ThrottlingException' });
      return items([new AIMessageChunk({ content: 'second time lucky' })]);
    };
    // Act
    const retried = await collect(
      langChainStreamSource(open, { baseDelayMs: 1, maxDelayMs: 2 })(new AbortController().signal),
    );
    calls = 0;
    const failure = await failureOf(
      langChainStreamSource(open, { maxAttempts: 1 })(new AbortController().signal),
    );
    // Assess
    expect(textOf(retried)).toBe('second time lucky');
    expect(failure).toMatchObject({ code: 'ThrottlingException', retryable: true });
  });
});
