import { QnaStreamingError } from '../../../functions/protocol/errors';

/** The local execute-api was configured wrongly (bad template, missing Lambda) or failed to start. */
export class ExecuteApiError extends QnaStreamingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ExecuteApiError';
  }
}
