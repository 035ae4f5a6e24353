/**
 * A Vuex 4 store that behaves like Lex Web UI 0.24.1's in everything streaming touches, for the
 * adapter's tests (jest, with vuex's createStore in Node) and for the page that builds a Vue 3 app
 * the way Lex Web UI's loader does (test/browser/lex-web-ui-page.ts).
 *
 * Written from reading aws-samples/aws-lex-web-ui at v0.24.1 (no code copied):
 * - lex-web-ui/src/store/state.js: `config`, `lex`, `streaming`, `messages`, `awsCreds.provider`;
 * - store/mutations.js: `mergeConfig`, `setLexSessionAttributes`, `setLexSessionAttributeValue`,
 *   `setIsLexProcessing`, `updateLexState` (spreads the Lex answer, `sessionId` included, into
 *   `state.lex`), `pushMessage`, `pushWebSocketMessage`, `typingWsMessages`,
 *   `setIsStartingTypingWsMessages` (false empties the bubble);
 * - store/actions.js: `initCredentials`, `getCredentials` (answers only while its module-level
 *   refresh flag is set, and then also rebuilds the Lex SDK client), `checkCredentialsForRefresh`
 *   (clears that flag at once, sets it again asynchronously when the credentials it holds expire
 *   within 5 minutes), `initLexClient` (creates the Lex client, commits `setLexSessionAttributes`,
 *   hands the client the credentials *Promise*, then opens the socket), `InitWebSocketConnect`
 *   (`endpoint + '?sessionId=' + lexClient.userId`, presigned, ping on open), `lexPostText`
 *   (sets its socket's `onmessage` per request: drops `/stop/` and frames outside a request, pushes
 *   the rest), the `typingWsMessages` action (each frame typed 500 ms after the next arrived),
 *   `postTextMessage` (the final message is pushed after Lex answers);
 * - lib/lex/client.js: `userId` is `lex-web-ui-` + 4 hex digits unless `initCredentials` gets
 *   credentials with an `identityId`; `initCredentials` also installs what it gets as the SDK
 *   client's credentials, which the SDK (3.x `httpAuthSchemeMiddleware`) *calls*, so a plain object
 *   there fails the next request until `refreshClient` builds a new client.
 */

/** Credentials as Lex Web UI passes them around (the SDK's Cognito provider adds `identityId`). */
export interface LexWebUiLikeCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
  identityId?: string;
}

export interface LexAnswer {
  sessionId: string;
  messages: { content?: string }[];
  sessionState?: { sessionAttributes?: Record<string, string> };
}

/** The socket API Lex Web UI uses (DOM WebSocket; `ws` in Node). */
export interface OwnSocket {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  send(data: string): void;
  close(): void;
}

/** What the store reaches outside the browser tab: Cognito, Lex, the socket. */
export interface LexWebUiLikeServices {
  /** `fromCognitoIdentityPool(...)()`: credentials of the visitor's identity (kept in the browser). */
  cognitoCredentials(): Promise<LexWebUiLikeCredentials>;
  /** Lex V2 RecognizeText, signed with `credentials`. */
  recognizeText(input: {
    sessionId: string;
    text: string;
    sessionAttributes: Record<string, unknown>;
    credentials: LexWebUiLikeCredentials;
  }): Promise<LexAnswer>;
  /** sigv4-handlers.js `signUrl`: presigned for execute-api, `host` without the port, 3600 s. */
  signUrl(url: string, credentials: LexWebUiLikeCredentials, region: string): Promise<string>;
  /** Absent: no socket of its own (as with allowStreamingResponses false). */
  WebSocket?: new (
    url: string,
  ) => OwnSocket;
  setTimeout(callback: () => void, ms: number): unknown;
  /** false: a Lex client that never takes `identityId` (a build that changed this). @default true */
  lexClientTakesIdentityId?: boolean;
  /**
   * Waited for before its socket reads the session id, as a slower Cognito answer to that
   * credentials call would; decides whether the socket opens before or after the adapter has the
   * visitor's credentials. @default none
   */
  beforeOwnSocket?: () => Promise<void>;
}

/** Looks inside the store's module-level variables, as tests need to. */
export interface LexWebUiLikeInternals {
  readonly userId: string | undefined;
  readonly ownSocket: OwnSocket | undefined;
  readonly ownSocketUrl: string | undefined;
  /** Frames its own socket received. */
  readonly ownFrames: string[];
}

interface Message {
  type: 'human' | 'bot';
  text: string;
}

