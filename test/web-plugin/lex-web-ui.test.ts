/**
 * The Lex Web UI adapter against a store that carries Lex Web UI's own state shape and mutation
 * semantics (store/state.js, store/mutations.js: setLexSessionAttributeValue,
 * setIsLexProcessing, setIsStartingTypingWsMessages, pushWebSocketMessage, typingWsMessages,
 * pushMessage), and a real `ws` server standing in for the WebSocket API.
 */
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import {
  attachToLexWebUi,
  type LexWebUiAdapter,
  type LexWebUiMutation,
  type LexWebUiState,
} from '../../web-plugin/lex-web-ui';

const IDENTITY_ID = 'us-east-1:aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee';

interface State extends LexWebUiState {
  lex: { sessionAttributes: Record<string, unknown>; isProcessing: boolean };
  streaming: {
    wsMessages: string[];
    wsMessagesCurrentIndex: number;
    wsMessagesString: string;
    isStartingTypingWsMessages: boolean;
  };
  messages: { type: string; text: string }[];
}

/** Vuex-like store whose mutations behave like Lex Web UI's. */
function lexWebUiStore(endpoint: string) {
  const state: State = {
    config: {
      region: 'us-east-1',
      lex: {
        allowStreamingResponses: true,
        streamingWebSocketEndpoint: endpoint,
        streamingDynamoDbTable: 'StreamingTable',
      },
    },
    lex: { sessionAttributes: {}, isProcessing: false },
    streaming: {
      wsMessages: [],
      wsMessagesCurrentIndex: 0,
      wsMessagesString: '',
      isStartingTypingWsMessages: true,
    },
    messages: [],
  };
  const mutations: Record<string, (payload?: unknown) => void> = {
    setLexSessionAttributeValue: (p) => {
      const { key, value } = p as { key: string; value: unknown };
      state.lex.sessionAttributes[key] = value;
    },
    setIsLexProcessing: (p) => {
      state.lex.isProcessing = p as boolean;
    },
    setIsStartingTypingWsMessages: (p) => {
      state.streaming.isStartingTypingWsMessages = p as boolean;
      if (!p)
        Object.assign(state.streaming, { wsMessagesString: '', wsMessages: [], wsMessagesCurrentIndex: 0 });
    },
    pushWebSocketMessage: (p) => {
      state.streaming.wsMessages.push(p as string);
    },
    typingWsMessages: () => {
      if (state.streaming.isStartingTypingWsMessages) {
        state.streaming.wsMessagesString = state.streaming.wsMessagesString.concat(
          String(state.streaming.wsMessages[state.streaming.wsMessagesCurrentIndex]),
        );
        state.streaming.wsMessagesCurrentIndex++;
      }
    },
    pushMessage: (p) => {
      state.messages.push(p as { type: string; text: string });
    },
  };
  const subscribers: ((mutation: LexWebUiMutation, state: LexWebUiState) => void)[] = [];
  const store = {
    state,
    commit(type: string, payload?: unknown) {
      const mutation = mutations[type];
      if (!mutation) throw new Error(`unknown mutation ${type}`);
      mutation(payload);
      for (const subscriber of [...subscribers]) subscriber({ type, payload }, state);
    },
    async dispatch(type: string) {
      if (type !== 'getCredentials') throw new Error(`unknown action ${type}`);
      return {
        accessKeyId: 'ASIALEXWEBUI',
        secretAccessKey: 'secret',
        sessionToken: 'token',
        identityId: IDENTITY_ID,
        expiration: new Date(Date.now() + 3600_000),
      };
    },
    subscribe(handler: (mutation: LexWebUiMutation, state: LexWebUiState) => void) {
      subscribers.push(handler);
      return () => subscribers.splice(subscribers.indexOf(handler), 1);
    },
  };
  return store;
}

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
  sockets.length = 0;
});
afterAll(async () => {
  for (const socket of server.clients) socket.terminate();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

const waitFor = async (condition: () => boolean, what: string) => {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};
const send = (frame: object) => sockets[0]?.socket.send(JSON.stringify({ v: 1, ...frame }));

it('sets the streaming session attributes and connects as the Cognito identity', async () => {
  const store = lexWebUiStore(endpoint);
  adapter = attachToLexWebUi(store, { WebSocket });
  const client = await adapter.ready;

  expect(client?.state).toBe('open');
  expect(store.state.lex.sessionAttributes).toEqual({
    streamingEndpoint: endpoint,
    streamingDynamoDbTable: 'StreamingTable',
  });
  expect(sockets[0]?.url.searchParams.get('sessionId')).toBe(IDENTITY_ID);
  expect(sockets[0]?.url.searchParams.get('protocol')).toBe('json');
  // Lex Web UI replaces the attributes with what Lex returns; the adapter puts them back.
  store.commit('setLexSessionAttributeValue', { key: 'streamingEndpoint', value: '' });
  expect(store.state.lex.sessionAttributes.streamingEndpoint).toBe(endpoint);
});

it('shows each chunk in the typing bubble as it arrives and lets the final Lex answer replace it', async () => {
  // Prepare
  const store = lexWebUiStore(endpoint);
  adapter = attachToLexWebUi(store, { WebSocket });
  await adapter.ready;

  // Act: what lexPostText does before calling Lex
  store.commit('setIsLexProcessing', true);
  store.commit('setIsStartingTypingWsMessages', true);
  send({ type: 'start', turnId: 't1', seq: 0 });
  send({ type: 'delta', turnId: 't1', seq: 1, text: 'Streaming ' });
  await waitFor(() => store.state.streaming.wsMessagesString === 'Streaming ', 'the first chunk');
  send({ type: 'delta', turnId: 't1', seq: 2, text: 'is on.' });
  await waitFor(() => store.state.streaming.wsMessagesString === 'Streaming is on.', 'the second chunk');

  // Lex Web UI's built-in socket pushing its own copy does not double the text.
  store.commit('pushWebSocketMessage', 'Streaming ');
  store.commit('typingWsMessages');
  expect(store.state.streaming.wsMessagesString).toBe('Streaming is on.');

  // Lex answers: Lex Web UI resets the bubble and pushes the final message.
  store.commit('setIsStartingTypingWsMessages', false);
  store.commit('setIsLexProcessing', false);
  store.commit('pushMessage', { type: 'bot', text: 'Streaming is **on**.' });
  send({ type: 'delta', turnId: 't1', seq: 3, text: ' late' });
  await new Promise((resolve) => setTimeout(resolve, 50));

  // Assess
  expect(store.state.streaming.wsMessagesString).toBe('');
  expect(store.state.messages).toEqual([{ type: 'bot', text: 'Streaming is **on**.' }]);
});

it('does nothing when Lex Web UI streaming is off', async () => {
  const store = lexWebUiStore(endpoint);
  store.state.config.lex.allowStreamingResponses = false;
  adapter = attachToLexWebUi(store, { WebSocket });
  await expect(adapter.ready).resolves.toBeUndefined();
  expect(store.state.lex.sessionAttributes).toEqual({});
  expect(sockets).toHaveLength(0);
});
