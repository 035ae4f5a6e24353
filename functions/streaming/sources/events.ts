/**
 * The one normalized event shape every model source is turned into, so the publisher does not
 * care whether text comes from ConverseStream, RetrieveAndGenerateStream or any async iterable.
 * A failure inside a stream is thrown (as a StreamingError), never yielded.
 */
import type { Citation, StatusPhase, Usage } from '../../protocol/frames';

export type StreamEvent =
  | { type: 'text'; text: string }
  | { type: 'citations'; citations: Citation[] }
  /** Why the model stopped (`end_turn`, `max_tokens`, `guardrail_intervened`, …). */
  | { type: 'stop'; stopReason: string }
  | { type: 'metadata'; usage?: Usage; latencyMs?: number }
  /** A guardrail looked at the answer; `INTERVENED` means it changed or blocked it. */
  | { type: 'guardrail'; action: string }
  /**
   * What the source is doing while it has no text (json tabs get a `status` frame). `message`
   * defaults to STATUS_MESSAGES[phase]; `retryInMs` is the wait before a `retrying` call.
   */
  | { type: 'status'; phase: StatusPhase; message?: string; retryInMs?: number };

/**
 * Starts producing events. The publisher passes a signal that is aborted on cancel; a source that
 * calls a model should hand it to the SDK (`send(command, { abortSignal })`) so the HTTP stream closes.
 */
export type StreamSource = (signal: AbortSignal) => AsyncIterable<StreamEvent>;
