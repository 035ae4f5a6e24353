/**
 * The socket lifecycle of a StreamingClient: one logical connection that stays up.
 *
 * - connect: every attempt is freshly presigned (the URL lives 60 s) with credentials from the
 *   CredentialsCache. A socket that never opened is reported by what is known of it (errors.ts
 *   `connectError`): Node's `ws` shows the network error or the HTTP status; a browser shows only a
 *   close, so the host is asked once over plain HTTP (`fetch`, no-cors): no answer at all means
 *   unreachable, an answer means the gateway refused.
 * - reconnect: a dropped socket comes back after a jittered exponential backoff; after
 *   `maxConsecutiveFailures` failed connects in a row the client gives up (`GAVE_UP`).
 * - ping: `{"action":"ping"}` every 9 minutes keeps API Gateway's 10-minute idle timeout away.
 * - renewal: before API Gateway's 2-hour limit a new socket is opened; the old one is retired and
 *   closed once it is quiet and no answer streams (or after `drainMaxMs`), so no chunk is lost.
 *
 * Messages of open sockets go to `onText`; `open`, `close` and connection `error`s are emitted here.
 */
import type { Protocol } from '../functions/protocol/websocket';
import type {
  ClientLogger,
  ClientSettings,
  ClientState,
  ClientTimers,
  CredentialsProvider,
  EmitClientEvent,
  StreamingClientOptions,
  WebSocketConstructor,
  WebSocketEventLike,
  WebSocketLike,
} from './client-types';
import { CredentialsCache } from './credentials-cache';
import { connectError, type HandshakeFailure, handshakeFailure, WebPluginError } from './errors';
import { presignWebSocketUrl } from './signer';

const OPEN = 1;
const NORMAL_CLOSURE = 1000;
/** Longest wait for the host's answer to the probe after a socket that never opened. */
const PROBE_TIMEOUT_MS = 5000;

/** The part of `fetch` the probe uses. */
export type ProbeFetch = NonNullable<StreamingClientOptions['fetch']>;

export interface SocketLifecycleOptions {
  readonly endpoint: string;
  readonly sessionId: string;
  readonly protocol: Protocol;
  readonly region: string;
  readonly credentials: CredentialsProvider;
  readonly WebSocket: WebSocketConstructor;
  /** Asks the host over HTTP after a socket that never opened; without it the cause stays open. */
  readonly fetch: ProbeFetch | undefined;
  readonly now: () => number;
  readonly timers: ClientTimers;
  readonly random: () => number;
  readonly logger: ClientLogger;
  readonly settings: ClientSettings;
  readonly emit: EmitClientEvent;
  /** Each message of an open socket, as text. */
  readonly onText: (text: string) => void;
  /** True while an answer streams: a retired socket is not closed before it ends. */
  readonly answerInProgress: () => boolean;
}

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

/** True for errors a retry cannot fix (a wrong option or endpoint): the client gives up at once. */
function isPermanent(error: WebPluginError): boolean {
  return error.code === 'BAD_OPTION' || error.code === 'BAD_ENDPOINT';
}

export class SocketLifecycle {
  private readonly now: () => number;
  private readonly timers: ClientTimers;
  private readonly logger: ClientLogger;
  private readonly settings: ClientSettings;
  private readonly emit: EmitClientEvent;
  private readonly credentials: CredentialsCache;

  /** The socket in use; `pending` is one being opened, `retired` are old ones draining. */
  private primary: Connection | undefined;
  private pending: Connection | undefined;
  private readonly retired = new Set<Connection>();
  private connectionCount = 0;
  private everOpened = false;
  private stopped = true;
  private attemptInFlight = false;
  private failures = 0;
  private waiters: Waiter[] = [];
  private pingTimer: unknown;
  private renewTimer: unknown;
  private reconnectTimer: unknown;
  private drainTimer: unknown;

  constructor(private readonly options: SocketLifecycleOptions) {
    this.now = options.now;
    this.timers = options.timers;
    this.logger = options.logger;
    this.settings = options.settings;
    this.emit = options.emit;
    this.credentials = new CredentialsCache({
      provider: options.credentials,
      now: options.now,
      timers: options.timers,
      logger: options.logger,
      refreshMarginMs: options.settings.credentialsRefreshMarginMs,
      stopped: () => this.stopped,
    });
  }

  get state(): ClientState {
    if (this.primary) return 'open';
    if (this.stopped) return this.everOpened || this.connectionCount > 0 ? 'closed' : 'idle';
    return 'connecting';
  }

  /** Resolves when a socket is open; starts connecting unless the client already is. */
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

  /** Sends on the socket in use; false when none is open. */
  send(message: { action: string }): boolean {
    const ws = this.primary?.ws;
    if (!ws || ws.readyState !== OPEN) return false;
    ws.send(JSON.stringify(message));
    return true;
  }

  private clearTimers(): void {
    for (const timer of [this.pingTimer, this.renewTimer, this.reconnectTimer, this.drainTimer]) {
      if (timer !== undefined) this.timers.clearTimeout(timer);
    }
    this.credentials.cancelRefresh();
    this.pingTimer = this.renewTimer = this.reconnectTimer = this.drainTimer = undefined;
  }

  private shut(connection: Connection, reason: string): void {
    connection.retired = true;
    try {
      connection.ws.close(NORMAL_CLOSURE, reason);
    } catch (error) {
      this.logger.debug('close failed', { error });
    }
  }

  // --- Connecting ----------------------------------------------------------------------------

