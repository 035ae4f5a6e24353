/**
 * Retrying a model call. A model that is throttled before it produced anything is called again after
 * a jittered, exponentially growing, bounded delay; once an event has been passed on, a failure is
 * final (retrying would repeat text the user already saw). Before each wait it yields a `retrying`
 * status with the wait; a status does not count as passed on, nor does one the wrapped source
 * yields (e.g. `retrieving`), since neither shows text. Every call takes the publisher's
 * AbortSignal, so a cancel closes the HTTP stream instead of paying for tokens nobody reads.
 */
import type { Logger } from '../../shared/logger';
import { isAbortError, toModelError } from '../errors';
import { type BackoffOptions, backoffDelay, sleep } from '../pipeline/backoff';
import type { StreamEvent, StreamSource } from './events';

export interface ModelRetryOptions extends BackoffOptions {
  /** Calls in total, the first included. @default 4 */
  maxAttempts?: number;
  logger?: Logger;
}

/**
 * Wraps a source so retryable failures (throttling) before its first event are retried.
 * `open` is called once per attempt with the caller's signal.
 */
export function withModelRetry(open: StreamSource, options: ModelRetryOptions = {}): StreamSource {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  return async function* retried(signal: AbortSignal): AsyncGenerator<StreamEvent> {
    for (let attempt = 0; ; attempt++) {
      let forwarded = false;
      try {
        for await (const event of open(signal)) {
          if (event.type !== 'status') forwarded = true;
          yield event;
        }
        return;
      } catch (error) {
        if (signal.aborted || isAbortError(error)) throw error;
        const modelError = toModelError(error);
        if (forwarded || !modelError.retryable || attempt + 1 >= maxAttempts) throw modelError;
        const delayMs = backoffDelay(attempt, { baseDelayMs: 200, maxDelayMs: 3000, ...options });
        options.logger?.warn('model throttled before the first token; retrying', {
          code: modelError.code,
          attempt: attempt + 1,
          delayMs,
        });
        yield { type: 'status', phase: 'retrying', retryInMs: delayMs };
        await sleep(delayMs, signal);
        if (signal.aborted) throw modelError;
      }
    }
  };
}
