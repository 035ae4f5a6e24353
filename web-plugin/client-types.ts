/**
 * The StreamingClient's options, its events and the platform pieces it runs on (types only), shared
 * by client.ts, socket-lifecycle.ts, credentials-cache.ts and turn-frames.ts. client.ts re-exports
 * the public ones.
 */
import type {
  CitationFrame,
  DeltaFrame,
  EndFrame,
  StartFrame,
  StatusFrame,
} from '../functions/protocol/frames';
import type { Protocol } from '../functions/protocol/websocket';
import type { WebPluginError } from './errors';
import type { SigningCredentials } from './signer';

/** Credentials the client signs with, as the credentials cache keeps them. */
export interface ClientCredentials extends SigningCredentials {
  /** When the credentials stop working; they are fetched again a few minutes before. */
  expiration?: Date;
}
/**
 * What a CredentialsProvider returns: `expiration` is a `Date` (AWS SDK v3), or a number since
 * the epoch, in seconds as Cognito's JSON `Expiration` carries it or in milliseconds as
 * `Date.now()` counts; a number below EPOCH_SECONDS_LIMIT is read as seconds.
 */
export interface ProviderCredentials extends SigningCredentials {
  expiration?: Date | number;
}
export type CredentialsProvider = () => Promise<ProviderCredentials>;

/** The part of a WebSocket event the client reads (DOM and `ws` events both fit). */
export interface WebSocketEventLike {
  type?: string;
  data?: unknown;
  code?: number;
  reason?: string;
  message?: string;
  /** The error under an `error` event in Node's `ws` (its `code`: ENOTFOUND, ECONNREFUSED, …). */
  error?: unknown;
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
  /**
   * Asks the endpoint's host over http(s) (no-cors) after a socket that never opened, to tell an
   * unreachable host from a refusal where the platform hides why (browsers). @default globalThis.fetch
   */
  fetch?: (url: string, init: { mode: 'no-cors'; cache: 'no-store' }) => Promise<unknown>;
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

/** The timing options with their defaults filled in (client.ts). */
export type ClientSettings = Required<
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
  /** What the answer is doing while no text arrives (json protocol only; frames.ts). */
  status: StatusFrame;
  delta: DeltaFrame;
  citation: CitationFrame;
  end: EndFrame;
  error: WebPluginError;
  close: CloseEvent;
  gap: GapEvent;
}

/** Emits one of the client's events to its listeners (the parts of the client share it). */
export type EmitClientEvent = <K extends keyof StreamingClientEvents>(
  event: K,
  payload: StreamingClientEvents[K],
) => void;

export type ClientState = 'idle' | 'connecting' | 'open' | 'closed';
