/**
 * A json-protocol socket that receives something that is not a well-formed frame: it must never
 * reach the page as answer text. The client reports it (`error` BAD_FRAME) and carries on with the
 * turn as if it had not come; the Lex Web UI adapter keeps it out of the typing bubble. The one
 * documented exception is raw answer text on the json socket (QnABot 7's built-in streaming), shown
 * only while a Lex request is in flight (web-plugin/frame-reader.ts `rawAnswerText`).
 */
import type { AddressInfo } from 'node:net';
import type { Store, StoreOptions } from 'vuex/types/index.js';
import { WebSocket, WebSocketServer } from 'ws';
import { StreamingClient, type StreamingClientEvents } from '../../web-plugin/client';
import { attachToLexWebUi, type LexWebUiAdapter, type LexWebUiStore } from '../../web-plugin/lex-web-ui';
import {
  type LexAnswer,
  type LexWebUiLikeState,
  lexWebUiLikeStoreOptions,
  type OwnSocket,
  startLexWebUiLike,
} from '../browser/lex-web-ui-store';
import { FakeWebSocket } from './fake-websocket';
import { MALFORMED } from './malformed-messages';

const ENDPOINT = 'wss://abc123defg.execute-api.us-east-1.amazonaws.com/Prod';
const IDENTITY_ID = 'us-east-1:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';

describe('StreamingClient (json protocol)', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: new Date('2025-03-01T10:00:00Z') });
    FakeWebSocket.reset();
  });
  afterEach(() => jest.useRealTimers());

  it.each(MALFORMED)(
    '$name: reported as BAD_FRAME, never a delta, and the turn goes on without a gap',
    async ({ message, reason }) => {
      // Prepare
      const client = new StreamingClient({
        endpoint: ENDPOINT,
        sessionId: IDENTITY_ID,
        credentials: async () => ({ accessKeyId: 'ASIAKEY', secretAccessKey: 'secret' }),
        WebSocket: FakeWebSocket,
      });
      const events: { name: keyof StreamingClientEvents; payload: unknown }[] = [];
      for (const name of ['start', 'delta', 'citation', 'end', 'error', 'gap'] as const) {
        client.on(name, (payload) => events.push({ name, payload }));
      }
      const opened = client.connect();
      await jest.advanceTimersByTimeAsync(0);
      const socket = FakeWebSocket.last();
      socket.open();
      await opened;

      // Act: a turn with the malformed message where its second frame belongs
      socket.receive({ v: 1, type: 'start', turnId: 't1', seq: 0 });
      socket.receive(message);
      socket.receive({ v: 1, type: 'delta', turnId: 't1', seq: 1, text: 'shown' });
      socket.receive({ v: 1, type: 'end', turnId: 't1', seq: 2, stopReason: 'end_turn', totalMs: 5 });

      // Assess
      expect(events.map((event) => event.name)).toEqual(['start', 'error', 'delta', 'end']);
      expect(events[1]?.payload).toMatchObject({
        code: 'BAD_FRAME',
        message: `ignored a message that is not a frame: ${reason}`,
      });
      expect(events[2]?.payload).toMatchObject({ text: 'shown' });
      client.close();
    },
  );
});

// vuex 4.1.0's package.json "exports" names no types, so the types come from its types/ folder.
const { createStore } = require('vuex') as { createStore<S>(options: StoreOptions<S>): Store<S> };

