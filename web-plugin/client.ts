/**
 * StreamingClient: one logical connection to the streaming WebSocket API that stays up.
 *
 * - Every connect is freshly presigned (the URL lives 60 s) with credentials from the page's
 *   provider, fetched again before they expire.
 * - `{"action":"ping"}` every 9 minutes keeps API Gateway's 10-minute idle timeout away.
 * - A dropped socket is reconnected with jittered exponential backoff; a socket that never opened
 *   is reported as "connection refused" (the browser only sees close/error, never the 403).
 * - Before API Gateway's 2-hour limit the client opens a new socket, then retires the old one once
 *   it is quiet, so no chunk of a running answer is lost (json frames seen twice are dropped).
 * - json frames: frames of stale or cancelled turns are dropped, `seq` gaps emit `gap`.
 *   text frames: each message is a `delta` with `turnId: ''`.
 *
 * Platform pieces (WebSocket constructor, clock, timers, randomness) are options, so the same
 * module runs in browsers and in Node 20 (pass the `ws` package's WebSocket there).
 */

import type { CitationFrame, DeltaFrame, EndFrame, StartFrame } from '../functions/protocol/frames';
import { FRAME_VERSION } from '../functions/protocol/frames';
import {
  MAX_CONNECTION_SECONDS,
  PING_INTERVAL_SECONDS,
  type Protocol,
} from '../functions/protocol/websocket';
import { TypedEmitter } from './emitter';
import { WebPluginError } from './errors';
import { parseJsonFrame, TurnTracker } from './frame-reader';
import { parseStreamingEndpoint, presignWebSocketUrl, type SigningCredentials } from './signer';

export interface ClientCredentials extends SigningCredentials {
  /** When the credentials stop working; they are fetched again a few minutes before. */
  expiration?: Date;
}
export type CredentialsProvider = () => Promise<ClientCredentials>;

/** The part of a WebSocket event the client reads (DOM and `ws` events both fit). */
export interface WebSocketEventLike {
  type?: string;
  data?: unknown;
  code?: number;
  reason?: string;
  message?: string;
}

/** The part of the WebSocket API the client uses (the DOM WebSocket and `ws` both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(
    type: 'open' | 'close' | 'error' | 'message',
    listener: (event: WebSocketEventLike) => void,
  ): void;
}
export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ClientTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** Where the client reports what it does (`console` fits); the default writes nothing. */
export interface ClientLogger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}

export interface StreamingClientOptions {
  /** `wss://{api-id}.execute-api.{region}.amazonaws.com/Prod` (`ws://127.0.0.1:{port}/Prod` locally). */
  endpoint: string;
  /** Lex session id; with Cognito credentials it must equal the Cognito identity id. */
  sessionId: string;
  /** Called for each connect when the cached credentials are missing or about to expire. */
  credentials: CredentialsProvider;
  /** @default 'json' */
  protocol?: Protocol;
  /** @default parsed from the execute-api host */
  region?: string;
  /** @default globalThis.WebSocket */
  WebSocket?: WebSocketConstructor;
  /** @default Date.now */
  now?: () => number;
  /** @default globalThis.setTimeout / clearTimeout */
  timers?: ClientTimers;
  /** Returns [0, 1); used for backoff jitter. @default Math.random */
  random?: () => number;
  /** @default a logger that writes nothing */
  logger?: ClientLogger;
  /** @default 9 minutes */
  pingIntervalMs?: number;
  /** Age at which a socket is replaced. @default 2 h − 5 min */
  renewAfterMs?: number;
  /** Credentials are fetched again this long before they expire. @default 5 minutes */
  credentialsRefreshMarginMs?: number;
  /** First reconnect delay (before jitter). @default 1000 */
  initialBackoffMs?: number;
  /** @default 30000 */
  maxBackoffMs?: number;
  /** Failed connects in a row before the client gives up. @default 6 */
  maxConsecutiveFailures?: number;
  /** A retired socket is closed after this long without a message (and no turn streaming). @default 1000 */
  drainQuietMs?: number;
  /** A retired socket is closed after this long at most. @default 60000 */
  drainMaxMs?: number;
}