  /** Signs a URL (valid for 60 s) and opens a socket on it; its events drive the rest. */
  private async attempt(renewal: boolean): Promise<void> {
    if (this.stopped || this.attemptInFlight) return;
    this.attemptInFlight = true;
    let url: string;
    try {
      const credentials = await this.credentials.get();
      url = await presignWebSocketUrl({
        endpoint: this.options.endpoint,
        sessionId: this.options.sessionId,
        protocol: this.options.protocol,
        credentials,
        region: this.options.region,
        signingDate: new Date(this.now()),
      });
    } catch (error) {
      this.attemptInFlight = false;
      const failure =
        error instanceof WebPluginError
          ? error
          : new WebPluginError('MISSING_CREDENTIALS', 'could not sign the connection', { cause: error });
      if (isPermanent(failure)) {
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
      ws = new this.options.WebSocket(url);
    } catch (error) {
      // The browser refused to open it (a blocked scheme or port, a Content-Security-Policy).
      this.attemptInFlight = false;
      this.failed(connectError(this.host, { network: (error as Error).name }, error), renewal);
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
    // The first error says why (a later one may only report that the socket was torn down).
    let firstError: WebSocketEventLike | undefined;
    ws.addEventListener('open', () => this.onOpen(connection));
    ws.addEventListener('message', (event) => this.onMessage(connection, event.data));
    ws.addEventListener('error', (event) => {
      firstError ??= event;
    });
    ws.addEventListener('close', (event) => this.onClose(connection, event, firstError));
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
    this.scheduleRenewal(connection);
    const reconnect = this.everOpened;
    this.everOpened = true;
    this.logger.info('connected', { connection: connection.id, reconnect });
    this.emit('open', { reconnect });
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.resolve();
  }

  private onMessage(connection: Connection, data: unknown): void {
    if (!connection.opened) return;
    connection.lastMessageAt = this.now();
    const text = messageText(data);
    if (text === undefined) {
      this.logger.warn('ignored a binary message', { connection: connection.id });
      return;
    }
    this.options.onText(text);
  }

  private onClose(
    connection: Connection,
    event: WebSocketEventLike,
    firstError: WebSocketEventLike | undefined,
  ): void {
    const code = event.code ?? 1006;
    const reason = event.reason ?? '';
    if (!connection.opened) {
      if (this.pending === connection) this.pending = undefined;
      if (this.stopped || connection.retired) {
        this.attemptInFlight = false;
        return;
      }
      void this.neverOpened(connection, {
        code,
        reason,
        error: firstError?.message,
        failure: handshakeFailure(firstError),
      });
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

  // --- Failures, backoff, giving up ----------------------------------------------------------

  private get host(): string {
    return new URL(this.options.endpoint).host;
  }

  /** Reports a socket that never opened; the next attempt waits until the cause is known. */
  private async neverOpened(
    connection: Connection,
    cause: { code: number; reason: string; error: string | undefined; failure: HandshakeFailure },
  ): Promise<void> {
    const { failure } = cause;
    const { fetch } = this.options;
    if (failure.status === undefined && !failure.network && fetch)
      failure.reachable = await this.probe(fetch);
    this.attemptInFlight = false;
    this.failed(connectError(this.host, failure, cause), connection.renewal);
  }

  /**
   * Asks the endpoint's host for `/` over http(s), no-cors: any answer (even an opaque one) means
   * the host is there and refused the socket; a failed fetch, or none within PROBE_TIMEOUT_MS,
   * means it could not be reached.
   */
  private async probe(fetch: ProbeFetch): Promise<boolean> {
    let timer: unknown;
    try {
      return await Promise.race([
        Promise.resolve()
          .then(() =>
            fetch(`${this.options.endpoint.startsWith('wss') ? 'https' : 'http'}://${this.host}/`, {
              mode: 'no-cors',
              cache: 'no-store',
            }),
          )
          .then(
            () => true,
            () => false,
          ),
        new Promise<boolean>((resolve) => {
          timer = this.timers.setTimeout(() => resolve(false), PROBE_TIMEOUT_MS);
        }),
      ]);
    } finally {
      this.timers.clearTimeout(timer);
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
    if (!isPermanent(cause)) this.emit('error', error);
    this.stopped = true;
    this.clearTimers();
    this.rejectWaiters(isPermanent(cause) ? cause : error);
  }

  private rejectWaiters(error: WebPluginError): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const waiter of waiters) waiter.reject(error);
  }

  /** "Equal jitter": half of the exponential delay fixed, half random, so clients spread out. */
  private backoffDelay(failures: number): number {
    const exponential = Math.min(this.settings.maxBackoffMs, this.settings.initialBackoffMs * 2 ** failures);
    return Math.round(exponential / 2 + (this.options.random() * exponential) / 2);
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

  // --- Keep-alive and renewal ----------------------------------------------------------------

  private schedulePing(): void {
    if (this.pingTimer !== undefined) this.timers.clearTimeout(this.pingTimer);
    this.pingTimer = this.timers.setTimeout(() => {
      this.pingTimer = undefined;
      if (this.send({ action: 'ping' })) this.logger.debug('ping sent');
      if (this.primary) this.schedulePing();
    }, this.settings.pingIntervalMs);
  }

  /** Opens the next socket before API Gateway's 2-hour limit closes this one. */
  private scheduleRenewal(connection: Connection): void {
    if (this.renewTimer !== undefined) this.timers.clearTimeout(this.renewTimer);
    this.renewTimer = this.timers.setTimeout(() => {
      this.renewTimer = undefined;
      this.logger.info('renewing the connection before the 2-hour limit', { connection: connection.id });
      void this.attempt(true);
    }, this.settings.renewAfterMs);
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
        const streaming = this.options.answerInProgress();
        if ((quiet && !streaming) || now - connection.retiredAt >= this.settings.drainMaxMs) {
          this.retired.delete(connection);
          this.shut(connection, 'renewed');
        }
      }
      this.scheduleDrainCheck();
    }, this.settings.drainQuietMs);
  }
}
