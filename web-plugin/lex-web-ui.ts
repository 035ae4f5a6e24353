/**
 * Adapter for a running Lex Web UI (aws-samples/aws-lex-web-ui, Vue 3 + Vuex).
 *
 * What Lex Web UI already has, and what this adapter uses:
 * - config `lex.allowStreamingResponses`, `lex.streamingWebSocketEndpoint`,
 *   `lex.streamingDynamoDbTable` (loader config / `mergeConfig`);
 * - session attributes `streamingEndpoint` (the endpoint with `wss://` → `https://`) and
 *   `streamingDynamoDbTable`, which Lex Web UI sends for streaming (mutation
 *   `setLexSessionAttributeValue`);
 * - the typing bubble (`MessageLoading.vue`), shown while `state.lex.isProcessing`, whose text is
 *   `state.streaming.wsMessagesString`, written by the mutations `setIsStartingTypingWsMessages`,
 *   `pushWebSocketMessage` and `typingWsMessages`;
 * - the session id is the Cognito identity id (`lexClient.userId = credentials.identityId`), and
 *   `dispatch('getCredentials', config)` resolves the Cognito credentials with `identityId`.
 *
 * What the adapter changes: Lex Web UI's own socket types each chunk with a fixed 500 ms delay,
 * never reconnects and stops pinging at 2 h. The adapter opens a StreamingClient (presigned,
 * heartbeat, reconnect, renewal; json frames so stale turns are dropped) and writes each chunk
 * into the typing bubble the moment it arrives, through the same mutations (so Vuex strict mode
 * is fine). If Lex Web UI's built-in socket also receives the text, the adapter overwrites its
 * bubble text right after each of its mutations, so nothing shows twice and its delayed typing
 * never starts. When Lex answers, Lex Web UI resets the bubble and pushes the final message; the
 * adapter then ignores late chunks of that turn, so the final answer replaces the streamed text.
 *
 * The few lines a Lex Web UI deployment adds:
 *
 * ```js
 * // lex-web-ui-loader-config.json (or the config passed to the Loader):
 * //   "lex": { "allowStreamingResponses": true,
 * //            "streamingWebSocketEndpoint": "<StreamingWebSocketEndpoint output>",
 * //            "streamingDynamoDbTable": "<StreamingDynamoDbTable output>" }
 *
 * // where the app is created (e.g. src/main.js), after `const loader = new Loader(config)`:
 * import { attachToLexWebUi } from './qna-streaming.mjs';   // or <script src="qna-streaming.js">
 * attachToLexWebUi(loader.store);                             //   → QnaStreaming.attachToLexWebUi(...)
 * ```
 */
import type { Protocol } from '../functions/shared/constants';
import {
  type ClientCredentials,
  type ClientLogger,
  type ClientTimers,
  type CredentialsProvider,
  StreamingClient,
  type StreamingClientOptions,
  type WebSocketConstructor,
} from './client';
import { WebPluginError } from './errors';

/** The Lex Web UI store state the adapter reads. */
export interface LexWebUiState {
  config: {
    region?: string;
    lex: {
      allowStreamingResponses?: boolean | string;
      streamingWebSocketEndpoint?: string;
      streamingDynamoDbTable?: string;
      region?: string;
    };
  };
  lex: { sessionAttributes: Record<string, unknown>; isProcessing?: boolean };
  streaming?: { wsMessagesString?: string; isStartingTypingWsMessages?: boolean };
}

export interface LexWebUiMutation {
  type: string;
  payload?: unknown;
}

/** The part of a Vuex store the adapter uses. */
export interface LexWebUiStore {
  state: LexWebUiState;
  commit(type: string, payload?: unknown): void;
  dispatch(type: string, payload?: unknown): Promise<unknown>;
  subscribe(handler: (mutation: LexWebUiMutation, state: LexWebUiState) => void): () => void;
}

