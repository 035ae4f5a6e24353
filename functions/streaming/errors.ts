/**
 * Errors of the streaming publisher. `code` is the AWS exception name (e.g. `ThrottlingException`,
 * `ModelStreamErrorException`) or one of ours, so an `error` frame and the logs name the real cause.
 */
import { QnaStreamingError } from '../protocol/errors';

export class StreamingError extends QnaStreamingError {
  readonly code: string;
  /** True when trying again later may succeed (throttling, a busy service). */
  readonly retryable: boolean;

  constructor(message: string, options: { code: string; retryable?: boolean; cause?: unknown }) {
    super(message, { cause: options.cause });
    this.name = 'StreamingError';
    this.code = options.code;
    this.retryable = options.retryable ?? false;
  }
}

const RETRYABLE_MODEL_ERRORS = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'ServiceUnavailableException',
  'ModelNotReadyException',
]);

function httpStatusOf(error: unknown): number | undefined {
  return (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
}

/** Translates whatever a model call or its stream threw into a StreamingError (keeping it as `cause`). */
export function toModelError(error: unknown): StreamingError {
  if (error instanceof StreamingError) return error;
  const name = error instanceof Error ? error.name : 'UnknownError';
  const message = error instanceof Error ? error.message : String(error);
  const retryable = RETRYABLE_MODEL_ERRORS.has(name) || httpStatusOf(error) === 429;
  return new StreamingError(`model call failed: ${message || name}`, { code: name, retryable, cause: error });
}

/**
 * Failures after which the same question may well succeed when asked again, though retrying the
 * call at once (withModelRetry) is not worth it: a dropped model stream, a timeout, a server fault.
 */
const ASK_AGAIN_ERRORS = new Set([
  'ModelStreamErrorException',
  'ModelTimeoutException',
  'InternalServerException',
  'BadGatewayException',
  'DependencyFailedException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/**
 * Whether the user asking the same question again can help (the `retryable` of an `error` frame):
 * throttling and a busy service (`retryable`), timeouts, a dropped model stream, a server fault.
 * Not for bad input, access denied, validation, a guardrail or a missing resource.
 */
export function askingAgainHelps(error: StreamingError): boolean {
  if (error.retryable || ASK_AGAIN_ERRORS.has(error.code)) return true;
  const status = httpStatusOf(error.cause);
  return status !== undefined && status >= 500;
}

export function isAbortError(error: unknown): boolean {
  const name = (error as { name?: string } | undefined)?.name;
  return name === 'AbortError' || name === 'RequestAbortedError';
}