export interface LexWebUiLikeState {
  config: {
    region: string;
    cognito: { poolId: string; region: string };
    lex: {
      region: string;
      allowStreamingResponses: boolean | string;
      streamingWebSocketEndpoint: string;
      streamingDynamoDbTable: string;
      sessionAttributes: Record<string, unknown>;
    };
  };
  lex: {
    sessionAttributes: Record<string, unknown>;
    isProcessing: boolean;
    sessionId?: string;
    dialogState?: string;
  };
  streaming: {
    wsMessages: string[];
    wsMessagesCurrentIndex: number;
    wsMessagesString: string;
    isStartingTypingWsMessages: boolean;
  };
  messages: Message[];
  awsCreds: { provider: 'cognito' | 'parentWindow' };
  isRunningEmbedded: boolean;
}

export type LexWebUiLikeConfig = {
  region?: string;
  cognito?: Partial<LexWebUiLikeState['config']['cognito']>;
  lex?: Partial<LexWebUiLikeState['config']['lex']>;
};

interface Context {
  state: LexWebUiLikeState;
  getters: Record<string, () => unknown>;
  commit(type: string, payload?: unknown): void;
  dispatch(type: string, payload?: unknown): Promise<unknown>;
}

type Provider = () => Promise<LexWebUiLikeCredentials>;

function asProvider(value: unknown): Provider {
  // What the SDK does with the credentials it is constructed with.
  return typeof value === 'function'
    ? (value as Provider)
    : () => Promise.resolve(value as LexWebUiLikeCredentials);
}

/** lib/lex/client.js, as far as session ids and credentials go. */
class LexClientLike {
  userId = `lex-web-ui-${Math.floor((1 + Math.random()) * 0x10000)
    .toString(16)
    .substring(1)}`;
  /** What the SDK client holds as `config.credentials`. */
  private sdkCredentials: unknown;

  constructor(
    credentials: unknown,
    private readonly services: LexWebUiLikeServices,
  ) {
    this.sdkCredentials = asProvider(credentials);
  }

  initCredentials(credentials: unknown): void {
    this.sdkCredentials = credentials;
    const identityId = (credentials as { identityId?: string } | undefined)?.identityId;
    if (identityId && this.services.lexClientTakesIdentityId !== false) this.userId = identityId;
  }

  refreshClient(credentials: unknown): void {
    this.sdkCredentials = asProvider(credentials);
  }

  async postText(text: string, sessionAttributes: Record<string, unknown>): Promise<LexAnswer> {
    if (typeof this.sdkCredentials !== 'function') {
      throw new TypeError('the Lex SDK client cannot resolve its credentials: not a provider function');
    }
    const credentials = await (this.sdkCredentials as Provider)();
    return this.services.recognizeText({ sessionId: this.userId, text, sessionAttributes, credentials });
  }
}

function mergeInto(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(source)) {
    const current = target[key];
    if (
      value &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current &&
      typeof current === 'object'
    ) {
      mergeInto(current as Record<string, unknown>, value as Record<string, unknown>);
    } else if (value !== undefined && value !== '') {
      target[key] = value;
    }
  }
}

/** The store's defaults (before `mergeConfig`), as state.js starts. */
export function initialLexWebUiState(): LexWebUiLikeState {
  return {
    config: {
      region: '',
      cognito: { poolId: '', region: '' },
      lex: {
        region: '',
        allowStreamingResponses: false,
        streamingWebSocketEndpoint: '',
        streamingDynamoDbTable: '',
        sessionAttributes: {},
      },
    },
    lex: { sessionAttributes: {}, isProcessing: false, dialogState: '' },
    streaming: {
      wsMessages: [],
      wsMessagesCurrentIndex: 0,
      wsMessagesString: '',
      isStartingTypingWsMessages: true,
    },
    messages: [],
    awsCreds: { provider: 'cognito' },
    isRunningEmbedded: false,
  };
}

const HEARTBEAT_MS = 9 * 60 * 1000;

