/** Errors of the benchmark: a run that could not be measured (not a target that was missed). */
import { QnaStreamingError } from '../../functions/protocol/errors';

export class BenchError extends QnaStreamingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BenchError';
  }
}
