/**
 * The Lex Web UI adapter against a real Vuex 4 store that behaves like Lex Web UI 0.24.1's
 * (test/browser/lex-web-ui-store.ts: its state, mutations, actions, Lex client and its own socket),
 * and a real `ws` server standing in for the WebSocket API. Lex is a function the test answers.
 * The same store in a Vue 3 app in Chromium against the local stack: test/browser/lex-web-ui.test.ts.
 */
import type { AddressInfo } from 'node:net';
import type { Store, StoreOptions } from 'vuex/types/index.js';
import { WebSocket, WebSocketServer } from 'ws';
import { rawAnswerText } from '../../web-plugin/frame-reader';
import {
  attachToLexWebUi,
  findLexWebUiStore,
  type LexWebUiAdapter,
  type LexWebUiStore,
} from '../../web-plugin/lex-web-ui';
import {
  type LexAnswer,
  type LexWebUiLikeConfig,
  type LexWebUiLikeCredentials,
  type LexWebUiLikeServices,
  type LexWebUiLikeState,
  lexWebUiLikeStoreOptions,
  type OwnSocket,
  startLexWebUiLike,
} from '../browser/lex-web-ui-store';

// vuex 4.1.0's package.json "exports" names no types, so the types come from its types/ folder.
const { createStore } = require('vuex') as { createStore<S>(options: StoreOptions<S>): Store<S> };

const IDENTITY_ID = 'us-east-1:aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee';
const OTHER_IDENTITY_ID = 'us-east-1:11111111-2222-4333-8444-555555555555';

let server: WebSocketServer;
let endpoint: string;
let adapter: LexWebUiAdapter | undefined;
/** Every socket the server accepted: the adapter's (protocol=json) and Lex Web UI's own. */
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
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await pause(5);
  }
};

interface LexCall {
  sessionId: string;
  text: string;
  sessionAttributes: Record<string, unknown>;
  answer(text: string): void;
}

function credentialsOf(identityId: string): LexWebUiLikeCredentials {
  return {
    accessKeyId: `ASIA${identityId.slice(-6)}`,
    secretAccessKey: 'secret',
    sessionToken: 'token',
    identityId,
    expiration: new Date(Date.now() + 3600_000),
  };
}

/** A Lex Web UI store with fake Cognito and Lex; Lex answers when the test says so. */
function lexWebUi(overrides: Partial<LexWebUiLikeServices> = {}) {
  const lexCalls: LexCall[] = [];
  const services: LexWebUiLikeServices = {
    cognitoCredentials: async () => credentialsOf(IDENTITY_ID),
    recognizeText: (input) =>
      new Promise<LexAnswer>((resolve) =>
        lexCalls.push({
          ...input,
          answer: (text) => resolve({ sessionId: input.sessionId, messages: [{ content: text }] }),
        }),
      ),
    signUrl: async (url) => `${url}&X-Amz-Signature=fake`,
    WebSocket: WebSocket as unknown as new (url: string) => OwnSocket,
    // Unref'd: Lex Web UI's 9-minute heartbeat must not keep jest running.
    setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
    ...overrides,
  };
  const { options, internals } = lexWebUiLikeStoreOptions(services);
  const store = createStore(options) as Store<LexWebUiLikeState>;
  return { store, lexCalls, internals };
}

const streamingConfig = (): LexWebUiLikeConfig => ({
  region: 'us-east-1',
  cognito: { poolId: 'us-east-1:00000000-0000-4000-8000-00000000c0de' },
  lex: {
    allowStreamingResponses: true,
    streamingWebSocketEndpoint: endpoint,
    streamingDynamoDbTable: 'StreamingTable',
  },
});

const adapterSocket = () =>
  sockets.filter((entry) => entry.url.searchParams.get('protocol') === 'json').at(-1);
const ownSocket = () => sockets.find((entry) => !entry.url.searchParams.has('protocol'));
const bubble = (store: Store<LexWebUiLikeState>) => store.state.streaming.wsMessagesString;