/** Vuex store options (state, getters, mutations, actions) and a view of the module variables. */
export function lexWebUiLikeStoreOptions(services: LexWebUiLikeServices) {
  // The module-level variables of store/actions.js.
  let awsCredentials: unknown;
  let refreshCredentials = true;
  let lexClient: LexClientLike | undefined;
  let wsClient: OwnSocket | undefined;
  let wsUrl: string | undefined;
  const ownFrames: string[] = [];

  const internals: LexWebUiLikeInternals = {
    get userId() {
      return lexClient?.userId;
    },
    get ownSocket() {
      return wsClient;
    },
    get ownSocketUrl() {
      return wsUrl;
    },
    ownFrames,
  };

  const mutations = {
    mergeConfig(state: LexWebUiLikeState, config: LexWebUiLikeConfig) {
      mergeInto(state.config as unknown as Record<string, unknown>, config as Record<string, unknown>);
    },
    setIsRunningEmbedded(state: LexWebUiLikeState, embedded: boolean) {
      state.isRunningEmbedded = embedded;
    },
    setAwsCredsProvider(state: LexWebUiLikeState, provider: 'cognito' | 'parentWindow') {
      state.awsCreds.provider = provider;
    },
    setLexSessionAttributes(state: LexWebUiLikeState, attributes: Record<string, unknown>) {
      state.lex.sessionAttributes = attributes;
    },
    setLexSessionAttributeValue(state: LexWebUiLikeState, data: { key: string; value: unknown }) {
      state.lex.sessionAttributes[data.key] = data.value;
    },
    setIsLexProcessing(state: LexWebUiLikeState, processing: boolean) {
      state.lex.isProcessing = processing;
    },
    updateLexState(state: LexWebUiLikeState, lexState: Partial<LexWebUiLikeState['lex']>) {
      state.lex = { ...state.lex, ...lexState };
    },
    pushMessage(state: LexWebUiLikeState, message: Message) {
      state.messages.push(message);
    },
    reset(state: LexWebUiLikeState) {
      state.messages = [];
    },
    pushWebSocketMessage(state: LexWebUiLikeState, frame: string) {
      state.streaming.wsMessages.push(frame);
    },
    typingWsMessages(state: LexWebUiLikeState) {
      const streaming = state.streaming;
      if (streaming.isStartingTypingWsMessages) {
        // Lex Web UI concatenates whatever is at the index, even past the end ("undefined").
        streaming.wsMessagesString = streaming.wsMessagesString.concat(
          String(streaming.wsMessages[streaming.wsMessagesCurrentIndex]),
        );
        streaming.wsMessagesCurrentIndex += 1;
      }
    },
    setIsStartingTypingWsMessages(state: LexWebUiLikeState, starting: boolean) {
      state.streaming.isStartingTypingWsMessages = starting;
      if (!starting) {
        state.streaming.wsMessagesString = '';
        state.streaming.wsMessages = [];
        state.streaming.wsMessagesCurrentIndex = 0;
      }
    },
  };

  const getters = {
    isStartingTypingWsMessages: (state: LexWebUiLikeState) => () =>
      state.streaming.isStartingTypingWsMessages,
    wsMessagesCurrentIndex: (state: LexWebUiLikeState) => () => state.streaming.wsMessagesCurrentIndex,
    wsMessagesLength: (state: LexWebUiLikeState) => () => state.streaming.wsMessages.length,
  };

  const streamingOn = (state: LexWebUiLikeState) =>
    String(state.config.lex.allowStreamingResponses) === 'true';

  const actions = {
    initConfig(context: Context, config: LexWebUiLikeConfig) {
      context.commit('mergeConfig', config);
    },
    initCredentials(context: Context, credentials?: unknown) {
      if (!credentials) {
        return context.dispatch('getCredentials', context.state.config).then((fresh) => {
          awsCredentials = fresh;
          lexClient?.initCredentials(awsCredentials);
        });
      }
      awsCredentials = credentials;
      lexClient?.initCredentials(awsCredentials);
      return undefined;
    },
    async getCredentials(_context: Context) {
      if (!refreshCredentials) return undefined;
      awsCredentials = services.cognitoCredentials();
      lexClient?.refreshClient(awsCredentials);
      return awsCredentials;
    },
    checkCredentialsForRefresh() {
      if (awsCredentials) {
        void Promise.resolve(awsCredentials).then((held) => {
          const expiration = (held as { expiration?: Date } | undefined)?.expiration;
          if (expiration && Date.now() > new Date(expiration).getTime() - 5 * 60 * 1000)
            refreshCredentials = true;
        });
      }
      refreshCredentials = false;
      return Promise.resolve();
    },
    initLexClient(context: Context, payload: { credentials: unknown }) {
      lexClient = new LexClientLike(payload.credentials, services);
      context.commit('setLexSessionAttributes', { ...context.state.config.lex.sessionAttributes });
      lexClient.initCredentials(payload.credentials);
      if (streamingOn(context.state)) void context.dispatch('InitWebSocketConnect');
    },
    InitWebSocketConnect(context: Context) {
      return context.dispatch('getCredentials', context.state.config).then(async () => {
        await services.beforeOwnSocket?.();
        const Socket = services.WebSocket;
        if (!Socket || !lexClient) return;
        const sessionId = lexClient.userId;
        const credentials = (await Promise.resolve(awsCredentials)) as LexWebUiLikeCredentials;
        wsUrl = await services.signUrl(
          `${context.state.config.lex.streamingWebSocketEndpoint}?sessionId=${sessionId}`,
          credentials,
          context.state.config.region,
        );
        const socket = new Socket(wsUrl);
        wsClient = socket;
        const started = Date.now();
        const ping = () => {
          if (socket.readyState !== 1 || Date.now() - started >= 2 * 60 * 60 * 1000) return;
          socket.send(JSON.stringify({ action: 'ping' }));
          services.setTimeout(ping, HEARTBEAT_MS);
        };
        socket.onopen = ping;
        socket.onclose = () => {};
        socket.onerror = () => {};
      });
    },
    lexPostText(context: Context, text: string) {
      context.commit('setIsLexProcessing', true);
      const session = context.state.lex.sessionAttributes;
      return context
        .dispatch('checkCredentialsForRefresh')
        .then(() => context.dispatch('getCredentials', context.state.config))
        .then(() => {
          if (streamingOn(context.state)) {
            context.commit('setIsStartingTypingWsMessages', true);
            if (wsClient) {
              wsClient.onmessage = (event) => {
                const frame = String(event.data);
                ownFrames.push(frame);
                if (frame !== '/stop/' && context.getters.isStartingTypingWsMessages?.()) {
                  context.commit('pushWebSocketMessage', frame);
                  void context.dispatch('typingWsMessages');
                }
              };
            }
          }
          if (!lexClient) throw new Error('no Lex client yet');
          return lexClient.postText(text, { ...session });
        })
        .then((answer) => {
          context.commit('setIsStartingTypingWsMessages', false);
          context.commit('setIsLexProcessing', false);
          return context.dispatch('updateLexState', answer).then(() => answer);
        })
        .catch((error: unknown) => {
          context.commit('setIsStartingTypingWsMessages', false);
          context.commit('setIsLexProcessing', false);
          throw error;
        });
    },
    typingWsMessages(context: Context) {
      const index = context.getters.wsMessagesCurrentIndex?.() as number;
      const length = context.getters.wsMessagesLength?.() as number;
      if (index < length - 1) services.setTimeout(() => context.commit('typingWsMessages'), 500);
    },
    updateLexState(context: Context, answer: LexAnswer) {
      context.commit('updateLexState', {
        dialogState: 'Fulfilled',
        ...answer,
        sessionAttributes: answer.sessionState?.sessionAttributes ?? {},
      });
    },
    postTextMessage(context: Context, message: Message) {
      context.commit('pushMessage', message);
      return context
        .dispatch('lexPostText', message.text)
        .then((answer) => {
          const text = (answer as LexAnswer).messages
            .map((part) => part.content ?? '')
            .filter(Boolean)
            .join('\n\n');
          context.commit('pushMessage', { type: 'bot', text });
        })
        .catch((error: unknown) => {
          context.commit('pushMessage', {
            type: 'bot',
            text: `Sorry, I was unable to process your message. Try again later. ${String(error)}`,
          });
        });
    },
  };

  return {
    options: { state: initialLexWebUiState, getters, mutations, actions },
    internals,
  };
}

/**
 * LexWeb.vue's start-up, in order: its config, credentials, then the Lex client (which opens the
 * socket). `configDelayMs` plays the iframe build, whose config arrives from the parent later.
 */
export async function startLexWebUiLike(
  store: {
    dispatch(type: string, payload?: unknown): Promise<unknown>;
    commit(type: string, payload?: unknown): void;
  },
  config: LexWebUiLikeConfig,
  options: { embedded?: boolean; configDelayMs?: number; wait?: (ms: number) => Promise<void> } = {},
): Promise<void> {
  store.commit('setIsRunningEmbedded', options.embedded === true);
  store.commit('setAwsCredsProvider', options.embedded ? 'parentWindow' : 'cognito');
  if (options.configDelayMs) await options.wait?.(options.configDelayMs);
  await store.dispatch('initConfig', config);
  // The Loader constructor's `store.dispatch('getCredentials', config)`: a Promise of credentials.
  const credentials = store.dispatch('getCredentials', config);
  await store.dispatch('initCredentials', credentials);
  await store.dispatch('initLexClient', { credentials });
}
