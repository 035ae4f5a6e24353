import { QnaStreamingError } from '../../functions/protocol/errors';

/** A load run could not be carried out (the stack refused sockets, an answer never ended, …). */
export class LoadError extends QnaStreamingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LoadError';
  }
}
