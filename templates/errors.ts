import { QnaStreamingError } from '../functions/protocol/errors';

/** A template could not be built: a bad construct prop, a logical id clash, or cdk-nag findings. */
export class StreamingTemplateError extends QnaStreamingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'StreamingTemplateError';
  }
}
