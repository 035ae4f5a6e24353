/** The demo page's one error class: a call to a local AWS double (Cognito, Lex) that failed. */
import { QnaStreamingError } from '../../functions/protocol/errors';

export class DemoError extends QnaStreamingError {
  /** HTTP status of the failed call, when there was a response. */
  readonly status?: number;
  /** AWS error name (`__type` or `x-amzn-errortype`), when the service sent one. */
  readonly awsCode?: string;

  constructor(message: string, options?: { cause?: unknown; status?: number; awsCode?: string }) {
    super(message, options);
    this.name = 'DemoError';
    if (options?.status !== undefined) this.status = options.status;
    if (options?.awsCode !== undefined) this.awsCode = options.awsCode;
  }
}
