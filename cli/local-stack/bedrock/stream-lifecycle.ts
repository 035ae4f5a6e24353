/**
 * The life of one event stream of the local Bedrock doubles, written once for ConverseStream and
 * RetrieveAndGenerateStream: open the response and count the stream, send the answer's deltas at
 * the behaviour's pace, then end one of three ways — the client left (stop, count it aborted), the
 * behaviour's `failAfterTokens` fired (send the in-stream exception, count it failed), or the
 * answer is complete (send the closing events, count it completed). `activeStreams` drops again
 * whichever way it ends. What differs per operation (event names, headers, closing events) is the
 * `EventStreamShape`.
 */
import type { StreamExceptionType } from './behaviour';
import { EVENT_STREAM_CONTENT_TYPE, encodeException } from './event-stream';
import { type AnswerPlan, emitAnswer } from './generation';
import type { OperationContext } from './operation-context';

export interface EventStreamShape {
  /** Operation name for the logs (`ConverseStream`, …). */
  readonly operation: string;
  /** Response headers besides the event-stream content type. */
  readonly headers?: Record<string, string>;
  /** Events sent before the first delta. */
  readonly opening?: readonly Uint8Array[];
  /** The event carrying one delta of generated text. */
  delta(text: string): Uint8Array;
  /** The operation's exception member for the behaviour's `failWith`, and fields its SDK error carries. */
  exception(failWith: StreamExceptionType): { type: string; fields?: Record<string, unknown> };
  /** Events after the last delta of a complete answer (`tokensSent` output tokens). */
  closing(tokensSent: number): readonly Uint8Array[];
  /** Fields the "stream completed" log line adds. */
  completed(tokensSent: number): Record<string, unknown>;
}

/** Streams `plan` as the operation's events on `context.response`. */
export async function runEventStream(
  context: OperationContext,
  plan: AnswerPlan,
  shape: EventStreamShape,
): Promise<void> {
  const { response, stats, behaviour } = context;
  const log = context.logger.child({ requestId: context.requestId, operation: shape.operation });
  response.open({ 'content-type': EVENT_STREAM_CONTENT_TYPE, ...shape.headers });
  stats.streamsStarted += 1;
  stats.activeStreams += 1;
  try {
    for (const event of shape.opening ?? []) await response.send(event);
    const outcome = await emitAnswer({
      plan,
      behaviour,
      signal: response.signal,
      startedAt: context.startedAt,
      emit: (text, tokens) => {
        stats.tokensSent += tokens;
        return response.send(shape.delta(text));
      },
    });
    const { tokensSent } = outcome;
    if (outcome.kind === 'aborted' || response.signal.aborted) {
      stats.streamsAborted += 1;
      log.info('client cancelled the stream; generation stopped', { tokensSent });
      return;
    }
    if (outcome.kind === 'failed') {
      stats.streamsFailed += 1;
      const { type, fields } = shape.exception(behaviour.failWith);
      log.info('stream ended with an in-stream exception', { exceptionType: type, tokensSent });
      await response.send(
        encodeException(type, `The local model failed after ${tokensSent} tokens (failAfterTokens).`, fields),
      );
      response.end();
      return;
    }
    for (const event of shape.closing(tokensSent)) await response.send(event);
    response.end();
    stats.streamsCompleted += 1;
    log.debug('stream completed', { tokensSent, ...shape.completed(tokensSent) });
  } finally {
    stats.activeStreams -= 1;
  }
}
