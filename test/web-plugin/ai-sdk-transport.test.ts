/**
 * QnaStreamingTransport's chunks for what the browser test cannot make the local stack send:
 * citations (the local bot answers without a knowledge base), a bot that reformats its final answer,
 * a socket that never opened, a refused question. The StreamingClient is the real one, reading the
 * frames from a scripted socket (fake-websocket.ts), as in the client's own tests.
 */
import type { Frame } from '../../functions/protocol/frames';
import { QnaStreamingTransport, type QnaUIMessageChunk } from '../../web-plugin/ai-sdk-transport';
import { StreamingClient } from '../../web-plugin/client';
import { FakeWebSocket } from './fake-websocket';

const ENDPOINT = 'wss://abc123defg.execute-api.us-east-1.amazonaws.com/Prod';
const QUESTION = [{ role: 'user', parts: [{ type: 'text', text: 'What is QnABot?' }] }];

function newClient(): StreamingClient {
  return new StreamingClient({
    endpoint: ENDPOINT,
    sessionId: 'us-east-1:0000-1111',
    credentials: async () => ({ accessKeyId: 'ASIAKEY', secretAccessKey: 'secret', sessionToken: 'token' }),
    WebSocket: FakeWebSocket,
  });
}

async function openClient(): Promise<{ client: StreamingClient; socket: FakeWebSocket }> {
  FakeWebSocket.reset();
  const client = newClient();
  const opened = client.connect();
  await new Promise((resolve) => setTimeout(resolve, 0));
  const socket = FakeWebSocket.last();
  socket.open();
  await opened;
  return { client, socket };
}

/** A function the test resolves (or rejects) when it chooses, like a Lex call in flight. */
function pendingAnswer() {
  let resolve!: (text: string) => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<string>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { ask: jest.fn(() => promise), resolve, reject };
}

async function readAll(stream: ReadableStream<QnaUIMessageChunk>): Promise<QnaUIMessageChunk[]> {
  const chunks: QnaUIMessageChunk[] = [];
  const reader = stream.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    chunks.push(value);
  }
}

const frame = (turnId: string, seq: number, rest: Record<string, unknown>) =>
  ({ v: 1, turnId, seq, ...rest }) as Frame;

it('streams a turn as text parts, one source-url per cited uri, and finish with its timing and usage', async () => {
  // Prepare
  const { client, socket } = await openClient();
  const bot = pendingAnswer();
  const transport = new QnaStreamingTransport({ client, ask: bot.ask });

  // Act
  const stream = await transport.sendMessages({ messages: QUESTION, abortSignal: undefined });
  const reading = readAll(stream);
  socket.receive(frame('t1', 0, { type: 'start' }));
  socket.receive(frame('t1', 1, { type: 'delta', text: 'QnABot is ' }));
  socket.receive(frame('t1', 2, { type: 'delta', text: 'a chatbot.' }));
  socket.receive(
    frame('t1', 3, {
      type: 'citation',
      citations: [
        {
          text: 'QnABot is a chatbot.',
          sources: [
            { title: 'Overview', uri: 'https://example.com/qnabot' },
            { excerpt: 'no uri: not a link' },
            { uri: 'https://example.com/qnabot' },
          ],
        },
        { sources: [{ uri: 's3://docs/guide.md' }] },
      ],
    }),
  );
  socket.receive(
    frame('t1', 4, {
      type: 'end',
      stopReason: 'max_tokens',
      usage: { inputTokens: 12, outputTokens: 7, totalTokens: 19 },
      ttftMs: 320,
      totalMs: 900,
    }),
  );
  bot.resolve('QnABot is a chatbot.');
  const chunks = await reading;

  // Assess
  expect(bot.ask).toHaveBeenCalledWith('What is QnABot?');
  expect(chunks).toEqual([
    { type: 'start' },
    { type: 'text-start', id: 't1' },
    { type: 'text-delta', id: 't1', delta: 'QnABot is ' },
    { type: 'text-delta', id: 't1', delta: 'a chatbot.' },
    { type: 'source-url', sourceId: 't1-source-1', url: 'https://example.com/qnabot', title: 'Overview' },
    { type: 'source-url', sourceId: 't1-source-2', url: 's3://docs/guide.md' },
    { type: 'text-end', id: 't1' },
    {
      type: 'finish',
      finishReason: 'length',
      messageMetadata: {
        turnId: 't1',
        stopReason: 'max_tokens',
        totalMs: 900,
        usage: { inputTokens: 12, outputTokens: 7, totalTokens: 19 },
        ttftMs: 320,
      },
    },
  ]);
  client.close();
});

