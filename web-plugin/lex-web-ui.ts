/**
 * Adapter for a running Lex Web UI 0.24.x (aws-samples/aws-lex-web-ui: Vue 3, Vuex 4), with no
 * change to Lex Web UI's source. What it uses of Lex Web UI (read in lex-web-ui/src at 0.24.1):
 *
 * - config `lex.allowStreamingResponses`, `lex.streamingWebSocketEndpoint`,
 *   `lex.streamingDynamoDbTable` (merged into `state.config` by the `mergeConfig` mutation, which
 *   in the iframe build runs only after the parent page has sent its config);
 * - session attributes `streamingEndpoint` (the endpoint with `wss://` → `https://`) and
 *   `streamingDynamoDbTable`, as components/InputContainer.vue sets them;
 * - the typing bubble (components/MessageLoading.vue), shown while `state.lex.isProcessing`, whose
 *   text is `state.streaming.wsMessagesString`, written only through the mutations
 *   `setIsStartingTypingWsMessages`, `pushWebSocketMessage` and `typingWsMessages` (so Vuex strict
 *   mode is fine);
 * - the actions `getCredentials` (the visitor's Cognito credentials, with `identityId`),
 *   `checkCredentialsForRefresh` and `initCredentials` (store/actions.js).
 *
 * Where the store is. The loader of the stock builds (lex-web-ui-loader.js, FullPageLoader) creates
 * the app with `new LexWebUi.Loader(config)` and mounts it with `app.mount('#<elementId>')` without
 * keeping either, but Vue 3 (also its production build, dist/3.5.13_dist_vue.global.prod.js) sets
 * `container.__vue_app__ = app` in `mount`, and Vuex 4's `install` sets
 * `app.config.globalProperties.$store`. `findLexWebUiStore` waits for that mount element (by default
 * any element with an id, because the full-page loader mounts on `#lex-web-ui-fullpage` and an app
 * built from the library may use another id). The iframe build runs the same `index.html`
 * (`/index.html#/?lexWebUiEmbed=true`) inside the iframe, so the same lines reach its store there;
 * the parent page needs nothing. An app that creates `new LexWebUi.Loader(config)` itself passes
 * `lexWebUi.store` to `attachToLexWebUi` instead.
 *
 * Which session id, and why. Lex streams an answer to the socket registered under the session id of
 * the Lex request, which is `lexClient.userId`. Lex Web UI means that to be the Cognito identity id
 * (`initLexClient`: "sessionId was assigned from identityId"; `LexClient.initCredentials` takes
 * `credentials.identityId`), but since 0.22 it passes a Promise there and so uses
 * `lex-web-ui-` + 4 hex digits (aws-lex-web-ui issue #839), an id that two of 65,536 visitors share
 * by chance (one Lex conversation, one stream) and that QnABot no longer recognises as Lex Web UI's.
 * The adapter restores what Lex Web UI intends: it hands Lex Web UI's `initCredentials` action the
 * visitor's own Cognito credentials (the same identity Lex Web UI signs with, as
 * `fromCognitoIdentityPool` keeps the unauthenticated identity in the browser) before the first Lex
 * request, so Lex, Lex Web UI's own socket and the adapter's socket all use the Cognito identity
 * id: strong, tied to the signer (the STRICT and OWNER bindings accept it), and the same on every
 * turn. `LexClient.initCredentials` also installs what it gets as the Lex SDK client's credentials,
 * which the SDK calls as a function, while Lex Web UI reads `accessKeyId`, `expiration`, … off the
 * same value elsewhere; so the adapter passes a function that carries the credentials as
 * properties. The adapter then checks the session id every Lex answer carries
 * (`updateLexState`): if Lex Web UI still used another id (a build that changed this), the socket
 * follows that id instead. When Lex Web UI takes credentials of another identity (a login,
 * `replaceCreds`), or the credentials turn out to be another identity's (a first visit, when two
 * credential calls each created an identity and the browser kept the later), the socket and Lex
 * move to that identity. Lex Web UI's own socket reads its session id once, when it opens: in the
 * stock build that is before the adapter has credentials, so it stays on its `lex-web-ui-` id and
 * receives nothing (harmless: the adapter's socket carries the answer). `options.sessionId` opts
 * out of all of this: the socket uses the given id and Lex Web UI is left as it is.
 *
 * What the adapter changes in the display. Lex Web UI's own socket shows each frame 500 ms after
 * the next one arrives (so never the last), never reconnects and stops pinging after 2 h. The
 * adapter opens a StreamingClient (presigned, heartbeat, reconnect, renewal; json frames, so stale
 * turns are dropped) and writes the whole text so far into the typing bubble the moment a chunk
 * arrives, from whichever of these carries the current turn: json deltas on its socket, raw text
 * on its socket (QnABot 7's built-in streaming posts raw model text to one tab of the session: the
 * newest text-protocol tab, else the newest tab), or the frames Lex Web UI's own socket pushes
 * (its `pushWebSocketMessage` commits, taken at once instead of 500 ms later). When two carry the
 * same answer (a publisher posts to every tab), the longer text is shown, so nothing appears twice
 * and the text never shrinks; Lex Web UI's delayed typing is overwritten right after each of its
 * commits. Chunks count only while a Lex request is in flight. When Lex answers, Lex Web UI resets
 * the bubble and pushes the final message, and the adapter ignores the rest of the turn, so the
 * final answer replaces the streamed text. In a page, the streamed text shows formatted as it
 * arrives (markdown, as Lex Web UI renders the final answer; see `formattedBubble`).
 *
 * The few lines a deployment of the stock Lex Web UI build adds (full page and iframe alike):
 *
 * ```text
 * 1. lex-web-ui-loader-config.json (the full page's; in the iframe build, the parent page's):
 *      "lex": { "allowStreamingResponses": true,
 *               "streamingWebSocketEndpoint": "<StreamingWebSocketEndpoint output>",
 *               "streamingDynamoDbTable": "" }
 *    (the table stays empty: QnABot streams its own answers only then; our publishers know theirs)
 * 2. Next to index.html: build/web-plugin/qna-streaming.js, and qna-streaming-lex-web-ui.js
 *    holding the one line
 *      QnaStreaming.attachToLexWebUiPage();
 * 3. index.html (the page the iframe loads too), after <script src="./initiate-loader.js"></script>:
 *      <script src="./qna-streaming.js"></script>
 *      <script src="./qna-streaming-lex-web-ui.js"></script>
 *    (two files because index.html's Content-Security-Policy allows no inline script; its
 *    connect-src already allows wss://*.amazonaws.com, add a custom domain's wss:// URL if you use one)
 * ```
 *
 * An app built on the library (`const lexWebUi = new LexWebUi.Loader(config)`) instead calls
 * `attachToLexWebUi(lexWebUi.store)` after creating it.
 */
