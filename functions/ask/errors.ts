/** Errors of the direct-ask Lambda: an event that did not come through the `ask` route's template. */
import { QnaStreamingError } from '../protocol/errors';

export class DirectAskError extends QnaStreamingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DirectAskError';
  }
}