describe('Lex Web UI adapter', () => {
  let server: WebSocketServer;
  let endpoint: string;
  let adapter: LexWebUiAdapter | undefined;
  const sockets: { socket: WebSocket; url: URL }[] = [];

  beforeAll(async () => {
    server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    server.on('connection', (socket, request) =>
      sockets.push({ socket, url: new URL(`ws://x${request.url}`) }),
    );
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    endpoint = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/Prod`;
  });
  afterEach(() => {
    adapter?.detach();
    adapter = undefined;
    for (const { socket } of sockets) socket.terminate();
    sockets.length = 0;
  });
  afterAll(async () => {
    for (const socket of server.clients) socket.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  const waitFor = async (condition: () => boolean, what: string) => {
    const deadline = Date.now() + 10_000;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await pause(5);
    }
  };

  /** A Lex Web UI 0.24-like store (test/browser/lex-web-ui-store.ts) with the adapter attached. */
  async function started() {
    const lexCalls: { text: string; answer(text: string): void }[] = [];
    const { options } = lexWebUiLikeStoreOptions({
      cognitoCredentials: async () => ({
        accessKeyId: 'ASIAKEY',
        secretAccessKey: 'secret',
        sessionToken: 'token',
        identityId: IDENTITY_ID,
        expiration: new Date(Date.now() + 3600_000),
      }),
      recognizeText: (input) =>
        new Promise<LexAnswer>((resolve) =>
          lexCalls.push({
            text: input.text,
            answer: (text) => resolve({ sessionId: input.sessionId, messages: [{ content: text }] }),
          }),
        ),
      signUrl: async (url) => `${url}&X-Amz-Signature=fake`,
      WebSocket: WebSocket as unknown as new (url: string) => OwnSocket,
      setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
    });
    const store = createStore(options) as Store<LexWebUiLikeState>;
    const warnings: unknown[] = [];
    adapter = attachToLexWebUi(store as unknown as LexWebUiStore, {
      WebSocket,
      logger: { debug: () => {}, info: () => {}, warn: (...args) => warnings.push(args), error: () => {} },
    });
    await startLexWebUiLike(store, {
      region: 'us-east-1',
      cognito: { poolId: 'us-east-1:00000000-0000-4000-8000-00000000c0de' },
      lex: {
        allowStreamingResponses: true,
        streamingWebSocketEndpoint: endpoint,
        streamingDynamoDbTable: '',
      },
    });
    await adapter.ready;
    const adapterSocket = () =>
      sockets.find((entry) => entry.url.searchParams.get('protocol') === 'json')?.socket;
    await waitFor(() => Boolean(adapterSocket()), "the adapter's socket");
    const ask = async (text: string) => {
      const done = store.dispatch('postTextMessage', { type: 'human', text });
      await waitFor(() => lexCalls.at(-1)?.text === text, 'the Lex request');
      return { call: lexCalls.at(-1) as (typeof lexCalls)[number], done };
    };
    return {
      store,
      warnings,
      send: (data: string) => adapterSocket()?.send(data),
      bubble: () => store.state.streaming.wsMessagesString,
      ask,
    };
  }

  it('keeps malformed frames out of the typing bubble while Lex is answering; json deltas and raw text still show', async () => {
    // Prepare: a Lex request in flight, a json turn under way
    const page = await started();
    const { call, done } = await page.ask('What is QnABot?');
    page.send(JSON.stringify({ v: 1, type: 'start', turnId: 't1', seq: 0 }));
    page.send(JSON.stringify({ v: 1, type: 'delta', turnId: 't1', seq: 1, text: 'QnABot ' }));
    await waitFor(() => page.bubble() === 'QnABot ', 'the first delta');

    // Act: every malformed frame, then more text
    for (const { message } of MALFORMED.filter((entry) => entry.frame)) page.send(message);
    page.send(JSON.stringify({ v: 1, type: 'delta', turnId: 't1', seq: 2, text: 'is a bot.' }));
    await waitFor(() => page.bubble() === 'QnABot is a bot.', 'the next delta');

    // Assess: none of it was shown; each was reported as a bad frame
    expect(page.bubble()).toBe('QnABot is a bot.');
    expect(JSON.stringify(page.warnings).match(/BAD_FRAME/g)).toHaveLength(
      MALFORMED.filter((e) => e.frame).length,
    );

    // Act + Assess: raw text (QnABot's built-in streaming) is answer text while Lex is answering
    page.send(' Raw words.');
    await waitFor(() => page.bubble() === 'QnABot is a bot. Raw words.', 'the raw text');
    call.answer('QnABot is a bot.');
    await done;
  });

  it('shows nothing of any malformed message outside a Lex request, frame or not', async () => {
    // Prepare: one question answered, so the page is idle again
    const page = await started();
    const { call, done } = await page.ask('Hello?');
    call.answer('Hello!');
    await done;

    // Act
    for (const { message } of MALFORMED) page.send(message);
    page.send(JSON.stringify({ v: 1, type: 'start', turnId: 't9', seq: 0 }));
    page.send(
      JSON.stringify({ v: 1, type: 'end', turnId: 't9', seq: 1, stopReason: 'end_turn', totalMs: 1 }),
    );
    await waitFor(() => JSON.stringify(page.warnings).includes('BAD_FRAME'), 'the frames to be read');
    await pause(100);

    // Assess
    expect(page.bubble()).toBe('');
    expect(page.store.state.messages.at(-1)).toEqual({ type: 'bot', text: 'Hello!' });
  });
});