export interface OpenEvent {
  /** False for the first connection, true for reconnects and renewals. */
  reconnect: boolean;
}
export interface CloseEvent {
  code: number;
  reason: string;
  /** True when the client will connect again by itself. */
  willReconnect: boolean;
}
export interface GapEvent {
  turnId: string;
  /** First `seq` that never arrived. */
  expected: number;
  /** `seq` that arrived instead. */
  received: number;
}

export interface StreamingClientEvents {
  open: OpenEvent;
  start: StartFrame;
  delta: DeltaFrame;
  citation: CitationFrame;
  end: EndFrame;
  error: WebPluginError;
  close: CloseEvent;
  gap: GapEvent;
}

export type ClientState = 'idle' | 'connecting' | 'open' | 'closed';

export const CONNECTION_REFUSED_MESSAGE =
  'connection refused: check that the session id equals your Cognito identity id ' +
  '(and that the credentials are valid and the endpoint is the StreamingWebSocketEndpoint output)';

const OPEN = 1;
const NORMAL_CLOSURE = 1000;

const silentLogger: ClientLogger = { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} };

interface Connection {
  ws: WebSocketLike;
  id: number;
  opened: boolean;
  retired: boolean;
  lastMessageAt: number;
  retiredAt: number;
  renewal: boolean;
}

type Waiter = { resolve: () => void; reject: (error: WebPluginError) => void };

function messageText(data: unknown): string | undefined {
  if (typeof data === 'string') return data;
  if (data instanceof ArrayBuffer) return new TextDecoder().decode(data);
  if (ArrayBuffer.isView(data)) return new TextDecoder().decode(data);
  return undefined;
}

export class StreamingClient extends TypedEmitter<StreamingClientEvents> {
  readonly endpoint: string;
  readonly sessionId: string;
  readonly protocol: Protocol;
  private readonly region: string;
  private readonly provider: CredentialsProvider;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly now: () => number;
  private readonly timers: ClientTimers;
  private readonly random: () => number;
  private readonly logger: ClientLogger;
  private readonly settings: Required<
    Pick<
      StreamingClientOptions,
      | 'pingIntervalMs'
      | 'renewAfterMs'
      | 'credentialsRefreshMarginMs'
      | 'initialBackoffMs'
      | 'maxBackoffMs'
      | 'maxConsecutiveFailures'
      | 'drainQuietMs'
      | 'drainMaxMs'
    >
  >;