/** Attaches the adapter (as the page's script does, before Lex Web UI has its config) and starts Lex Web UI. */
async function started(overrides: Partial<LexWebUiLikeServices> = {}) {
  const lex = lexWebUi(overrides);
  adapter = attachToLexWebUi(lex.store as unknown as LexWebUiStore, { WebSocket });
  await startLexWebUiLike(lex.store, streamingConfig());
  await adapter.ready;
  await waitFor(() => Boolean(adapterSocket() && ownSocket()), 'both sockets');
  return lex;
}

/** postTextMessage as InputContainer dispatches it; resolves with Lex's pending call. */
async function ask(lex: ReturnType<typeof lexWebUi>, text: string) {
  const asked = lex.store.dispatch('postTextMessage', { type: 'human', text });
  await waitFor(() => lex.lexCalls.length > 0 && lex.lexCalls.at(-1)?.text === text, 'the Lex request');
  return { call: lex.lexCalls.at(-1) as LexCall, done: asked };
}

const json = (frame: object) => JSON.stringify({ v: 1, ...frame });

it("makes Lex Web UI send the visitor's Cognito identity id to Lex and registers the socket under it", async () => {
  // Prepare
  const lex = await started();

  // Act
  const { call, done } = await ask(lex, 'hello');
  call.answer('Hello!');
  await done;

  // Assess: Lex, the adapter's socket and Lex Web UI's state agree on the session id
  expect(call.sessionId).toBe(IDENTITY_ID);
  expect(adapter?.sessionId).toBe(IDENTITY_ID);
  expect(adapterSocket()?.url.searchParams.get('sessionId')).toBe(IDENTITY_ID);
  expect(lex.internals.userId).toBe(IDENTITY_ID);
  expect(lex.store.state.lex.sessionId).toBe(IDENTITY_ID);
  // Lex Web UI's Lex client still signs (the adapter's credentials are a provider function)
  expect(lex.store.state.messages.at(-1)).toEqual({ type: 'bot', text: 'Hello!' });
  expect(call.sessionAttributes).toMatchObject({
    streamingEndpoint: endpoint,
    streamingDynamoDbTable: 'StreamingTable',
  });
});

it("shows every chunk the moment it arrives, the last one too, never twice, and Lex's answer replaces it", async () => {
  // Prepare
  const lex = await started();
  const { call, done } = await ask(lex, 'Is streaming on?');
  const adapterSide = adapterSocket()?.socket;
  const lexWebUiSide = ownSocket()?.socket;

  // Act: the publisher posts json to the adapter's socket and raw text to Lex Web UI's
  adapterSide?.send(json({ type: 'start', turnId: 't1', seq: 0 }));
  adapterSide?.send(json({ type: 'delta', turnId: 't1', seq: 1, text: 'Streaming ' }));
  lexWebUiSide?.send('Streaming ');
  await waitFor(() => bubble(lex.store) === 'Streaming ', 'the first chunk');
  adapterSide?.send(json({ type: 'delta', turnId: 't1', seq: 2, text: 'is on.' }));
  await waitFor(() => bubble(lex.store) === 'Streaming is on.', 'the last chunk, at once');
  lexWebUiSide?.send('is on.');
  await waitFor(() => lex.internals.ownFrames.length === 2, "Lex Web UI's own frames");
  await pause(700); // Lex Web UI's own typing would have run by now

  // Assess
  expect(bubble(lex.store)).toBe('Streaming is on.');

  // Act: Lex answers, then a late chunk arrives
  call.answer('Streaming is **on**.');
  await done;
  adapterSide?.send(json({ type: 'delta', turnId: 't1', seq: 3, text: ' late' }));
  await pause(50);

  // Assess
  expect(bubble(lex.store)).toBe('');
  expect(lex.store.state.lex.isProcessing).toBe(false);
  expect(lex.store.state.messages.at(-1)).toEqual({ type: 'bot', text: 'Streaming is **on**.' });
});

