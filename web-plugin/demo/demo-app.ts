/**
 * The demo chat page of the local stack (`npm start`, then open http://127.0.0.1:8080/):
 *
 * 1. reads `/endpoints.json` (what the local stack runs where);
 * 2. gets a Cognito identity and its credentials (GetId + GetCredentialsForIdentity);
 * 3. uses the identity id as the Lex session id and connects the StreamingClient (json protocol);
 * 4. mounts the chat widget, whose `ask` calls Lex V2 RecognizeText (SigV4, service `lex`).
 *
 * Page URL parameters (what the share link and the tests use):
 * - `join=<code>`: join the session of the open demo tab that made this link, e.g. a second tab on
 *   the same session; both tabs receive the stream. The URL never carries the identity id: with an
 *   unauthenticated identity pool that id alone gets the visitor's AWS credentials, and URLs end up
 *   in histories, screenshots and chat messages. The new tab asks for the identity over a
 *   BroadcastChannel, which only same-origin pages of the same browser profile share; the tab
 *   whose code it is answers. The code is random per tab and gives nothing to anyone outside this
 *   browser. When no tab answers within JOIN_TIMEOUT_MS (the first tab closed, or the link was
 *   opened elsewhere), the page starts as a new visitor and says so.
 * - `sessionId=<id>`: use another session id than the identity id, to see the gateway refuse
 *   (403) a socket for a session that is not yours.
 * - `reveal=instant`: show each streamed batch as it arrives instead of the widget's smooth
 *   word-by-word reveal (to compare the two, e.g. scripts/bench/streaming-experience.ts).
 *
 * Stable hooks for tests (`data-testid`), next to the widget's `qs-*` ones:
 * | `demo-connection` | connection pill; `data-state` = starting/connecting/open/reconnecting/refused/unreachable/closed/failed; `data-opens` counts sockets opened |
 * | `demo-identity`   | the Cognito identity id                                        |
 * | `demo-session`    | the session id used for the socket and Lex                     |
 * | `demo-share-link` | link to a second tab on this identity (`?join=<code>`, no identity) |
 * | `demo-join`       | outcome of a `?join=` link: `data-state` = joined/not-joined (hidden without one) |
 * | `demo-alert`      | the latest problem, in words (hidden when there is none)       |
 * | `demo-stats`      | the server's timing of the last streamed answer (the `end` frame: measured in the fulfillment Lambda) |
 * | `demo-mirrored-answer` | an answer streamed to this tab for a question asked in another tab of the session; `data-state` = streaming/done |
 */
import type { ClientLogger, WebSocketConstructor } from '../client';
import { StreamingClient } from '../client';
import type { WebPluginError } from '../errors';
import { type ChatWidget, createChatWidget } from '../widget';
import {
  answerText,
  cachedCredentials,
  type FetchLike,
  getCognitoCredentials,
  getCognitoIdentityId,
  type LexBot,
  recognizeText,
} from './aws-calls';
import { DemoError } from './errors';

/** The part of the local stack's `/endpoints.json` the page needs. */
export interface DemoEndpoints extends LexBot {
  webSocketUrl: string;
  cognitoIdentity: string;
  identityPoolId: string;
  lexRuntime: string;
  modelId?: string;
}

export interface DemoEnvironment {
  document: Document;
  /** The page's URL (its query carries `identity` and `sessionId`). */
  pageUrl: string;
  fetch: FetchLike;
  /** @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /** Where the endpoints are read. @default '/endpoints.json' */
  endpointsUrl?: string;
  /** How tabs of this browser hand the identity to a second tab. @default globalThis.BroadcastChannel */
  BroadcastChannel?: BroadcastChannelConstructor;
}

export type BroadcastChannelConstructor = new (
  name: string,
) => Pick<BroadcastChannel, 'postMessage' | 'close' | 'addEventListener' | 'removeEventListener'>;

