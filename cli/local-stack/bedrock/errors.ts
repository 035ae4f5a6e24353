/**
 * Errors of the local Bedrock doubles. Errors answered on the wire (pre-stream HTTP errors) are
 * `LocalAwsError`s (cli/local-stack/http.ts), shared with the other local doubles; this class is
 * for misuse of the doubles themselves, e.g. a behaviour value out of range.
 */
import { QnaStreamingError } from '../../../functions/protocol/errors';

export class LocalBedrockError extends QnaStreamingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalBedrockError';
  }
}
