/**
 * The browser plugin's one error class. `code` says what went wrong in a way a page can branch
 * on; `cause` keeps the underlying failure (a WebSocket event, a credentials error, …).
 */
import { QnaStreamingError } from '../functions/protocol/errors';

export type WebPluginErrorCode =
  /** The endpoint is not a `wss://…/<stage>` (or local `ws://…/<stage>`) URL. */
  | 'BAD_ENDPOINT'
  /** A required option (session id, region, …) is missing or malformed. */
  | 'BAD_OPTION'
  /** The credentials provider failed or returned no keys. */
  | 'MISSING_CREDENTIALS'
  /** The socket closed before it opened (API Gateway answered 401/403, or the host is unreachable). */
  | 'CONNECTION_REFUSED'
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

  constructor(
    code: WebPluginErrorCode,
    message: string,
    options?: { cause?: unknown; serverCode?: string; turnId?: string },
  ) {
    super(message, options);
    this.name = 'WebPluginError';
    this.code = code;
    if (options?.serverCode !== undefined) this.serverCode = options.serverCode;
    if (options?.turnId !== undefined) this.turnId = options.turnId;
  }
}