it('a bot answer that differs from the streamed text replaces it (reset-step), sources kept', async () => {
  // Prepare
  const { client, socket } = await openClient();
  const bot = pendingAnswer();
  const transport = new QnaStreamingTransport({ client, ask: bot.ask });

  // Act
  const reading = readAll(await transport.sendMessages({ messages: QUESTION, abortSignal: undefined }));
  socket.receive(frame('t2', 0, { type: 'start' }));
  socket.receive(frame('t2', 1, { type: 'delta', text: 'plain answer' }));
  socket.receive(
    frame('t2', 2, { type: 'citation', citations: [{ sources: [{ uri: 'https://a.example/' }] }] }),
  );
  socket.receive(frame('t2', 3, { type: 'end', stopReason: 'end_turn', totalMs: 10 }));
  bot.resolve('**Formatted** answer');
  const chunks = await reading;

  // Assess
  const afterEnd = chunks.slice(chunks.findIndex((chunk) => chunk.type === 'reset-step'));
  expect(afterEnd.slice(0, 5)).toEqual([
    { type: 'reset-step' },
    { type: 'text-start', id: 't2-final' },
    { type: 'text-delta', id: 't2-final', delta: '**Formatted** answer' },
    { type: 'source-url', sourceId: 't2-source-1', url: 'https://a.example/' },
    { type: 'text-end', id: 't2-final' },
  ]);
  expect(afterEnd.at(-1)).toMatchObject({ type: 'finish', finishReason: 'stop' });
  client.close();
});

it('without a socket the bot’s answer is the whole text, at once', async () => {
  // Prepare: a client that never connected (streaming down)
  const client = newClient();
  const transport = new QnaStreamingTransport({ client, ask: async () => 'Answer through Lex only.' });

  // Act
  const chunks = await readAll(await transport.sendMessages({ messages: QUESTION, abortSignal: undefined }));

  // Assess
  expect(chunks).toEqual([
    { type: 'start' },
    { type: 'text-start', id: 'answer' },
    { type: 'text-delta', id: 'answer', delta: 'Answer through Lex only.' },
    { type: 'text-end', id: 'answer' },
    { type: 'finish', finishReason: 'stop', messageMetadata: {} },
  ]);
});

it('a refused question ends the stream with its error; a question without text is refused before asking', async () => {
  // Prepare
  const client = newClient();
  const ask = jest.fn(async () => {
    throw new Error('Lex RecognizeText failed with HTTP 403 (AccessDeniedException)');
  });
  const transport = new QnaStreamingTransport({ client, ask });

  // Act
  const chunks = await readAll(await transport.sendMessages({ messages: QUESTION, abortSignal: undefined }));
  const empty = transport.sendMessages({
    messages: [{ role: 'user', parts: [{ type: 'file' }] }],
    abortSignal: undefined,
  });

  // Assess
  expect(chunks).toEqual([
    { type: 'start' },
    { type: 'error', errorText: 'Lex RecognizeText failed with HTTP 403 (AccessDeniedException)' },
  ]);
  await expect(empty).rejects.toThrow('the last user message has no text to ask');
  expect(ask).toHaveBeenCalledTimes(1);
  await expect(transport.reconnectToStream()).resolves.toBeNull();
});

it('stop (abort) cancels the turn on the socket and closes the stream', async () => {
  // Prepare
  const { client, socket } = await openClient();
  const bot = pendingAnswer();
  const transport = new QnaStreamingTransport({ client, ask: bot.ask });
  const stop = new AbortController();

  // Act
  const reading = readAll(await transport.sendMessages({ messages: QUESTION, abortSignal: stop.signal }));
  socket.receive(frame('t3', 0, { type: 'start' }));
  socket.receive(frame('t3', 1, { type: 'delta', text: 'partial' }));
  stop.abort();
  socket.receive(frame('t3', 2, { type: 'delta', text: ' more' }));
  const chunks = await reading;

  // Assess
  expect(socket.sent).toContain('{"action":"cancel"}');
  expect(chunks.map((chunk) => chunk.type)).toEqual(['start', 'text-start', 'text-delta']);
  bot.resolve('partial more');
  client.close();
});