export interface LexWebUiAdapterOptions {
  /** @default credentials from `store.dispatch('getCredentials', config)` */
  credentials?: CredentialsProvider;
  /** @default the Cognito identity id of the credentials (what Lex Web UI uses as session id) */
  sessionId?: () => string | undefined;
  /** @default 'json' */
  protocol?: Protocol;
  /** @default config.lex.region, config.region, or parsed from the endpoint */
  region?: string;
  WebSocket?: WebSocketConstructor;
  timers?: ClientTimers;
  logger?: ClientLogger;
  /** Wait between tries while Lex Web UI has no credentials yet. @default 2000 */
  credentialsRetryMs?: number;
  /** Further StreamingClient options (backoff, ping interval, …). */
  client?: Partial<StreamingClientOptions>;
}

export interface LexWebUiAdapter {
  /** Resolves with the client once connected, or undefined when streaming is off or detached. */
  readonly ready: Promise<StreamingClient | undefined>;
  readonly client: StreamingClient | undefined;
  /** Stops listening to the store and closes the socket. */
  detach(): void;
}

/** Session attributes Lex Web UI sends when streaming is allowed. */
export const STREAMING_SESSION_ATTRIBUTES = {
  endpoint: 'streamingEndpoint',
  table: 'streamingDynamoDbTable',
} as const;

const BUBBLE_MUTATIONS = {
  setStarting: 'setIsStartingTypingWsMessages',
  push: 'pushWebSocketMessage',
  type: 'typingWsMessages',
} as const;

const silentLogger: ClientLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export function isStreamingAllowed(state: LexWebUiState): boolean {
  const lex = state.config.lex;
  return String(lex.allowStreamingResponses) === 'true' && Boolean(lex.streamingWebSocketEndpoint);
}

interface CognitoCredentials {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  expiration?: Date | string | number;
  identityId?: string;
}

