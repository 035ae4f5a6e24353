/**
 * StreamingClient: one logical connection to the streaming WebSocket API that stays up, and the
 * answers streaming over it as events. Three parts, each in its own module:
 *
 * - socket-lifecycle.ts: connect (freshly presigned each time, with credentials from
 *   credentials-cache.ts), reconnect with jittered backoff, ping every 9 minutes, renewal before
 *   API Gateway's 2-hour limit without losing a chunk of a running answer; `open`, `close` and
 *   connection errors.
 * - turn-frames.ts: each message becomes events. json frames of stale or cancelled turns are
 *   dropped, `seq` gaps emit `gap`; text messages are each a `delta` with `turnId: ''`.
 * - this file: the options (checked, defaults filled in) and the public API.
 *
 * Platform pieces (WebSocket constructor, clock, timers, randomness) are options, so the same
 * module runs in browsers and in Node 20 (pass the `ws` package's WebSocket there).
 */

import {
  MAX_CONNECTION_SECONDS,
  PING_INTERVAL_SECONDS,
  type Protocol,
} from '../functions/protocol/websocket';
import type {
  ClientLogger,
  ClientState,
  StreamingClientEvents,
  StreamingClientOptions,
  WebSocketConstructor,
} from './client-types';
import { TypedEmitter } from './emitter';
import { WebPluginError } from './errors';
import { parseStreamingEndpoint } from './signer';
import { type ProbeFetch, SocketLifecycle } from './socket-lifecycle';
import { TurnFrames } from './turn-frames';

export type {
  ClientCredentials,
  ClientLogger,
  ClientState,
  ClientTimers,
  CloseEvent,
  CredentialsProvider,
  GapEvent,
  OpenEvent,
  StreamingClientEvents,
  StreamingClientOptions,
  WebSocketConstructor,
  WebSocketEventLike,
  WebSocketLike,
} from './client-types';
export { CONNECTION_REFUSED_MESSAGE } from './errors';

/** The platform's fetch, bound (a bare `fetch` reference throws "Illegal invocation" in browsers). */
function defaultFetch(): ProbeFetch | undefined {
  const { fetch } = globalThis as { fetch?: ProbeFetch };
  return fetch ? (url, init) => fetch.call(globalThis, url, init) : undefined;
}

const silentLogger: ClientLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

export class StreamingClient extends TypedEmitter<StreamingClientEvents> {
  readonly endpoint: string;
  readonly sessionId: string;
  readonly protocol: Protocol;
  private readonly logger: ClientLogger;
  private readonly frames: TurnFrames;
  private readonly sockets: SocketLifecycle;

  constructor(options: StreamingClientOptions) {
    super((error, event) => (options.logger ?? silentLogger).error('listener failed', { event, error }));
    const endpoint = parseStreamingEndpoint(options.endpoint);
    if (typeof options.credentials !== 'function') {
      throw new WebPluginError(
        'MISSING_CREDENTIALS',
        'credentials must be a function returning a Promise of credentials',
      );
    }
    const region = options.region ?? endpoint.region;
    if (!region) {
      throw new WebPluginError(
        'BAD_OPTION',
        `region is required: it cannot be read from the host "${endpoint.hostname}" (not an execute-api host)`,
      );
    }
    const WebSocketImpl = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WebSocketImpl) {
      throw new WebPluginError(
        'BAD_OPTION',
        "no WebSocket implementation: pass options.WebSocket (in Node 20, the ws package's WebSocket)",
      );
    }
    this.endpoint = options.endpoint;
    this.sessionId = options.sessionId;
    this.protocol = options.protocol ?? 'json';
    this.logger = options.logger ?? silentLogger;
    const emit = this.emit.bind(this);
    this.frames = new TurnFrames(this.protocol, emit, this.logger);
    this.sockets = new SocketLifecycle({
      endpoint: this.endpoint,
      sessionId: this.sessionId,
      protocol: this.protocol,
      region,
      credentials: options.credentials,
      WebSocket: WebSocketImpl,
      fetch: options.fetch ?? defaultFetch(),
      now: options.now ?? (() => Date.now()),
      timers: options.timers ?? {
        setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
        clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
      },
      random: options.random ?? Math.random,
      logger: this.logger,
      settings: {
        pingIntervalMs: options.pingIntervalMs ?? PING_INTERVAL_SECONDS * 1000,
        renewAfterMs: options.renewAfterMs ?? (MAX_CONNECTION_SECONDS - 5 * 60) * 1000,
        credentialsRefreshMarginMs: options.credentialsRefreshMarginMs ?? 5 * 60 * 1000,
        initialBackoffMs: options.initialBackoffMs ?? 1000,
        maxBackoffMs: options.maxBackoffMs ?? 30_000,
        maxConsecutiveFailures: options.maxConsecutiveFailures ?? 6,
        drainQuietMs: options.drainQuietMs ?? 1000,
        drainMaxMs: options.drainMaxMs ?? 60_000,
      },
      emit,
      onText: (text) => this.frames.receive(text),
      answerInProgress: () => this.frames.answerInProgress(),
    });
  }

  get state(): ClientState {
    return this.sockets.state;
  }

  /**
   * Starts the connection; resolves when a socket is open. Rejects when the options are wrong,
   * when the client gives up after repeated failures, or when `close()` is called first.
   * Failed attempts before that are reported as `error` events and retried.
   */
  connect(): Promise<void> {
    return this.sockets.connect();
  }

  /** Asks the server to stop the running answer; later frames of that turn are dropped. */
  cancel(): boolean {
    const cancelled = this.frames.cancelActive();
    const sent = this.sockets.send({ action: 'cancel' });
    this.logger.info('cancel requested', { turnId: cancelled, sent });
    return sent;
  }

  /** Closes every socket and stops reconnecting. */
  close(): void {
    this.sockets.close();
  }
}
