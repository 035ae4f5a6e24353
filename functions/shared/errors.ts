/**
 * One base error for the whole add-on; each area has its own subclass that keeps the original
 * failure as `cause`, so a log line shows both what we were doing and what went wrong underneath.
 */
export class QnaStreamingError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'QnaStreamingError';
  }
}

/** A required setting is missing or malformed. Raised at cold start, never deep in a request. */
export class ConfigurationError extends QnaStreamingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ConfigurationError';
  }
}

/** Reading or writing the session table failed. */
export class SessionTableError extends QnaStreamingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SessionTableError';
  }
}