import type { Protocol } from '../functions/protocol/websocket';
import {
  type ClientCredentials,
  type ClientLogger,
  type ClientTimers,
  type CredentialsProvider,
  StreamingClient,
  type StreamingClientOptions,
  type WebSocketConstructor,
  type WebSocketEventLike,
  type WebSocketLike,
} from './client';
import { readExpiration } from './credentials-cache';
import { WebPluginError } from './errors';
import { rawAnswerText } from './frame-reader';
import { StreamingMarkdown } from './markdown';

/** The Lex Web UI store state the adapter reads. */
export interface LexWebUiState {
  config: {
    region?: string;
    cognito?: { poolId?: string; region?: string };
    lex: {
      allowStreamingResponses?: boolean | string;
      streamingWebSocketEndpoint?: string;
      streamingDynamoDbTable?: string;
      region?: string;
    };
    /** Lex Web UI renders a message's markdown alternative only when this is true (its default). */
    ui?: { AllowSuperDangerousHTMLInMessage?: boolean };
  };
  lex: { sessionAttributes: Record<string, unknown>; isProcessing?: boolean; sessionId?: string };
  streaming?: { wsMessagesString?: string; isStartingTypingWsMessages?: boolean };
}

export interface LexWebUiMutation {
  type: string;
  payload?: unknown;
}