export function attachToLexWebUi(
  store: LexWebUiStore,
  options: LexWebUiAdapterOptions = {},
): LexWebUiAdapter {
  const logger = options.logger ?? silentLogger;
  const timers: ClientTimers = options.timers ?? {
    setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
    clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
  };
  const lexConfig = store.state.config.lex;
  if (!isStreamingAllowed(store.state)) {
    logger.info('Lex Web UI streaming is off (allowStreamingResponses/streamingWebSocketEndpoint)');
    return { ready: Promise.resolve(undefined), client: undefined, detach: () => {} };
  }
  const endpoint = String(lexConfig.streamingWebSocketEndpoint);

  let client: StreamingClient | undefined;
  let detached = false;
  let retryTimer: unknown;
  let wake: (() => void) | undefined;
  let selfCommit = false;
  let bubbleText = '';
  let turnId: string | undefined;
  let accepting = store.state.lex.isProcessing === true;

  const commit = (type: string, payload?: unknown) => {
    selfCommit = true;
    try {
      store.commit(type, payload);
    } finally {
      selfCommit = false;
    }
  };

  const wantedAttributes = (): [string, string][] => [
    [STREAMING_SESSION_ATTRIBUTES.endpoint, endpoint.replace(/^wss:\/\//, 'https://')],
    [STREAMING_SESSION_ATTRIBUTES.table, String(lexConfig.streamingDynamoDbTable ?? '')],
  ];
  const applySessionAttributes = () => {
    for (const [key, value] of wantedAttributes()) {
      if (store.state.lex.sessionAttributes?.[key] !== value)
        commit('setLexSessionAttributeValue', { key, value });
    }
  };

  /** Puts exactly `text` in the typing bubble, through Lex Web UI's own mutations. */
  const showInBubble = (text: string) => {
    commit(BUBBLE_MUTATIONS.setStarting, false);
    commit(BUBBLE_MUTATIONS.setStarting, true);
    commit(BUBBLE_MUTATIONS.push, text);
    commit(BUBBLE_MUTATIONS.type);
  };

  const unsubscribe = store.subscribe((mutation) => {
    if (selfCommit) return;
    switch (mutation.type) {
      case 'setLexSessionAttributes':
      case 'setLexSessionAttributeValue':
      case 'updateLexState':
      case 'reset':
        applySessionAttributes();
        break;
      case 'setIsLexProcessing':
        if (mutation.payload === true) {
          accepting = true;
          bubbleText = '';
        } else if (mutation.payload === false) {
          accepting = false;
          bubbleText = '';
        }
        break;
      case BUBBLE_MUTATIONS.setStarting:
        // Lex answered (false): the final message replaces the streamed text.
        if (mutation.payload === false) {
          accepting = false;
          bubbleText = '';
        }
        break;
      case BUBBLE_MUTATIONS.push:
      case BUBBLE_MUTATIONS.type:
        // Lex Web UI's built-in socket: while the adapter's socket is up, its text wins.
        if (client?.state === 'open') showInBubble(bubbleText);
        break;
    }
  });

  let identityId: string | undefined;
  let last: ClientCredentials | undefined;
  const fromStore: CredentialsProvider = async () => {
    const value = (await store.dispatch('getCredentials', store.state.config)) as
      | CognitoCredentials
      | undefined;
    if (value?.accessKeyId && value.secretAccessKey) {
      if (value.identityId) identityId = value.identityId;
      last = {
        accessKeyId: value.accessKeyId,
        secretAccessKey: value.secretAccessKey,
        ...(value.sessionToken ? { sessionToken: value.sessionToken } : {}),
        ...(value.expiration !== undefined ? { expiration: new Date(value.expiration) } : {}),
      };
    }
    // getCredentials resolves nothing when Lex Web UI decides no refresh is due; reuse the last.
    if (!last) throw new WebPluginError('MISSING_CREDENTIALS', 'Lex Web UI has no Cognito credentials yet');
    return last;
  };
  const credentials = options.credentials ?? fromStore;

  const onDelta = (frame: { turnId: string; text: string }) => {
    if (!accepting || store.state.lex.isProcessing === false) return;
    if (frame.turnId && frame.turnId !== turnId) {
      turnId = frame.turnId;
      bubbleText = '';
    }
    bubbleText += frame.text;
    showInBubble(bubbleText);
  };

  const start = async (): Promise<StreamingClient | undefined> => {
    let delay = options.credentialsRetryMs ?? 2000;
    for (;;) {
      if (detached) return undefined;
      try {
        await credentials();
        const sessionId = options.sessionId?.() ?? identityId;
        if (!sessionId) {
          throw new WebPluginError(
            'BAD_OPTION',
            'no session id: Lex Web UI uses the Cognito identity id; pass options.sessionId when credentials carry none',
          );
        }
        const region = options.region ?? lexConfig.region ?? store.state.config.region;
        const created = new StreamingClient({
          endpoint,
          sessionId,
          credentials,
          protocol: options.protocol ?? 'json',
          ...(region ? { region } : {}),
          ...(options.WebSocket ? { WebSocket: options.WebSocket } : {}),
          timers,
          logger,
          ...options.client,
        });
        created.on('delta', onDelta);
        created.on('error', (error) => logger.warn('streaming error', { error }));
        client = created;
        await created.connect();
        return detached ? undefined : created;
      } catch (error) {
        if (error instanceof WebPluginError && error.code !== 'MISSING_CREDENTIALS') {
          logger.error('streaming not started', { error });
          if (client) return undefined;
          throw error;
        }
        logger.debug('waiting for Lex Web UI credentials', { error });
        await new Promise<void>((resolve) => {
          wake = resolve;
          retryTimer = timers.setTimeout(resolve, delay);
        });
        wake = undefined;
        delay = Math.min(delay * 2, 30_000);
      }
    }
  };

  applySessionAttributes();
  const ready = start().catch((error: unknown) => {
    logger.error('streaming not started', { error });
    return undefined;
  });

  return {
    ready,
    get client() {
      return client;
    },
    detach() {
      detached = true;
      unsubscribe();
      if (retryTimer !== undefined) timers.clearTimeout(retryTimer);
      wake?.();
      client?.close();
    },
  };
}