/** Name of the channel the demo's tabs talk on (same origin and browser profile only). */
export const DEMO_CHANNEL = 'qna-streaming-demo';
/** How long a `?join=` tab waits for the tab that made the link to answer. */
export const JOIN_TIMEOUT_MS = 2000;

/** Messages on DEMO_CHANNEL. */
type JoinMessage =
  | { type: 'join-request'; code: string; requestId: string }
  | { type: 'join-offer'; requestId: string; identityId: string };

function randomCode(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** Asks the tabs of this browser for the identity behind join `code`; undefined when none answers in time. */
function requestIdentity(
  channel: InstanceType<BroadcastChannelConstructor> | undefined,
  code: string,
  timeoutMs: number,
): Promise<string | undefined> {
  if (!channel) return Promise.resolve(undefined);
  const requestId = randomCode();
  return new Promise((resolve) => {
    const done = (identityId: string | undefined) => {
      clearTimeout(timer);
      channel.removeEventListener('message', onMessage);
      resolve(identityId);
    };
    const onMessage = (event: MessageEvent) => {
      const data = event.data as Partial<JoinMessage> | null;
      if (
        data?.type === 'join-offer' &&
        data.requestId === requestId &&
        typeof data.identityId === 'string'
      ) {
        done(data.identityId);
      }
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    channel.addEventListener('message', onMessage);
    channel.postMessage({ type: 'join-request', code, requestId } satisfies JoinMessage);
  });
}

export interface DemoPage {
  identityId: string;
  sessionId: string;
  client: StreamingClient;
  widget: ChatWidget;
  stop(): void;
}

export type ConnectionState =
  | 'starting'
  | 'connecting'
  | 'open'
  | 'reconnecting'
  | 'refused'
  | 'unreachable'
  | 'closed'
  | 'failed';

/**
 * Questions the bundled local knowledge base answers at length; the last one gets a long, formatted
 * answer (one of LONG_ANSWER_QUESTIONS in cli/local-stack/knowledge-base/entries.ts, ~600 tokens).
 */
export const SUGGESTED_QUESTIONS = [
  'How does the browser authenticate to the WebSocket API?',
  'What happens to the streamed text when the Lex answer arrives?',
  'Can a user stop an answer while it is streaming?',
  'How do I write a streaming QnABot hook?',
] as const;

const STATE_LABELS: Record<ConnectionState, string> = {
  starting: 'Getting credentials…',
  connecting: 'Connecting…',
  open: 'Streaming connected',
  reconnecting: 'Reconnecting…',
  refused: 'Connection refused',
  unreachable: 'Gateway unreachable',
  closed: 'Disconnected',
  failed: 'Not started',
};

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

interface Mirror {
  element: HTMLElement;
  text: Text;
}

/** Builds the page's frame (header, connection bar, chat area) inside `root`. */
function renderShell(doc: Document, root: HTMLElement) {
  const el = <K extends keyof HTMLElementTagNameMap>(
    tag: K,
    className?: string,
    testId?: string,
  ): HTMLElementTagNameMap[K] => {
    const element = doc.createElement(tag);
    if (className) element.className = className;
    if (testId) element.setAttribute('data-testid', testId);
    return element;
  };
  const bar = el('div', 'demo-bar');
  const connection = el('span', 'demo-pill', 'demo-connection');
  connection.setAttribute('role', 'status');
  const identityLabel = el('span', 'demo-field');
  const identity = el('code', undefined, 'demo-identity');
  identityLabel.append('Cognito identity ', identity);
  const sessionLabel = el('span', 'demo-field');
  const session = el('code', undefined, 'demo-session');
  identity.title =
    "Keep this id private: with an identity pool that allows unauthenticated access, it alone gets this visitor's AWS credentials";
  const share = el('a', 'demo-share', 'demo-share-link');
  share.textContent = 'open it in a second tab ↗';
  share.title =
    'Both tabs share this Cognito identity and session, and both receive the stream. The link carries ' +
    'a join code, not the identity: this tab hands the identity to the new tab inside this browser, so ' +
    'the link is useless anywhere else.';
  share.target = '_blank';
  share.rel = 'noopener';
  const shareItem = el('span');
  shareItem.append(' · ', share);
  shareItem.hidden = true;
  sessionLabel.append('Session ', session, shareItem);
  const ids = el('div', 'demo-ids');
  ids.append(identityLabel, sessionLabel);
  bar.append(connection, ids);

  const alert = el('div', 'demo-alert', 'demo-alert');
  alert.setAttribute('role', 'alert');
  alert.hidden = true;
  const join = el('div', 'demo-join', 'demo-join');
  join.setAttribute('role', 'status');
  join.hidden = true;

  const chat = el('div', 'demo-chat');
  const suggestions = el('div', 'demo-suggestions');
  const suggestionsLabel = el('span', 'demo-suggestions-label');
  suggestionsLabel.textContent = 'Try:';
  suggestions.append(suggestionsLabel);
  const buttons = SUGGESTED_QUESTIONS.map((question) => {
    const button = el('button', 'demo-suggestion');
    button.type = 'button';
    button.textContent = question;
    suggestions.append(button);
    return { button, question };
  });
  // Below the suggestions, so the line appearing after the first answer moves nothing.
  const stats = el('div', 'demo-stats', 'demo-stats');
  stats.setAttribute('aria-live', 'polite');
  root.replaceChildren(bar, join, alert, chat, suggestions, stats);
  return { connection, identity, session, share, shareItem, join, alert, chat, buttons, stats };
}

export async function startDemo(environment: DemoEnvironment): Promise<DemoPage> {
  const doc = environment.document;
  const root = doc.getElementById('qna-streaming-demo') ?? doc.body;
  const ui = renderShell(doc, root);
  const pageUrl = new URL(environment.pageUrl);
  let opens = 0;

  const setState = (state: ConnectionState, detail?: string) => {
    ui.connection.setAttribute('data-state', state);
    ui.connection.setAttribute('data-opens', String(opens));
    ui.connection.textContent = detail ? `${STATE_LABELS[state]} · ${detail}` : STATE_LABELS[state];
  };
  /** Says whether a `?join=` link found the tab that made it. */
  const showJoin = (joined: boolean) => {
    ui.join.hidden = false;
    ui.join.setAttribute('data-state', joined ? 'joined' : 'not-joined');
    ui.join.setAttribute('data-tone', joined ? 'ok' : 'warning');
    ui.join.textContent = joined
      ? 'Joined the session of your other tab: both tabs receive the stream.'
      : 'No open demo tab of this browser answered this link, so this tab is a new visitor with its own ' +
        'session. The link only works in the browser of the tab that made it, while that tab is open: ' +
        'it carries a join code, never the identity.';
  };
  /** Shows a problem as a short title and the details; `undefined` hides the alert. */
  const showAlert = (title: string | undefined, detail = '', tone: 'error' | 'warning' = 'error') => {
    ui.alert.hidden = !title;
    const heading = doc.createElement('strong');
    heading.textContent = title ?? '';
    ui.alert.replaceChildren(...(title ? [heading, detail] : []));
    ui.alert.setAttribute('data-tone', tone);
  };
  setState('starting');

  const Channel = environment.BroadcastChannel ?? globalThis.BroadcastChannel;
  const channel = Channel ? new Channel(DEMO_CHANNEL) : undefined;
  const joinCode = pageUrl.searchParams.get('join') || undefined;

  let endpoints: DemoEndpoints;
  let identityId: string;
  let credentials: ReturnType<typeof cachedCredentials>;
  try {
    const response = await environment.fetch(environment.endpointsUrl ?? '/endpoints.json', {});
    if (!response.ok) throw new DemoError(`/endpoints.json answered HTTP ${response.status}`);
    const raw = (await response.json()) as DemoEndpoints;
    endpoints = { ...raw, endpoint: raw.lexRuntime };
    const joined = joinCode ? await requestIdentity(channel, joinCode, JOIN_TIMEOUT_MS) : undefined;
    if (joinCode) showJoin(joined !== undefined);
    identityId =
      joined ??
      (await getCognitoIdentityId(environment.fetch, endpoints.cognitoIdentity, endpoints.identityPoolId));
    credentials = cachedCredentials(() =>
      getCognitoCredentials(environment.fetch, endpoints.cognitoIdentity, identityId),
    );
    await credentials();
  } catch (error) {
    setState('failed');
    showAlert('The demo could not start', (error as Error).message);
    channel?.close();
    throw error;
  }
  const sessionId = pageUrl.searchParams.get('sessionId') || identityId;
  ui.identity.textContent = identityId;
  ui.session.textContent = sessionId === identityId ? '= the identity id' : sessionId;

  // This tab answers join requests for its own code, and for the code it joined with (so the
  // first link still works after the first tab closed, while this one is open).
  const ownCode = randomCode();
  const answerJoin = (event: MessageEvent) => {
    const data = event.data as Partial<JoinMessage> | null;
    if (data?.type !== 'join-request' || typeof data.requestId !== 'string') return;
    if (data.code !== ownCode && (joinCode === undefined || data.code !== joinCode)) return;
    channel?.postMessage({ type: 'join-offer', requestId: data.requestId, identityId } satisfies JoinMessage);
  };
  channel?.addEventListener('message', answerJoin);
  if (channel && sessionId === identityId) {
    const share = new URL(pageUrl.pathname, pageUrl.origin);
    share.searchParams.set('join', ownCode);
    ui.share.href = share.toString();
    ui.shareItem.hidden = false;
  }

  const logger: ClientLogger = {
    debug: () => {},
    info: (message, fields) => console.info(`[qna-streaming] ${message}`, fields ?? ''),
    warn: (message, fields) => console.warn(`[qna-streaming] ${message}`, fields ?? ''),
    error: (message, fields) => console.error(`[qna-streaming] ${message}`, fields ?? ''),
  };
  const client = new StreamingClient({
    endpoint: endpoints.webSocketUrl,
    sessionId,
    credentials,
    region: endpoints.region,
    protocol: 'json',
    logger,
    ...(environment.WebSocket ? { WebSocket: environment.WebSocket } : {}),
  });

  // A question asked in this tab is shown by the widget; a turn that starts while this tab asks
  // nothing was asked in another tab of the session, and is shown as a mirrored answer.
  let asking = false;
  let mirror: Mirror | undefined;
  let turnDeltas = 0;
  const log = () => root.querySelector<HTMLElement>('[data-testid="qs-log"]');

  const widget = createChatWidget({
    container: ui.chat,
    client,
    reveal: pageUrl.searchParams.get('reveal') === 'instant' ? 'instant' : 'smooth',
    ask: async (question) => {
      asking = true;
      showAlert(undefined);
      try {
        const result = await recognizeText({
          fetch: environment.fetch,
          bot: endpoints,
          sessionId,
          text: question,
          credentials: await credentials(),
        });
        const text = answerText(result);
        if (!text) throw new DemoError('Lex answered without a message');
        return text;
      } finally {
        // A failure is shown in the answer's bubble, with its reason, and logged by the widget.
        asking = false;
      }
    },
  });

  const unsubscribe = [
    client.on('open', ({ reconnect }) => {
      opens += 1;
      setState('open', reconnect ? 'reconnected' : undefined);
      showAlert(undefined);
    }),
    client.on('close', ({ willReconnect, code }) => {
      setState(willReconnect ? 'reconnecting' : 'closed', `socket closed (${code})`);
      if (mirror) finishMirror();
    }),
    client.on('error', (error: WebPluginError) => {
      // ENDPOINT_UNREACHABLE / SIGNATURE_REJECTED / CONNECTION_REFUSED: a socket that never opened.
      if (['CONNECTION_REFUSED', 'ENDPOINT_UNREACHABLE', 'SIGNATURE_REJECTED'].includes(error.code)) {
        setState(error.code === 'ENDPOINT_UNREACHABLE' ? 'unreachable' : 'refused');
        const mismatch =
          sessionId !== identityId
            ? ` This page asked for session "${sessionId}", but its Cognito identity is "${identityId}": ` +
              'a socket may only join its own session.'
            : '';
        // The title says what it means for the visitor; the error's message says why, once.
        showAlert(
          'No streaming for this page',
          `${capitalize(error.message)}.${mismatch} Answers still arrive from Lex, without streaming.`,
        );
      } else if (error.code === 'GAVE_UP') {
        setState('closed', 'gave up');
        showAlert(
          'Streaming stopped',
          `${capitalize(error.message)}. Answers still arrive from Lex, without streaming.`,
        );
      } else if (error.code === 'SERVER_ERROR') {
        showAlert('The answer stream reported a problem', error.message, 'warning');
      } else {
        logger.warn('client error', { code: error.code, message: error.message });
      }
    }),
    client.on('start', () => {
      turnDeltas = 0;
      if (!asking) startMirror();
    }),
    client.on('delta', (frame) => {
      turnDeltas += 1;
      if (mirror && !asking) mirror.text.appendData(frame.text);
    }),
    client.on('end', (frame) => {
      if (mirror) finishMirror();
      // The widget shows, under each answer, when its first words reached the screen (measured in
      // this page from the question); this line is the server's own view of the same answer.
      const parts = [
        frame.ttftMs !== undefined
          ? `first token from the model after ${frame.ttftMs} ms`
          : 'no text streamed',
        `complete after ${(frame.totalMs / 1000).toFixed(1)} s`,
        `${turnDeltas} frame${turnDeltas === 1 ? '' : 's'}`,
        ...(frame.usage?.outputTokens !== undefined ? [`${frame.usage.outputTokens} tokens`] : []),
        `stop reason ${frame.stopReason}`,
      ];
      ui.stats.textContent = `Last answer, timed in the fulfillment Lambda: ${parts.join(' · ')}${
        endpoints.modelId ? ` · model ${endpoints.modelId}` : ''
      }`;
    }),
  ];

  function startMirror(): void {
    const container = log();
    if (!container) return;
    const element = doc.createElement('div');
    element.className = 'qs-answer demo-mirrored';
    const note = doc.createElement('div');
    note.className = 'demo-mirrored-note';
    note.textContent = 'Streamed here from another tab of this session';
    const streamed = doc.createElement('div');
    streamed.className = 'qs-streamed';
    streamed.setAttribute('data-testid', 'demo-mirrored-answer');
    streamed.setAttribute('data-state', 'streaming');
    const text = doc.createTextNode('');
    streamed.append(text);
    element.append(note, streamed);
    container.append(element);
    container.scrollTop = container.scrollHeight;
    mirror = { element: streamed, text };
  }
  function finishMirror(): void {
    mirror?.element.setAttribute('data-state', 'done');
    mirror = undefined;
  }

  for (const { button, question } of ui.buttons) {
    button.addEventListener('click', () => void widget.submit(question));
  }

  setState('connecting');
  client.connect().catch((error: unknown) => {
    // The client reported each failed attempt already; this is the final word.
    logger.warn('streaming connection gave up', { error: (error as Error).message });
  });

  return {
    identityId,
    sessionId,
    client,
    widget,
    stop() {
      for (const off of unsubscribe) off();
      channel?.removeEventListener('message', answerJoin);
      channel?.close();
      client.close();
      widget.destroy();
    },
  };
}