/** The part of a Vuex 4 store the adapter uses. */
export interface LexWebUiStore {
  state: LexWebUiState;
  commit(type: string, payload?: unknown): void;
  dispatch(type: string, payload?: unknown): Promise<unknown>;
  subscribe(handler: (mutation: LexWebUiMutation, state: LexWebUiState) => void): () => void;
  /** Vuex's action subscription; used to follow credentials Lex Web UI takes itself (a login). */
  subscribeAction?(handler: (action: LexWebUiMutation, state: LexWebUiState) => void): () => void;
}

export interface LexWebUiAdapterOptions {
  /** @default credentials from Lex Web UI's `getCredentials` action */
  credentials?: CredentialsProvider;
  /**
   * Session id of the socket. Given, Lex Web UI's own session id is left alone (it must then be
   * the same id). @default the visitor's Cognito identity id, which the adapter makes Lex Web UI use
   */
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
  /**
   * Show the streamed text formatted (markdown, as Lex Web UI shows the final answer) instead of
   * as plain text in the typing bubble; see `formattedBubble`. Lex Web UI renders the final answer's
   * markdown when the answer carries it (QnABot's appContext.altMessages.markdown, which
   * applyAnswerToQnabotEvent and lexV2CloseResponse set) and `ui.AllowSuperDangerousHTMLInMessage`
   * is true (its default); when that setting is false the streamed text stays plain, as the final
   * answer will be. Set false for a bot whose answers carry no markdown alternative. @default true
   */
  formatStreamedText?: boolean;
  /** Where the typing bubble is. @default globalThis.document (none: the bubble stays plain text) */
  document?: Document;
  /** Further StreamingClient options (backoff, ping interval, …). */
  client?: Partial<StreamingClientOptions>;
}

export interface LexWebUiAdapter {
  /** Resolves with the client once connected, or undefined when streaming is off or detached. */
  readonly ready: Promise<StreamingClient | undefined>;
  readonly client: StreamingClient | undefined;
  /** Session id the socket is registered under (once known). */
  readonly sessionId: string | undefined;
  /** Stops listening to the store and closes the socket. */
  detach(): void;
}

/** Session attributes Lex Web UI sends when streaming is allowed. */
export const STREAMING_SESSION_ATTRIBUTES = {
  endpoint: 'streamingEndpoint',
  table: 'streamingDynamoDbTable',
} as const;

/** Lex Web UI's own socket handler drops this frame (store/actions.js, lexPostText). */
const LEX_WEB_UI_STOP_FRAME = '/stop/';

const BUBBLE_MUTATIONS = {
  setStarting: 'setIsStartingTypingWsMessages',
  push: 'pushWebSocketMessage',
  type: 'typingWsMessages',
} as const;

const silentLogger: ClientLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