it("takes raw text on the json socket (QnABot's built-in streaming) as text of the current request only", async () => {
  // Prepare
  const lex = await started();
  const warnings: unknown[] = [];
  adapter?.detach();
  adapter = attachToLexWebUi(lex.store as unknown as LexWebUiStore, {
    WebSocket,
    logger: { debug: () => {}, info: () => {}, warn: (...args) => warnings.push(args), error: () => {} },
  });
  await adapter.ready;
  const adapterSide = adapterSocket()?.socket;

  // Act: text outside a Lex request is dropped
  adapterSide?.send('stray words');
  await pause(50);
  const before = bubble(lex.store);
  const { call, done } = await ask(lex, 'What is QnABot?');
  adapterSide?.send('QnABot ');
  adapterSide?.send('/stop/');
  adapterSide?.send('is a bot.');
  await waitFor(() => bubble(lex.store) === 'QnABot is a bot.', 'the raw text');
  call.answer('QnABot is a bot.');
  await done;

  // Assess
  expect(before).toBe('');
  expect(warnings).toEqual([]);
});

it("shows the frames of Lex Web UI's own socket at once when only that socket carries the answer", async () => {
  // Prepare
  const lex = await started();
  const { call, done } = await ask(lex, 'Built-in streaming?');
  const askedAt = Date.now();

  // Act: QnABot's built-in streaming posts to the newest text-protocol tab: Lex Web UI's
  ownSocket()?.socket.send('Only ');
  ownSocket()?.socket.send('here.');
  await waitFor(() => bubble(lex.store) === 'Only here.', 'both frames');
  const shownAfterMs = Date.now() - askedAt;
  await pause(700);
  call.answer('Only here.');
  await done;

  // Assess: Lex Web UI alone would show "Only " after 500 ms and never "here."
  expect(shownAfterMs).toBeLessThan(400);
});

it('waits for the config the iframe build receives later, and stays off when streaming is off', async () => {
  // Prepare: the adapter is attached before Lex Web UI has its config
  const late = lexWebUi();
  adapter = attachToLexWebUi(late.store as unknown as LexWebUiStore, { WebSocket });
  await pause(50);
  const socketsBeforeConfig = sockets.length;

  // Act
  await startLexWebUiLike(late.store, streamingConfig(), { embedded: true, configDelayMs: 20, wait: pause });
  const client = await adapter.ready;

  // Assess
  expect(socketsBeforeConfig).toBe(0);
  expect(client?.state).toBe('open');
  expect(adapter.sessionId).toBe(IDENTITY_ID);
  adapter.detach();

  // Act: streaming off
  const off = lexWebUi();
  adapter = attachToLexWebUi(off.store as unknown as LexWebUiStore, { WebSocket });
  const config = streamingConfig();
  await startLexWebUiLike(off.store, { ...config, lex: { ...config.lex, allowStreamingResponses: false } });

  // Assess
  await expect(adapter.ready).resolves.toBeUndefined();
  expect(off.store.state.lex.sessionAttributes).toEqual({});
  expect(adapterSocket()?.url.searchParams.get('sessionId')).toBe(IDENTITY_ID); // the first store's only
  expect(sockets.filter((entry) => entry.url.searchParams.get('protocol') === 'json')).toHaveLength(1);
});

it("follows the session id Lex answered with when Lex Web UI keeps its own 'lex-web-ui-' id", async () => {
  // Prepare: a build whose Lex client never takes the identity id
  const lex = await started({ lexClientTakesIdentityId: false });

  // Act
  const { call, done } = await ask(lex, 'first');
  call.answer('first answer');
  await done;
  await waitFor(
    () => adapterSocket()?.url.searchParams.get('sessionId') === call.sessionId,
    'the moved socket',
  );
  const second = await ask(lex, 'second');
  adapterSocket()?.socket.send(json({ type: 'delta', turnId: 't2', seq: 0, text: 'Second ' }));
  await waitFor(() => bubble(lex.store) === 'Second ', 'a chunk on the moved socket');
  second.call.answer('Second answer');
  await second.done;

  // Assess
  expect(call.sessionId).toMatch(/^lex-web-ui-[0-9a-f]{4}$/);
  expect(adapter?.sessionId).toBe(call.sessionId);
});

