/**
 * The direct-ask Lambda (streaming template, `EnableDirectAsk=TRUE`): answers a question a browser
 * sent on its socket by streaming the model's answer to the socket's session.
 *
 * API Gateway invokes it asynchronously, so nobody reads its return value, and Lambda would run a
 * failed event again (the template sets retries to 0, and this handler never throws anyway: a
 * repeated event would stream the answer twice). Configuration is checked at cold start.
 */
import type { Context } from 'aws-lambda';
import { readDirectAskLimits } from '../shared/config';
import { coldStartMetric } from '../shared/metrics';
import { getPublisherRuntime } from '../streaming/runtime';
import { answerDirectAsk, assertDirectAskConfig, type DirectAskOutcome } from './answer-direct-ask';
import type { DirectAskEvent } from './ask-request';

const runtime = getPublisherRuntime('ask');
assertDirectAskConfig(runtime.config);
const limits = readDirectAskLimits();
const coldStart = coldStartMetric({ service: runtime.service });

/** The answer is stopped (and marked so) this long before the Lambda would time out. */
const TIMEOUT_MARGIN_MS = 3000;

export async function handler(
  event: DirectAskEvent,
  context?: Context,
): Promise<DirectAskOutcome | undefined> {
  coldStart();
  const remaining = context?.getRemainingTimeInMillis?.();
  const signal =
    remaining === undefined ? undefined : AbortSignal.timeout(Math.max(1000, remaining - TIMEOUT_MARGIN_MS));
  try {
    // The answer's lease lasts as long as this invocation can: a Lambda that dies frees the session
    // when it would have timed out.
    const leaseMs = remaining === undefined ? {} : { leaseMs: remaining };
    return await answerDirectAsk(event, runtime, { limits, ...leaseMs, ...(signal ? { signal } : {}) });
  } catch (error) {
    runtime.logger.error('direct ask failed; nothing more is streamed for this question', { error });
    return undefined;
  }
}
