/**
 * The browser plugin's one error class. `code` says what went wrong in a way a page can branch
 * on; `cause` keeps the underlying failure (a WebSocket event, a credentials error, …).
 *
 * A socket that closed before it opened is one of three codes, decided by `connectError` from what
 * the platform shows: `ENDPOINT_UNREACHABLE` (nothing answered), `SIGNATURE_REJECTED` (the gateway
 * named a signature problem) or `CONNECTION_REFUSED` (the gateway answered and said no). Node's `ws`
 * shows the HTTP status (and, with a reader of the answer such as `qna-streaming ask`'s, the
 * gateway's reason); a browser shows none of it, so the client asks the host once more over plain
 * HTTP to tell the first from the other two.
 */
import { QnaStreamingError } from '../functions/protocol/errors';

export type WebPluginErrorCode =
  /** The endpoint is not a `wss://…/<stage>` (or local `ws://…/<stage>`) URL. */
  | 'BAD_ENDPOINT'
  /** A required option (session id, region, …) is missing or malformed. */
  | 'BAD_OPTION'
  /** The credentials provider failed or returned no keys. */
  | 'MISSING_CREDENTIALS'
  /**
   * The socket closed before it opened and the gateway answered: it refused the session id (the
   * identity binding, a cap) or, where the platform cannot tell (browsers), maybe the signature.
   * `httpStatus` is set when the platform shows the status.
   */
  | 'CONNECTION_REFUSED'
  /** The socket closed before it opened and the host never answered (DNS, nothing listening, TLS, network). */
  | 'ENDPOINT_UNREACHABLE'
  /**
   * The gateway refused the connection's signature (region, clock, expired URL or credentials,
   * unknown key). Only where the gateway's answer is visible (Node); browsers get CONNECTION_REFUSED.
   */
  | 'SIGNATURE_REJECTED'
  /** An open socket dropped; the client reconnects. */
  | 'CONNECTION_LOST'
  /** Too many failed connects in a row; the client stopped retrying. */
  | 'GAVE_UP'
  /** The server sent an `error` frame (its `code` is in `serverCode`). */
  | 'SERVER_ERROR'
  /** A message that is not a valid frame of the json protocol. */
  | 'BAD_FRAME';

export class WebPluginError extends QnaStreamingError {
  readonly code: WebPluginErrorCode;
  /** `code` of the server's error frame, for `SERVER_ERROR`. */
  readonly serverCode?: string;
  /** Turn the error belongs to, when it came from a turn's error frame. */
  readonly turnId?: string;
  /** HTTP status the gateway refused the handshake with, when the platform shows it. */
  readonly httpStatus?: number;
  /**
   * Whether asking the same question again can help: for `SERVER_ERROR`, the error frame's
   * `retryable` (false when an older server left it out); false for every other code.
   */
  readonly retryable: boolean;

  constructor(
    code: WebPluginErrorCode,
    message: string,
    options?: {
      cause?: unknown;
      serverCode?: string;
      turnId?: string;
      httpStatus?: number | undefined;
      retryable?: boolean;
    },
  ) {
    super(message, options);
    this.name = 'WebPluginError';
    this.code = code;
    this.retryable = options?.retryable ?? false;
    if (options?.serverCode !== undefined) this.serverCode = options.serverCode;
    if (options?.turnId !== undefined) this.turnId = options.turnId;
    if (options?.httpStatus !== undefined) this.httpStatus = options.httpStatus;
  }
}

/**
 * What the gateway may have refused when nothing more is known (a browser, or a bare 403): a
 * signature problem and a session id the binding refuses look alike from outside.
 */
export const CONNECTION_REFUSED_MESSAGE =
  'connection refused by the gateway: check the signature (region, clock, expired credentials) and ' +
  'the session id (your Cognito identity id, not in use by another identity)';

/** What a platform showed of a socket that closed before it opened. */
export interface HandshakeFailure {
  /** HTTP status of the gateway's answer to the upgrade (Node's `ws` shows it, browsers do not). */
  status?: number;
  /** The gateway's reason (its error type and message), when the answer was read. */
  reason?: string;
  /** Network error code: ENOTFOUND, ECONNREFUSED, ETIMEDOUT, a TLS code, … */
  network?: string;
  /** Whether the host answered a plain HTTP request (the browser's probe); unset when not asked. */
  reachable?: boolean;
}

/**
 * What the client reads of the error event before the close: `ws` says `Unexpected server
 * response: 403`, and its `error` carries Node's network `code`; a socket that read the gateway's
 * answer (`qna-streaming ask`) adds `statusCode` and `reason` to that error.
 */
export function handshakeFailure(event: { message?: string; error?: unknown } | undefined): HandshakeFailure {
  const error = (event?.error ?? {}) as { code?: unknown; statusCode?: unknown; reason?: unknown };
  const status = Number(error.statusCode ?? /response: (\d+)/.exec(event?.message ?? '')?.[1]);
  if (status > 0) return { status, ...(typeof error.reason === 'string' ? { reason: error.reason } : {}) };
  return typeof error.code === 'string' ? { network: error.code } : {};
}

/** A reason that names a signature problem (API Gateway's and the local gateway's words). */
const SIGNATURE_PROBLEM = /signature|security token|credential should be scoped/i;
/** A reason that says nothing more than the status. */
const GENERIC_REASON = /^(forbidden)?$/i;

/** The error for a socket to `host` that closed before it opened. */
export function connectError(host: string, failure: HandshakeFailure, cause: unknown): WebPluginError {
  const { status, network } = failure;
  if (network || failure.reachable === false) {
    return new WebPluginError(
      'ENDPOINT_UNREACHABLE',
      `cannot reach ${host} (${network ?? 'no answer, or the page’s Content-Security-Policy blocks it'}): check the endpoint URL, its region and the network`,
      { cause },
    );
  }
  const reason = failure.reason?.trim() ?? '';
  const generic = GENERIC_REASON.test(reason);
  const answer = [status ? `HTTP ${status}` : '', generic ? '' : reason].filter(Boolean).join(': ');
  const said = answer ? ` (${answer})` : '';
  const options = { cause, httpStatus: status };
  return status === 401 || SIGNATURE_PROBLEM.test(reason)
    ? new WebPluginError(
        'SIGNATURE_REJECTED',
        `the gateway refused the signature${said}: check the region, the clock and the credentials`,
        options,
      )
    : new WebPluginError(
        'CONNECTION_REFUSED',
        generic ? `${CONNECTION_REFUSED_MESSAGE}${said}` : `connection refused by the gateway${said}`,
        options,
      );
}