it("follows a login: Lex Web UI taking another identity's credentials moves the socket to that identity", async () => {
  // Prepare: after the login, Cognito answers for the logged-in identity
  let signedIn = IDENTITY_ID;
  const lex = await started({ cognitoCredentials: async () => credentialsOf(signedIn) });

  // Act: what the loader's 'replaceCreds' event makes LexWeb.vue dispatch
  signedIn = OTHER_IDENTITY_ID;
  await lex.store.dispatch('initCredentials', credentialsOf(OTHER_IDENTITY_ID));
  await waitFor(
    () => adapterSocket()?.url.searchParams.get('sessionId') === OTHER_IDENTITY_ID,
    'the moved socket',
  );

  await pause(100);

  // Assess: it stays there
  expect(lex.internals.userId).toBe(OTHER_IDENTITY_ID);
  expect(adapter?.sessionId).toBe(OTHER_IDENTITY_ID);
  expect(adapterSocket()?.url.searchParams.get('sessionId')).toBe(OTHER_IDENTITY_ID);
});

it('moves to the identity of the credentials when the first credential calls raced (no identity kept yet)', async () => {
  // Prepare: the browser had no identity yet; the adapter's first call made one, the later calls
  // another (the one the SDK keeps)
  let calls = 0;
  const lex = await started({
    cognitoCredentials: async () => {
      calls += 1;
      return credentialsOf(calls === 1 ? IDENTITY_ID : OTHER_IDENTITY_ID);
    },
  });

  // Act: the socket signs with the credentials of its next call, the kept identity's
  await waitFor(
    () => adapterSocket()?.url.searchParams.get('sessionId') === OTHER_IDENTITY_ID,
    'the socket of the kept identity',
  );
  const { call, done } = await ask(lex, 'which session?');
  call.answer('this one');
  await done;

  // Assess: Lex and the socket use the identity the credentials belong to
  expect(call.sessionId).toBe(OTHER_IDENTITY_ID);
  expect(adapter?.sessionId).toBe(OTHER_IDENTITY_ID);
});

it("finds the store on the app's mount element (Vue's __vue_app__, Vuex's $store) and says where it looked", async () => {
  // Prepare
  const { store } = lexWebUi();
  const mount = {
    id: 'lex-web-ui-fullpage',
    __vue_app__: { config: { globalProperties: { $store: store } } },
  };
  const other = { id: 'header' };
  const elements = [other];
  const document = {
    querySelectorAll: () => elements,
    getElementById: (id: string) => elements.find((element) => element.id === id) ?? null,
  } as unknown as Document;

  // Act: the loader mounts the app a little later
  const found = findLexWebUiStore({ document, intervalMs: 5 });
  setTimeout(() => elements.push(mount), 30);
  const missing = findLexWebUiStore({ document, elementId: 'elsewhere', timeoutMs: 50, intervalMs: 5 });

  // Assess
  await expect(found).resolves.toBe(store);
  await expect(missing).rejects.toThrow('no Lex Web UI app found in this page after 50 ms');
});

it('tells raw answer text from json frames', () => {
  expect(rawAnswerText('Hello ')).toBe('Hello ');
  expect(rawAnswerText('42')).toBe('42');
  expect(rawAnswerText('{not json')).toBe('{not json');
  expect(rawAnswerText('{"answer":"text"}')).toBe('{"answer":"text"}');
  expect(rawAnswerText(json({ type: 'delta', turnId: 't', seq: 0, text: 'x' }))).toBeUndefined();
  expect(rawAnswerText('{"v":2,"type":"future"}')).toBeUndefined();
});
