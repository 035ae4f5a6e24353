/**
 * The orchestrator: streams one answer to every live connection of a Lex session and returns the
 * final answer for Lex.
 *
 * - The connection lookup and the model call start together; text that arrives before the lookup
 *   finishes (or before a tab connects mid-answer) is caught up on that connection.
 * - Text goes through the coalescer, then to one pipelined ConnectionPoster per connection; json
 *   tabs also get `status` frames: `thinking` after `start`, the source's own (`retrieving`,
 *   `retrying`), and `working` after a silence (answer-collector.ts).
 * - A model error mid-answer sends an `error` frame and returns the partial text plus a note; a
 *   cancel (seen by the session watcher, or the caller's `signal`) aborts the model call within one
 *   poll interval and returns the partial text marked as stopped.
 * - It never throws because of the model or the sockets: the result always holds a usable answer.
 */
import { randomUUID } from 'node:crypto';
import type { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import type { Citation, Usage } from '../../protocol/frames';
import { PUBLISHER_DEFAULTS } from '../../shared/config';
import { logRef } from '../../shared/log-safe';
import { createLogger, type Logger } from '../../shared/logger';
import type { SessionTable } from '../../shared/session-table';
import { askingAgainHelps, type StreamingError, toModelError } from '../errors';
import type { StreamEvent, StreamSource } from '../sources/events';
import { AnswerCollector, safely } from './answer-collector';
import { errorNote, STOPPED_NOTE, withNote } from './answer-notes';
import {
  type AnswerStats,
  answerFinishedLogContext,
  answerMetrics,
  failedBeforeStreaming,
} from './answer-stats';
import { sleep } from './backoff';
import type { PosterRetryOptions } from './connection-poster';
import type { OutboundItem } from './frame-encoder';
import { emitMetrics, type MetricsOptions } from './metrics';
import { SessionTabs } from './session-tabs';
import { SessionWatcher } from './session-watcher';

/** The answer and what it took (AnswerStats: the same figures the log line and the metrics carry). */
export interface StreamResult extends AnswerStats {
  turnId: string;
  /** The answer for Lex: the full text, or the partial text plus a note after a cancel or an error. */
  text: string;
  citations: Citation[];
  usage?: Usage;
}

export interface StreamCallbacks {
  /** Each piece of text as the model produces it (before coalescing). */
  onContent?: (text: string) => void;
  /** The final result, when the answer finished or was cancelled. */
  onComplete?: (result: StreamResult) => void;
  /** A model failure; `result` holds what was generated plus a note. */
  onError?: (error: StreamingError, result: StreamResult) => void;
}

export interface PublishAnswerOptions extends StreamCallbacks {
  /** Lex session id; the browser registered its sockets under it. */
  sessionId: string;
  /** A source (called with the cancel signal) or any async iterable of events or plain strings. */
  source: StreamSource | AsyncIterable<StreamEvent | string>;
  table: Pick<SessionTable, 'listConnections' | 'deleteConnection'>;
  /** Client whose endpoint is the `@connections` URL from the Lambda's configuration. */
  managementApi: ApiGatewayManagementApiClient;
  /** @default a random UUID */
  turnId?: string;
  /** @default PUBLISHER_DEFAULTS.coalesceWindowMs */
  coalesceWindowMs?: number;
  /** @default PUBLISHER_DEFAULTS.coalesceMaxBytes */
  coalesceMaxBytes?: number;
  /**
   * Silence (no text, no status) after which json tabs get a `working` status, at most
   * MAX_WORKING_STATUSES per turn. @default STILL_WORKING_AFTER_MS (frames.ts)
   */
  stillWorkingAfterMs?: number;
  /** @default PUBLISHER_DEFAULTS.sessionPollMs */
  sessionPollMs?: number;
  /** Wait before returning when a text-protocol tab got text (text-protocol.ts). @default PUBLISHER_DEFAULTS.textHoldMs */
  textHoldMs?: number;
  /** Longest wait for the first lookup and for queued posts once the model is done. @default 3000 */
  drainTimeoutMs?: number;
  /** Aborting it stops the answer like a cancel (e.g. when the Lambda is about to time out). */
  signal?: AbortSignal;
  logger?: Logger;
  /** EMF metrics options, or false for none. @default {} */
  metrics?: MetricsOptions | false;
  posterRetry?: PosterRetryOptions;
}

const DEFAULT_DRAIN_TIMEOUT_MS = 3000;

/** One answer's identity and its stop switch (a cancel, or the caller's signal). */
interface Turn {
  turnId: string;
  startedAt: number;
  logger: Logger;
  /** Aborted by a cancel or the caller's signal; the source gets its signal. */
  controller: AbortController;
  /** Stops listening to the caller's signal. */
  release(): void;
}

/** How reading the model ended. */
interface ModelOutcome {
  cancelled: boolean;
  modelError?: StreamingError;
  /** Milliseconds from the start until the model was done. */
  totalMs: number;
}

/**
 * Iterator style: streams the answer and resolves with the final result. The steps, in order:
 * 1. the tabs (SessionTabs) and the session watcher start, and the model is read (readModel) at the
 *    same time: the lookup does not wait for the model, nor the model for the lookup;
 * 2. once the model is done: the first lookup is awaited, the last text flushed, an `error` frame
 *    (after a model failure) and the `end` frame sent, the posts drained (endOnTabs);
 * 3. the statistics are counted once (AnswerStats), and the result, the "answer finished" log line,
 *    the metrics and the callbacks are derived from them (report).
 */
export async function publishAnswer(options: PublishAnswerOptions): Promise<StreamResult> {
  const turn = beginTurn(options);
  const { logger, startedAt } = turn;
  const drainTimeoutMs = options.drainTimeoutMs ?? DEFAULT_DRAIN_TIMEOUT_MS;
  const tabs = new SessionTabs({
    sessionId: options.sessionId,
    turnId: turn.turnId,
    managementApi: options.managementApi,
    table: options.table,
    posterRetry: options.posterRetry,
    logger,
  });
  const answer = new AnswerCollector({
    startedAt,
    tabs,
    coalesceWindowMs: options.coalesceWindowMs ?? PUBLISHER_DEFAULTS.coalesceWindowMs,
    coalesceMaxBytes: options.coalesceMaxBytes ?? PUBLISHER_DEFAULTS.coalesceMaxBytes,
    ...(options.stillWorkingAfterMs !== undefined
      ? { stillWorkingAfterMs: options.stillWorkingAfterMs }
      : {}),
    ...(options.onContent ? { onContent: options.onContent } : {}),
    logger,
  });
  const watcher = watchSession(options, turn, tabs);

  // Both start now: the lookup does not wait for the model, nor the model for the lookup.
  const firstLookup = watcher.start();
  answer.begin(); // `thinking`: each tab gets it after its `start` (SessionTabs)
  const outcome = await readModel(options.source, turn.controller, answer.handle, startedAt);
  answer.end();
  turn.release();

  // A fast answer may be done before the lookup: connections must be known before the turn ends.
  await settleWithin(firstLookup, drainTimeoutMs);
  watcher.stop();
  answer.flush();
  const stopReason = finalStopReason(outcome, answer);
  await endOnTabs(tabs, answer, outcome, stopReason, {
    drainTimeoutMs,
    textHoldMs: options.textHoldMs ?? PUBLISHER_DEFAULTS.textHoldMs,
    logger,
  });

  const stats = countStats(answer, tabs, outcome, stopReason);
  const result: StreamResult = {
    turnId: turn.turnId,
    text: answerForLex(answer.text, outcome),
    citations: tabs.citations,
    ...stats,
  };
  if (answer.usage) result.usage = answer.usage;
  report(result, outcome.modelError, options, logger);
  return result;
}

/** The turn's id and logger, and the abort controller a cancel or the caller's signal trips. */
function beginTurn(options: PublishAnswerOptions): Turn {
  const startedAt = Date.now();
  const turnId = options.turnId ?? randomUUID();
  // A keyed hash, never the session id itself: it is often a Cognito identity id (log-safe.ts).
  const logger = (options.logger ?? createLogger({ service: 'publisher' })).child({
    sessionRef: logRef(options.sessionId),
    turnId,
  });
  const controller = new AbortController();
  const abortFromCaller = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', abortFromCaller, { once: true });
  return {
    turnId,
    startedAt,
    logger,
    controller,
    release: () => options.signal?.removeEventListener('abort', abortFromCaller),
  };
}

/** Re-reads the session's connections into `tabs` and trips the turn's controller on a cancel. */
function watchSession(options: PublishAnswerOptions, turn: Turn, tabs: SessionTabs): SessionWatcher {
  let cancelRequested = false;
  return new SessionWatcher({
    table: options.table,
    sessionId: options.sessionId,
    turnStartedAt: turn.startedAt,
    pollMs: options.sessionPollMs ?? PUBLISHER_DEFAULTS.sessionPollMs,
    logger: turn.logger,
    onConnections: (records) => tabs.sync(records),
    onCancel: (requestedAt) => {
      if (cancelRequested) return;
      cancelRequested = true;
      turn.logger.info('cancel requested; stopping the answer', {
        requestedAt,
        afterMs: Date.now() - turn.startedAt,
      });
      turn.controller.abort();
    },
  });
}

const ABORTED = Symbol('aborted');

/**
 * Hands each event of the source to `handle` until the source ends, fails or the controller is
 * aborted (then at once, without waiting for the pending read). Never throws.
 */
async function readModel(
  source: PublishAnswerOptions['source'],
  controller: AbortController,
  handle: (event: StreamEvent | string) => void,
  startedAt: number,
): Promise<ModelOutcome> {
  let modelError: StreamingError | undefined;
  let iterator: AsyncIterator<StreamEvent | string> | undefined;
  try {
    const iterable = typeof source === 'function' ? source(controller.signal) : source;
    iterator = iterable[Symbol.asyncIterator]();
    const aborted = new Promise<typeof ABORTED>((resolve) => {
      if (controller.signal.aborted) resolve(ABORTED);
      controller.signal.addEventListener('abort', () => resolve(ABORTED), { once: true });
    });
    for (;;) {
      const next = iterator.next();
      next.catch(() => undefined); // after a cancel its rejection (AbortError) is expected
      const step = await Promise.race([next, aborted]);
      if (step === ABORTED || step.done) break;
      handle(step.value);
    }
  } catch (error) {
    if (!controller.signal.aborted) modelError = toModelError(error);
  }
  const cancelled = controller.signal.aborted;
  if (cancelled && iterator?.return) {
    // Closes the model stream of a plain iterable too; a pending read settles through the abort.
    Promise.resolve()
      .then(() => iterator?.return?.())
      .catch(() => undefined);
  }
  const totalMs = Date.now() - startedAt;
  return modelError ? { cancelled, modelError, totalMs } : { cancelled, totalMs };
}

function finalStopReason(outcome: ModelOutcome, answer: AnswerCollector): string {
  if (outcome.cancelled) return 'cancelled';
  if (outcome.modelError) return 'error';
  return answer.stopReason ?? (answer.guardrailIntervened ? 'guardrail_intervened' : 'end_turn');
}

/**
 * The end of the answer on every tab: an `error` frame after a model failure, the `end` frame, then
 * the wait for queued posts (dropped after `drainTimeoutMs`), then the text hold: Lex Web UI shows a
 * text frame only 500 ms after the next one (the end marker) arrived, so its display gets that time
 * before Lex's answer replaces the streamed text (text-protocol.ts).
 */
async function endOnTabs(
  tabs: SessionTabs,
  answer: AnswerCollector,
  outcome: ModelOutcome,
  stopReason: string,
  settings: { drainTimeoutMs: number; textHoldMs: number; logger: Logger },
): Promise<void> {
  const { modelError } = outcome;
  if (modelError) {
    settings.logger.error('model failed', {
      error: modelError,
      code: modelError.code,
      partialChars: answer.text.length,
    });
    tabs.broadcast({
      kind: 'error',
      code: modelError.code,
      message: errorNote(modelError.code, answer.text.length > 0),
      retryable: askingAgainHelps(modelError),
    });
  }
  const end: OutboundItem = { kind: 'end', stopReason, totalMs: outcome.totalMs };
  if (answer.usage) end.usage = answer.usage;
  if (answer.ttftMs !== undefined) end.ttftMs = answer.ttftMs;
  tabs.broadcast(end);

  const drained = await settleWithin(tabs.idle(), settings.drainTimeoutMs);
  if (!drained) {
    settings.logger.warn('posts still queued after the drain timeout; dropping them', {
      drainTimeoutMs: settings.drainTimeoutMs,
    });
    tabs.stopAll();
  }
  if (tabs.textTabGotText() && settings.textHoldMs > 0) await sleep(settings.textHoldMs);
}

/** The answer's statistics, counted once: the result, the log line and the metrics derive from them. */
function countStats(
  answer: AnswerCollector,
  tabs: SessionTabs,
  outcome: ModelOutcome,
  stopReason: string,
): AnswerStats {
  const stats: AnswerStats = {
    stopReason,
    totalMs: outcome.totalMs,
    chunks: answer.chunks,
    ...tabs.counts(),
    cancelled: outcome.cancelled,
  };
  if (answer.ttftMs !== undefined) stats.ttftMs = answer.ttftMs;
  if (outcome.modelError)
    stats.error = { code: outcome.modelError.code, message: outcome.modelError.message };
  return stats;
}

/** The text Lex gets: the answer, marked when it was stopped or the model failed. */
function answerForLex(text: string, outcome: ModelOutcome): string {
  if (outcome.cancelled) return withNote(text, STOPPED_NOTE);
  if (outcome.modelError) return withNote(text, errorNote(outcome.modelError.code, text.length > 0));
  return text;
}

/** The "answer finished" line, the metrics and the caller's onComplete / onError, from the result. */
function report(
  result: StreamResult,
  modelError: StreamingError | undefined,
  options: PublishAnswerOptions,
  logger: Logger,
): void {
  logger.info('answer finished', answerFinishedLogContext(result));
  if (options.metrics !== false) emitMetrics(answerMetrics(result), options.metrics ?? {});
  if (modelError) {
    if (options.onError) {
      const onError = options.onError;
      safely(logger, 'onError', () => onError(modelError, result));
    }
  } else if (options.onComplete) {
    const onComplete = options.onComplete;
    safely(logger, 'onComplete', () => onComplete(result));
  }
}

async function settleWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let settled = false;
  const watched = promise.then(
    () => {
      settled = true;
    },
    () => {
      settled = true;
    },
  );
  const timeout = new AbortController();
  await Promise.race([watched, sleep(ms, timeout.signal)]);
  timeout.abort();
  return settled;
}

/**
 * Callback style: the same streaming, reported through `onContent(text)`, `onComplete(result)` and
 * `onError(error, result)`. The returned promise (await it before the Lambda returns) never rejects.
 */
export async function publishAnswerWithCallbacks(
  options: Omit<PublishAnswerOptions, keyof StreamCallbacks>,
  callbacks: StreamCallbacks,
): Promise<void> {
  try {
    await publishAnswer({ ...options, ...callbacks });
  } catch (error) {
    const failure = toModelError(error);
    callbacks.onError?.(failure, {
      turnId: options.turnId ?? '',
      text: errorNote(failure.code, false),
      citations: [],
      ...failedBeforeStreaming({ code: failure.code, message: failure.message }),
    });
  }
}