  private readonly turns = new TurnTracker();
  private primary: Connection | undefined;
  private pending: Connection | undefined;
  private readonly retired = new Set<Connection>();
  private connectionCount = 0;
  private everOpened = false;
  private stopped = true;
  private attemptInFlight = false;
  private failures = 0;
  private textSeq = 0;
  private cached: ClientCredentials | undefined;
  private waiters: Waiter[] = [];
  private pingTimer: unknown;
  private renewTimer: unknown;
  private reconnectTimer: unknown;
  private drainTimer: unknown;
  private credentialsTimer: unknown;

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
    this.region = region;
    this.provider = options.credentials;
    this.WebSocketImpl = WebSocketImpl;
    this.now = options.now ?? (() => Date.now());
    this.timers = options.timers ?? {
      setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
      clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof setTimeout>),
    };
    this.random = options.random ?? Math.random;
    this.logger = options.logger ?? silentLogger;
    this.settings = {
      pingIntervalMs: options.pingIntervalMs ?? PING_INTERVAL_SECONDS * 1000,
      renewAfterMs: options.renewAfterMs ?? (MAX_CONNECTION_SECONDS - 5 * 60) * 1000,
      credentialsRefreshMarginMs: options.credentialsRefreshMarginMs ?? 5 * 60 * 1000,
      initialBackoffMs: options.initialBackoffMs ?? 1000,
      maxBackoffMs: options.maxBackoffMs ?? 30_000,
      maxConsecutiveFailures: options.maxConsecutiveFailures ?? 6,
      drainQuietMs: options.drainQuietMs ?? 1000,
      drainMaxMs: options.drainMaxMs ?? 60_000,
    };
  }

  get state(): ClientState {
    if (this.primary) return 'open';
    if (this.stopped) return this.everOpened || this.connectionCount > 0 ? 'closed' : 'idle';
    return 'connecting';
  }

  /**
   * Starts the connection; resolves when a socket is open. Rejects when the options are wrong,
   * when the client gives up after repeated failures, or when `close()` is called first.
   * Failed attempts before that are reported as `error` events and retried.
   */
  connect(): Promise<void> {
    if (this.primary) return Promise.resolve();
    const opened = new Promise<void>((resolve, reject) => this.waiters.push({ resolve, reject }));
    if (this.stopped) {
      this.stopped = false;
      this.failures = 0;
      void this.attempt(false);
    }
    return opened;
  }

  /** Asks the server to stop the running answer; later frames of that turn are dropped. */
  cancel(): boolean {
    const cancelled = this.turns.cancelActive();
    const sent = this.send({ action: 'cancel' });
    this.logger.info('cancel requested', { turnId: cancelled, sent });
    return sent;
  }

  /** Closes every socket and stops reconnecting. */
  close(): void {
    this.stopped = true;
    this.clearTimers();
    const primary = this.primary;
    for (const connection of [this.pending, ...this.retired]) {
      if (connection) this.shut(connection, 'client closed');
    }
    this.pending = undefined;
    this.retired.clear();
    if (primary) this.shut(primary, 'client closed');
    this.rejectWaiters(new WebPluginError('CONNECTION_LOST', 'the client was closed before a socket opened'));
  }

  private clearTimers(): void {
    for (const timer of [
      this.pingTimer,
      this.renewTimer,
      this.reconnectTimer,
      this.drainTimer,
      this.credentialsTimer,
    ]) {
      if (timer !== undefined) this.timers.clearTimeout(timer);
    }
    this.pingTimer =
      this.renewTimer =
      this.reconnectTimer =
      this.drainTimer =
      this.credentialsTimer =
        undefined;
  }

  private send(message: { action: string }): boolean {
    const ws = this.primary?.ws;
    if (!ws || ws.readyState !== OPEN) return false;
    ws.send(JSON.stringify(message));
    return true;
  }

  private shut(connection: Connection, reason: string): void {
    connection.retired = true;
    try {
      connection.ws.close(NORMAL_CLOSURE, reason);
    } catch (error) {
      this.logger.debug('close failed', { error });
    }
  }

  private async credentials(): Promise<ClientCredentials> {
    const cached = this.cached;
    const margin = this.settings.credentialsRefreshMarginMs;
    if (cached && (!cached.expiration || cached.expiration.getTime() - this.now() > margin)) return cached;
    let fresh: ClientCredentials | undefined;
    try {
      fresh = await this.provider();
    } catch (error) {
      throw new WebPluginError('MISSING_CREDENTIALS', 'the credentials provider failed', { cause: error });
    }
    if (!fresh?.accessKeyId || !fresh.secretAccessKey) {
      throw new WebPluginError(
        'MISSING_CREDENTIALS',
        'the credentials provider returned no accessKeyId/secretAccessKey',
      );
    }
    this.cached = fresh;
    this.scheduleCredentialsRefresh(fresh);
    return fresh;
  }

  /** Fetches credentials again shortly before they expire, so a reconnect never waits for them. */
  private scheduleCredentialsRefresh(credentials: ClientCredentials): void {
    if (this.credentialsTimer !== undefined) this.timers.clearTimeout(this.credentialsTimer);
    this.credentialsTimer = undefined;
    if (!credentials.expiration || this.stopped) return;
    const margin = this.settings.credentialsRefreshMarginMs;
    const delay = credentials.expiration.getTime() - margin - this.now();
    if (delay <= 0) return;
    this.credentialsTimer = this.timers.setTimeout(() => {
      this.credentialsTimer = undefined;
      this.cached = undefined;
      this.credentials().catch((error: unknown) => {
        this.logger.warn('credentials refresh failed; retried at the next connect', { error });
      });
    }, delay);
  }

  private async attempt(renewal: boolean): Promise<void> {
    if (this.stopped || this.attemptInFlight) return;
    this.attemptInFlight = true;
    let url: string;
    try {
      const credentials = await this.credentials();
      url = await presignWebSocketUrl({
        endpoint: this.endpoint,
        sessionId: this.sessionId,
        protocol: this.protocol,
        credentials,
        region: this.region,
        signingDate: new Date(this.now()),
      });
    } catch (error) {
      this.attemptInFlight = false;
      const failure =
        error instanceof WebPluginError
          ? error
          : new WebPluginError('MISSING_CREDENTIALS', 'could not sign the connection', { cause: error });
      if (failure.code === 'BAD_OPTION' || failure.code === 'BAD_ENDPOINT') {
        this.emit('error', failure);
        this.giveUp(failure);
        return;
      }
      this.failed(failure, renewal);
      return;
    }
    if (this.stopped) {
      this.attemptInFlight = false;
      return;
    }
    let ws: WebSocketLike;
    try {
      ws = new this.WebSocketImpl(url);
    } catch (error) {
      this.attemptInFlight = false;
      this.failed(
        new WebPluginError('CONNECTION_REFUSED', CONNECTION_REFUSED_MESSAGE, { cause: error }),
        renewal,
      );
      return;
    }
    this.connectionCount += 1;
    const connection: Connection = {
      ws,
      id: this.connectionCount,
      opened: false,
      retired: false,
      lastMessageAt: this.now(),
      retiredAt: 0,
      renewal,
    };
    this.pending = connection;
    let lastError: WebSocketEventLike | undefined;
    ws.addEventListener('open', () => this.onOpen(connection));
    ws.addEventListener('message', (event) => this.onMessage(connection, event.data));
    ws.addEventListener('error', (event) => {
      lastError = event;
    });
    ws.addEventListener('close', (event) => this.onClose(connection, event, lastError));
  }

  private onOpen(connection: Connection): void {
    this.attemptInFlight = false;
    if (this.pending === connection) this.pending = undefined;
    if (this.stopped || connection.retired) {
      this.shut(connection, 'client closed');
      return;
    }
    connection.opened = true;
    connection.lastMessageAt = this.now();
    this.failures = 0;
    const previous = this.primary;
    this.primary = connection;
    if (previous) this.retire(previous);
    this.schedulePing();
    if (this.renewTimer !== undefined) this.timers.clearTimeout(this.renewTimer);
    this.renewTimer = this.timers.setTimeout(() => {
      this.renewTimer = undefined;
      this.logger.info('renewing the connection before the 2-hour limit', { connection: connection.id });
      void this.attempt(true);
    }, this.settings.renewAfterMs);
    const reconnect = this.everOpened;
    this.everOpened = true;
    this.logger.info('connected', { connection: connection.id, reconnect });
    this.emit('open', { reconnect });
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  private onClose(
    connection: Connection,
    event: WebSocketEventLike,
    lastError: WebSocketEventLike | undefined,
  ): void {
    const code = event.code ?? 1006;
    const reason = event.reason ?? '';
    if (!connection.opened) {
      if (this.pending === connection) this.pending = undefined;
      this.attemptInFlight = false;
      if (this.stopped || connection.retired) return;
      const detail = lastError?.message ? ` (${lastError.message})` : '';
      this.failed(
        new WebPluginError('CONNECTION_REFUSED', `${CONNECTION_REFUSED_MESSAGE}${detail}`, {
          cause: { code, reason, error: lastError?.message },
        }),
        connection.renewal,
      );
      return;
    }
    if (this.retired.delete(connection)) return;
    if (this.primary !== connection) return;
    this.primary = undefined;
    if (this.pingTimer !== undefined) this.timers.clearTimeout(this.pingTimer);
    if (this.renewTimer !== undefined) this.timers.clearTimeout(this.renewTimer);
    this.pingTimer = this.renewTimer = undefined;
    const willReconnect = !this.stopped;
    this.logger.info('socket closed', { connection: connection.id, code, reason, willReconnect });
    this.emit('close', { code, reason, willReconnect });
    if (willReconnect) {
      // A renewal already under way becomes the reconnect.
      if (this.pending) this.pending.renewal = false;
      else this.scheduleReconnect();
    }
  }

  private failed(error: WebPluginError, renewal: boolean): void {
    if (this.stopped) return;
    this.failures += 1;
    this.logger.warn('connect failed', { error, failures: this.failures, renewal });
    this.emit('error', error);
    if (this.failures >= this.settings.maxConsecutiveFailures) {
      // A renewal that keeps failing still leaves the current socket in use until it drops.
      if (renewal && this.primary) return;
      this.giveUp(error);
      return;
    }
    this.scheduleReconnect(renewal && this.primary !== undefined);
  }

  private giveUp(cause: WebPluginError): void {
    const error = new WebPluginError(
      'GAVE_UP',
      `stopped connecting after ${this.failures} failed attempt(s): ${cause.message}`,
      { cause },
    );
    this.logger.error('giving up', { error });
    if (cause.code !== 'BAD_OPTION' && cause.code !== 'BAD_ENDPOINT') this.emit('error', error);
    this.stopped = true;
    this.clearTimers();
    this.rejectWaiters(cause.code === 'BAD_OPTION' || cause.code === 'BAD_ENDPOINT' ? cause : error);
  }

  private rejectWaiters(error: WebPluginError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  /** "Equal jitter": half of the exponential delay fixed, half random, so clients spread out. */
  private backoffDelay(failures: number): number {
    const exponential = Math.min(this.settings.maxBackoffMs, this.settings.initialBackoffMs * 2 ** failures);
    return Math.round(exponential / 2 + (this.random() * exponential) / 2);
  }

  private scheduleReconnect(renewal = false): void {
    if (this.stopped || this.reconnectTimer !== undefined) return;
    const delay = this.backoffDelay(this.failures);
    this.logger.debug('reconnecting later', { delay, renewal });
    this.reconnectTimer = this.timers.setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.attempt(renewal);
    }, delay);
  }

  private schedulePing(): void {
    if (this.pingTimer !== undefined) this.timers.clearTimeout(this.pingTimer);
    this.pingTimer = this.timers.setTimeout(() => {
      this.pingTimer = undefined;
      if (this.send({ action: 'ping' })) this.logger.debug('ping sent');
      if (this.primary) this.schedulePing();
    }, this.settings.pingIntervalMs);
  }

  /** The old socket of a renewal stays open while it may still carry a running answer. */
  private retire(connection: Connection): void {
    connection.retired = true;
    connection.retiredAt = this.now();
    this.retired.add(connection);
    this.scheduleDrainCheck();
  }

  private scheduleDrainCheck(): void {
    if (this.drainTimer !== undefined || this.retired.size === 0) return;
    this.drainTimer = this.timers.setTimeout(() => {
      this.drainTimer = undefined;
      const now = this.now();
      for (const connection of [...this.retired]) {
        const quiet = now - connection.lastMessageAt >= this.settings.drainQuietMs;
        const streaming = this.protocol === 'json' && this.turns.activeTurnId !== undefined;
        if ((quiet && !streaming) || now - connection.retiredAt >= this.settings.drainMaxMs) {
          this.retired.delete(connection);
          this.shut(connection, 'renewed');
        }
      }
      this.scheduleDrainCheck();
    }, this.settings.drainQuietMs);
  }

  private onMessage(connection: Connection, data: unknown): void {
    if (!connection.opened) return;
    connection.lastMessageAt = this.now();
    const text = messageText(data);
    if (text === undefined) {
      this.logger.warn('ignored a binary message', { connection: connection.id });
      return;
    }
    if (this.protocol === 'text') {
      const frame: DeltaFrame = { v: FRAME_VERSION, type: 'delta', turnId: '', seq: this.textSeq++, text };
      this.emit('delta', frame);
      return;
    }
    const parsed = parseJsonFrame(text);
    if (!parsed.ok) {
      this.emit(
        'error',
        new WebPluginError('BAD_FRAME', `ignored a message that is not a frame: ${parsed.reason}`),
      );
      return;
    }
    const frame = parsed.frame;
    const verdict = this.turns.accept(frame);
    if (verdict.kind !== 'deliver') {
      this.logger.debug(`dropped a ${verdict.kind} frame`, {
        turnId: frame.turnId,
        seq: frame.seq,
        type: frame.type,
      });
      return;
    }
    if (verdict.gap) this.emit('gap', { turnId: frame.turnId, ...verdict.gap });
    switch (frame.type) {
      case 'start':
        this.emit('start', frame);
        break;
      case 'delta':
        this.emit('delta', frame);
        break;
      case 'citation':
        this.emit('citation', frame);
        break;
      case 'end':
        this.emit('end', frame);
        break;
      case 'error':
        this.emit(
          'error',
          new WebPluginError('SERVER_ERROR', frame.message, {
            serverCode: frame.code,
            ...(frame.turnId ? { turnId: frame.turnId } : {}),
          }),
        );
        break;
    }
  }
}