const defaultTimers: ClientTimers = {
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export function isStreamingAllowed(state: LexWebUiState): boolean {
  const lex = state.config.lex;
  return String(lex.allowStreamingResponses) === 'true' && Boolean(lex.streamingWebSocketEndpoint);
}

/**
 * True once Lex Web UI's real config is in the store: its Cognito pool id is required (LexWeb.vue
 * stops without it), and before `mergeConfig` (in the iframe build, before the parent answered)
 * the store holds only the defaults.
 */
function configLoaded(state: LexWebUiState): boolean {
  return Boolean(state.config.cognito?.poolId) || isStreamingAllowed(state);
}

interface CognitoCredentials {
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  expiration?: Date | string | number;
  identityId?: string;
}

interface IdentityCredentials extends ClientCredentials {
  identityId?: string;
}

function toCredentials(value: unknown): IdentityCredentials | undefined {
  const raw = value as CognitoCredentials | undefined;
  if (!raw?.accessKeyId || !raw.secretAccessKey) return undefined;
  return {
    accessKeyId: raw.accessKeyId,
    secretAccessKey: raw.secretAccessKey,
    ...(raw.sessionToken ? { sessionToken: raw.sessionToken } : {}),
    ...(raw.expiration !== undefined ? { expiration: new Date(raw.expiration) } : {}),
    ...(raw.identityId ? { identityId: raw.identityId } : {}),
  };
}

/**
 * A WebSocket whose raw-text messages (not json frames) go to `onRawText` instead of the client,
 * so a json-protocol client never reports them as bad frames.
 */
function tapRawText(Base: WebSocketConstructor, onRawText: (text: string) => void): WebSocketConstructor {
  return class RawTextTap implements WebSocketLike {
    private readonly socket: WebSocketLike;
    private readonly messageListeners: ((event: WebSocketEventLike) => void)[] = [];

    constructor(url: string) {
      this.socket = new Base(url);
      this.socket.addEventListener('message', (event) => {
        const text = typeof event.data === 'string' ? rawAnswerText(event.data) : undefined;
        if (text !== undefined) {
          onRawText(text);
          return;
        }
        for (const listener of this.messageListeners) listener(event);
      });
    }

    get readyState(): number {
      return this.socket.readyState;
    }

    send(data: string): void {
      this.socket.send(data);
    }

    close(code?: number, reason?: string): void {
      this.socket.close(code, reason);
    }

    addEventListener(
      type: 'open' | 'close' | 'error' | 'message',
      listener: (event: WebSocketEventLike) => void,
    ): void {
      if (type === 'message') this.messageListeners.push(listener);
      else this.socket.addEventListener(type, listener);
    }
  };
}

/** Lex Web UI's typing bubble (components/MessageLoading.vue; the class name's typo is Lex Web UI's). */
const TYPING_BUBBLE = ['.messsge-loading', '.message-loading']
  .map((loading) => `${loading} .message-bubble:not([data-qna-streaming])`)
  .join(', ');

/**
 * Formatting while it streams. Lex Web UI renders a bot message's markdown (`alts.markdown`: QnABot's
 * appContext.altMessages.markdown, which applyAnswerToQnabotEvent also sets) with `marked` into
 * `v-html` (lex-web-ui/src/components/MessageText.vue at v0.24.1), while its typing bubble
 * (components/MessageLoading.vue) shows `state.streaming.wsMessagesString` as plain text. That
 * rendering path cannot take the streamed text: Lex Web UI exposes neither `marked` nor a mutation
 * that updates a message in place (store/mutations.js pushes messages only, so a message per chunk
 * would stay in the chat and its saved history), and Vue rewrites the bubble's whole text on each
 * change (`textContent`), which would erase elements put inside it. So the text is shown formatted
 * next to the bubble, with StreamingMarkdown (the subset Lex Web UI's `marked` renders the same
 * way: paragraphs, bold, italic, code, code blocks, lists, http(s) links), in an element that
 * copies the bubble's attributes (its class and Vue's scoped-style attribute, so it looks like the
 * bubble) while the bubble itself is hidden. Vue keeps updating the hidden bubble, and removes both
 * when Lex answers and its own rendering of the final message takes their place.
 */
function formattedBubble(doc: Document): { show(text: string): void; remove(): void } {
  let current: { bubble: HTMLElement; formatted: HTMLElement; markdown: StreamingMarkdown } | undefined;
  const remove = () => {
    current?.formatted.remove();
    current?.bubble.style.removeProperty('display');
    current = undefined;
  };
  return {
    show(text) {
      const bubbles = doc.querySelectorAll<HTMLElement>(TYPING_BUBBLE);
      const bubble = bubbles[bubbles.length - 1];
      if (!bubble) return;
      if (current?.bubble !== bubble || !current.formatted.isConnected) {
        remove();
        const formatted = doc.createElement('div');
        for (const { name, value } of Array.from(bubble.attributes)) formatted.setAttribute(name, value);
        formatted.setAttribute('data-qna-streaming', 'markdown');
        // Lex Web UI's bubble is an inline-flex row; the blocks of an answer stack.
        formatted.style.display = 'block';
        bubble.style.display = 'none';
        bubble.after(formatted);
        current = { bubble, formatted, markdown: new StreamingMarkdown(formatted, doc) };
      }
      current.markdown.update(text);
    },
    remove,
  };
}

export function attachToLexWebUi(
  store: LexWebUiStore,
  options: LexWebUiAdapterOptions = {},
): LexWebUiAdapter {
  const logger = options.logger ?? silentLogger;
  const timers = options.timers ?? defaultTimers;

  let client: StreamingClient | undefined;
  let sessionId: string | undefined;
  let detached = false;
  let started = false;
  let retryTimer: unknown;
  let wake: (() => void) | undefined;
  let selfCommit = false;
  let selfDispatch = false;
  let resolveReady: (client: StreamingClient | undefined) => void = () => {};
  const ready = new Promise<StreamingClient | undefined>((resolve) => {
    resolveReady = resolve;
  });

  // The current Lex request ("turn") and what each source delivered for it.
  let inFlight = store.state.lex.isProcessing === true;
  let turnId: string | undefined;
  let socketText = '';
  let lexWebUiText = '';
  let shown = '';

  // Session id handling (see the module comment).
  let latest: IdentityCredentials | undefined;
  /** Lex echoed the socket's session id: Lex Web UI uses it, nothing more to do. */
  let confirmed = false;
  /** Lex Web UI uses an id the adapter could not change; the socket follows Lex instead. */
  let followingLex = false;

  const commit = (type: string, payload?: unknown) => {
    selfCommit = true;
    try {
      store.commit(type, payload);
    } finally {
      selfCommit = false;
    }
  };

  const endpoint = () => String(store.state.config.lex.streamingWebSocketEndpoint);

  const doc = options.document ?? (globalThis as { document?: Document }).document;
  const formatter = options.formatStreamedText !== false && doc ? formattedBubble(doc) : undefined;
  let formatQueued = false;

  const applySessionAttributes = () => {
    if (!started) return;
    const lexConfig = store.state.config.lex;
    const wanted: [string, string][] = [
      [STREAMING_SESSION_ATTRIBUTES.endpoint, endpoint().replace(/^wss:\/\//, 'https://')],
      [STREAMING_SESSION_ATTRIBUTES.table, String(lexConfig.streamingDynamoDbTable ?? '')],
    ];
    for (const [key, value] of wanted) {
      if (store.state.lex.sessionAttributes?.[key] !== value)
        commit('setLexSessionAttributeValue', { key, value });
    }
  };

  /** Puts exactly `text` in the typing bubble, through Lex Web UI's own mutations. */
  const writeBubble = (text: string) => {
    commit(BUBBLE_MUTATIONS.setStarting, false);
    commit(BUBBLE_MUTATIONS.setStarting, true);
    commit(BUBBLE_MUTATIONS.push, text);
    commit(BUBBLE_MUTATIONS.type);
    // After Vue's re-render of the bubble (its scheduler flushes in a microtask queued by the commits).
    if (formatter && !formatQueued) {
      formatQueued = true;
      queueMicrotask(() => {
        formatQueued = false;
        if (!inFlight || detached) return;
        // Lex Web UI shows the final answer plain then, so the streamed text stays plain too.
        if (store.state.config.ui?.AllowSuperDangerousHTMLInMessage === false) formatter.remove();
        else formatter.show(shown);
      });
    }
  };

  /** Shows the longer of the two sources: the same answer over two sockets never shows twice. */
  const render = () => {
    const best = socketText.length >= lexWebUiText.length ? socketText : lexWebUiText;
    if (best.length > shown.length || !best.startsWith(shown)) shown = best;
    writeBubble(shown);
  };

  const startTurn = () => {
    inFlight = true;
    turnId = undefined;
    socketText = lexWebUiText = shown = '';
  };
  const endTurn = () => {
    inFlight = false;
    socketText = lexWebUiText = shown = '';
  };

  const onDelta = (frame: { turnId: string; text: string }) => {
    if (!inFlight || store.state.lex.isProcessing === false) return;
    if (frame.turnId && frame.turnId !== turnId) {
      // A newer turn of the session supersedes what the socket showed so far.
      if (turnId !== undefined) socketText = shown = '';
      turnId = frame.turnId;
    }
    socketText += frame.text;
    render();
  };

  const onRawText = (text: string) => {
    if (!inFlight || store.state.lex.isProcessing === false || text === LEX_WEB_UI_STOP_FRAME) return;
    socketText += text;
    render();
  };

  /** Makes Lex Web UI send `latest.identityId` as its Lex session id (see the module comment). */
  const pointLexWebUiAtSession = () => {
    const credentials = latest;
    if (options.sessionId || confirmed || followingLex || !credentials?.identityId) return;
    if (credentials.identityId !== sessionId) return;
    const provider = Object.assign(async () => latest ?? credentials, credentials);
    selfDispatch = true;
    try {
      store.dispatch('initCredentials', provider).catch((error: unknown) => {
        logger.warn('Lex Web UI did not take the credentials', { error });
      });
    } finally {
      selfDispatch = false;
    }
  };

  const expiresSoon = (credentials: IdentityCredentials) =>
    credentials.expiration !== undefined && credentials.expiration.getTime() - Date.now() < 5 * 60 * 1000;

  /** Keeps the newest credentials; an identity id once known stays (some sources omit it later). */
  const remember = (fresh: IdentityCredentials) => {
    const identityId = fresh.identityId ?? latest?.identityId;
    latest = { ...fresh, ...(identityId ? { identityId } : {}) };
    // The socket is signed with these credentials, so its session id is their identity. It changes
    // when the browser had no identity yet and two credential calls raced (each made one; the SDK
    // keeps the last), or after a login.
    if (identityId && sessionId && identityId !== sessionId && !options.sessionId && !followingLex) {
      confirmed = false;
      queueMicrotask(() => {
        follow(identityId, 'the credentials belong to another identity');
        pointLexWebUiAtSession();
      });
    }
  };

  /** Credentials from Lex Web UI (which answers nothing while it thinks no refresh is due). */
  const fromStore: CredentialsProvider = async () => {
    let fresh = toCredentials(await store.dispatch('getCredentials', store.state.config));
    if (!fresh && latest && expiresSoon(latest)) {
      // What lexPostText does: checkCredentialsForRefresh arms getCredentials when they expire soon.
      await store.dispatch('checkCredentialsForRefresh');
      fresh = toCredentials(await store.dispatch('getCredentials', store.state.config));
    }
    if (fresh) remember(fresh);
    if (!latest) throw new WebPluginError('MISSING_CREDENTIALS', 'Lex Web UI has no Cognito credentials yet');
    return latest;
  };
  const given = options.credentials;
  const credentials: CredentialsProvider = given
    ? async () => {
        const fresh = await given();
        remember({ ...fresh, expiration: readExpiration(fresh.expiration) });
        return fresh;
      }
    : fromStore;

  const newClient = (id: string): StreamingClient => {
    const lexConfig = store.state.config.lex;
    // Lex Web UI's defaults are empty strings, not absent.
    const region = options.region || lexConfig.region || store.state.config.region || undefined;
    const base = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    const created = new StreamingClient({
      endpoint: endpoint(),
      sessionId: id,
      credentials,
      protocol: options.protocol ?? 'json',
      ...(region ? { region } : {}),
      ...(base ? { WebSocket: tapRawText(base, onRawText) } : {}),
      timers,
      logger,
      ...options.client,
    });
    created.on('delta', (frame) => {
      // Text-protocol frames (options.protocol 'text') come as deltas without a turn.
      if (created === client) onDelta(frame);
    });
    created.on('error', (error) => logger.warn('streaming error', { error }));
    return created;
  };

  /** Moves the socket to another session id (a login, or the id Lex actually used). */
  const follow = (id: string, why: string) => {
    if (detached || id === sessionId || !started) return;
    logger.info('moving the streaming socket to another session id', { from: sessionId, to: id, why });
    sessionId = id;
    // Before the first socket exists, connectFirst picks the new id up.
    if (!client) return;
    const previous = client;
    client = newClient(id);
    previous.close();
    client.connect().catch((error: unknown) => logger.error('streaming not started', { error }));
  };

  const connectFirst = async (): Promise<StreamingClient | undefined> => {
    let delay = options.credentialsRetryMs ?? 2000;
    for (;;) {
      if (detached) return undefined;
      try {
        await credentials();
        const id = sessionId ?? options.sessionId?.() ?? latest?.identityId;
        if (!id) {
          throw new WebPluginError(
            'BAD_OPTION',
            "no session id: Lex Web UI's credentials carry no Cognito identity id; pass options.sessionId",
          );
        }
        if (detached) return undefined;
        sessionId = id;
        pointLexWebUiAtSession();
        client = newClient(id);
        break;
      } catch (error) {
        if (error instanceof WebPluginError && error.code !== 'MISSING_CREDENTIALS') {
          logger.error('streaming not started', { error });
          return undefined;
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
    // The socket may move to another session id while it connects; wait for the one that stays.
    for (;;) {
      const current = client as StreamingClient;
      try {
        await current.connect();
      } catch (error) {
        if (client !== current && !detached) continue;
        logger.error('streaming not started', { error });
        return undefined;
      }
      if (client === current || detached) return detached ? undefined : current;
    }
  };

  const start = () => {
    if (started || detached) return;
    started = true;
    applySessionAttributes();
    connectFirst().then(resolveReady, (error: unknown) => {
      logger.error('streaming not started', { error });
      resolveReady(undefined);
    });
  };

  const onMutation = (mutation: LexWebUiMutation) => {
    if (selfCommit || detached) return;
    if (!started) {
      if (mutation.type !== 'mergeConfig') return;
      if (isStreamingAllowed(store.state)) start();
      else if (configLoaded(store.state)) resolveReady(undefined);
      return;
    }
    switch (mutation.type) {
      case 'setLexSessionAttributes':
        // Committed by initLexClient right after it created the Lex client: the moment to set its id.
        pointLexWebUiAtSession();
        applySessionAttributes();
        break;
      case 'setLexSessionAttributeValue':
      case 'reset':
        applySessionAttributes();
        break;
      case 'updateLexState': {
        applySessionAttributes();
        const echoed = (mutation.payload as { sessionId?: unknown } | undefined)?.sessionId;
        if (typeof echoed !== 'string' || !sessionId) break;
        if (echoed !== sessionId && !options.sessionId) {
          logger.warn('Lex Web UI used another session id than the socket; the socket follows it', {
            socket: sessionId,
            lex: echoed,
          });
          followingLex = true;
          follow(echoed, 'the session id of the Lex answer');
        }
        confirmed = echoed === sessionId;
        break;
      }
      case 'setIsLexProcessing':
        if (mutation.payload === true) {
          startTurn();
          // lexPostText reads lexClient.userId only after its credential checks, so this is in time.
          pointLexWebUiAtSession();
          if (client?.state === 'closed') {
            client.connect().catch((error: unknown) => logger.warn('reconnect failed', { error }));
          }
        } else if (mutation.payload === false) endTurn();
        break;
      case BUBBLE_MUTATIONS.setStarting:
        // Lex answered (false): the final message replaces the streamed text.
        if (mutation.payload === false) endTurn();
        break;
      case BUBBLE_MUTATIONS.push:
        // Lex Web UI's own socket got a frame: take it at once (it would show it 500 ms later).
        if (!inFlight) break;
        lexWebUiText += typeof mutation.payload === 'string' ? mutation.payload : '';
        render();
        break;
      case BUBBLE_MUTATIONS.type:
        // Lex Web UI's delayed typing: put back the adapter's text.
        if (inFlight) writeBubble(shown);
        break;
    }
  };
  const unsubscribe = store.subscribe(onMutation);

  const onAction = (action: LexWebUiMutation) => {
    if (selfDispatch || detached || action.type !== 'initCredentials' || options.sessionId) return;
    // Lex Web UI took credentials itself (a login): its Lex client now uses their identity id.
    const taken = toCredentials(action.payload);
    if (!taken?.identityId || taken.identityId === sessionId) return;
    latest = taken;
    confirmed = false;
    follow(taken.identityId, 'Lex Web UI took the credentials of another identity');
  };
  const unsubscribeAction = store.subscribeAction?.(onAction) ?? (() => {});

  if (isStreamingAllowed(store.state)) start();
  else if (configLoaded(store.state)) {
    logger.info('Lex Web UI streaming is off (allowStreamingResponses/streamingWebSocketEndpoint)');
    resolveReady(undefined);
  } else logger.debug('waiting for Lex Web UI to load its config');

  return {
    ready,
    get client() {
      return client;
    },
    get sessionId() {
      return sessionId;
    },
    detach() {
      detached = true;
      unsubscribe();
      unsubscribeAction();
      formatter?.remove();
      if (retryTimer !== undefined) timers.clearTimeout(retryTimer);
      wake?.();
      client?.close();
      resolveReady(undefined);
    },
  };
}

/** Where the Vue app of Lex Web UI is mounted, and how long to wait for it. */
export interface FindLexWebUiStoreOptions {
  /** @default globalThis.document */
  document?: Document;
  /** Id of the mount element. @default every element with an id (the full-page loader's is `lex-web-ui-fullpage`) */
  elementId?: string;
  /** @default 60000 */
  timeoutMs?: number;
  /** @default 100 */
  intervalMs?: number;
  timers?: ClientTimers;
}

interface VueApp {
  config?: { globalProperties?: { $store?: unknown } };
}

function isLexWebUiStore(value: unknown): value is LexWebUiStore {
  const store = value as Partial<LexWebUiStore> | undefined;
  return (
    typeof store?.commit === 'function' &&
    typeof store.subscribe === 'function' &&
    typeof store.state?.config?.lex === 'object' &&
    typeof store.state.lex === 'object'
  );
}

function storeOf(element: Element | null): LexWebUiStore | undefined {
  const app = (element as { __vue_app__?: VueApp } | null)?.__vue_app__;
  const store = app?.config?.globalProperties?.$store;
  return isLexWebUiStore(store) ? store : undefined;
}

/**
 * The Vuex store of the Lex Web UI app mounted in this document: Vue 3 keeps the app on its mount
 * element (`__vue_app__`) and Vuex 4 puts the store in `app.config.globalProperties.$store`.
 * Waits for the loader to mount the app (it does so after loading its dependencies and config).
 */
export function findLexWebUiStore(options: FindLexWebUiStoreOptions = {}): Promise<LexWebUiStore> {
  const timers = options.timers ?? defaultTimers;
  const doc = options.document ?? (globalThis as { document?: Document }).document;
  if (!doc) return Promise.reject(new WebPluginError('BAD_OPTION', 'no document to look for Lex Web UI in'));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const intervalMs = options.intervalMs ?? 100;
  const look = (): LexWebUiStore | undefined => {
    if (options.elementId) return storeOf(doc.getElementById(options.elementId));
    for (const element of Array.from(doc.querySelectorAll('[id]'))) {
      const store = storeOf(element);
      if (store) return store;
    }
    return undefined;
  };
  const startedAt = Date.now();
  return new Promise((resolve, reject) => {
    const poll = () => {
      const store = look();
      if (store) return resolve(store);
      if (Date.now() - startedAt >= timeoutMs) {
        return reject(
          new WebPluginError(
            'BAD_OPTION',
            `no Lex Web UI app found in this page after ${timeoutMs} ms (looked for a Vue app with a Vuex store ` +
              `on ${options.elementId ? `#${options.elementId}` : 'the elements with an id'}); load this script in ` +
              "the page that runs Lex Web UI's loader (index.html, also inside the iframe)",
          ),
        );
      }
      timers.setTimeout(poll, intervalMs);
    };
    poll();
  });
}

export interface LexWebUiPageOptions extends LexWebUiAdapterOptions {
  find?: FindLexWebUiStoreOptions;
}

/**
 * Finds the Lex Web UI app of this page (`findLexWebUiStore`) and attaches the adapter to it: the
 * one call a stock Lex Web UI build needs (see the module comment).
 */
export function attachToLexWebUiPage(options: LexWebUiPageOptions = {}): LexWebUiAdapter {
  const { find, ...adapterOptions } = options;
  const logger = options.logger ?? silentLogger;
  let inner: LexWebUiAdapter | undefined;
  let detached = false;
  const ready = findLexWebUiStore({ ...find, ...(options.timers ? { timers: options.timers } : {}) }).then(
    (store) => {
      if (detached) return undefined;
      inner = attachToLexWebUi(store, adapterOptions);
      return inner.ready;
    },
    (error: unknown) => {
      logger.error('Lex Web UI not found', { error });
      return undefined;
    },
  );
  return {
    ready,
    get client() {
      return inner?.client;
    },
    get sessionId() {
      return inner?.sessionId;
    },
    detach() {
      detached = true;
      inner?.detach();
    },
  };
}
