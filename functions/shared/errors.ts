/** Errors of the Lambdas' shared modules, subclasses of the add-on's one base error. */
import { QnaStreamingError } from '../protocol/errors';

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
