/**
 * The orchestrator: streams one answer to every live connection of a Lex session and returns the
 * final answer for Lex.
 *
 * - The connection lookup and the model call start together; text that arrives before the lookup
 *   finishes (or before a tab connects mid-answer) is caught up on that connection.
 * - Text goes through the coalescer, then to one pipelined ConnectionPoster per connection.
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
import type { ConnectionRecord, SessionTable } from '../../shared/session-table';
import { type StreamingError, toModelError } from '../errors';
import type { StreamEvent, StreamSource } from '../sources/events';
import { errorNote, STOPPED_NOTE, withNote } from './answer-notes';
import { sleep } from './backoff';
import { Coalescer } from './coalescer';
import { ConnectionPoster, type PosterRetryOptions } from './connection-poster';
import type { OutboundItem } from './frame-encoder';
import { emitMetrics, type MetricsOptions } from './metrics';
import { SessionWatcher } from './session-watcher';

export interface StreamResult {
  turnId: string;
  /** The answer for Lex: the full text, or the partial text plus a note after a cancel or an error. */
  text: string;
  citations: Citation[];
  /** The model's stop reason, or `cancelled` / `error`. */
  stopReason: string;
  usage?: Usage;
  /** Milliseconds from the start to the first text, when there was text. */
  ttftMs?: number;
  /** Milliseconds from the start until the model was done. */
  totalMs: number;
  /** Text chunks the model produced. */
  chunks: number;
  /** PostToConnection calls made (retries included). */
  posts: number;
  /** Connections streamed to. */
  connections: number;
  /** Connections found gone (410) and forgotten. */
  goneConnections: number;
  cancelled: boolean;
  error?: { code: string; message: string };
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

const ABORTED = Symbol('aborted');

function safely(logger: Logger, name: string, callback: () => void): void {
  try {
    callback();
  } catch (error) {
    logger.warn(`${name} callback threw; ignored`, { error });
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

/** Iterator style: streams the answer and resolves with the final result. */
export async function publishAnswer(options: PublishAnswerOptions): Promise<StreamResult> {
  const startedAt = Date.now();
  const turnId = options.turnId ?? randomUUID();
  // A keyed hash, never the session id itself: it is often a Cognito identity id (log-safe.ts).
  const logger = (options.logger ?? createLogger({ service: 'publisher' })).child({
    sessionRef: logRef(options.sessionId),
    turnId,
  });
  const drainTimeoutMs = options.drainTimeoutMs ?? 3000;
  const controller = new AbortController();
  const abortFromCaller = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  options.signal?.addEventListener('abort', abortFromCaller, { once: true });

  const posters = new Map<string, ConnectionPoster>();
  let delivered = '';
  const citations: Citation[] = [];
  let goneConnections = 0;

  const broadcast = (item: OutboundItem) => {
    for (const poster of posters.values()) poster.enqueue(item);
  };
  const coalescer = new Coalescer({
    windowMs: options.coalesceWindowMs ?? PUBLISHER_DEFAULTS.coalesceWindowMs,
    maxBytes: options.coalesceMaxBytes ?? PUBLISHER_DEFAULTS.coalesceMaxBytes,
    emit: (text) => {
      delivered += text;
      broadcast({ kind: 'text', text });
    },
  });

  const syncConnections = (records: ConnectionRecord[]) => {
    const live = new Set(records.map((record) => record.connectionId));
    for (const record of records) {
      if (posters.has(record.connectionId)) continue;
      const poster = new ConnectionPoster({
        client: options.managementApi,
        sessionId: options.sessionId,
        connectionId: record.connectionId,
        protocol: record.protocol,
        turnId,
        retry: options.posterRetry,
        logger,
        onGone: async (connectionId) => {
          goneConnections++;
          await options.table.deleteConnection(options.sessionId, connectionId);
        },
      });
      posters.set(record.connectionId, poster);
      poster.enqueue({ kind: 'start' });
      // A tab that shows up mid-answer first gets what the others already have.
      if (delivered) poster.enqueue({ kind: 'text', text: delivered });
      if (citations.length > 0) poster.enqueue({ kind: 'citations', citations: [...citations] });
    }
    for (const [connectionId, poster] of posters) {
      if (!live.has(connectionId) && poster.state === 'open') poster.stop('closed');
    }
  };

  let cancelRequested = false;
  const watcher = new SessionWatcher({
    table: options.table,
    sessionId: options.sessionId,
    turnStartedAt: startedAt,
    pollMs: options.sessionPollMs ?? PUBLISHER_DEFAULTS.sessionPollMs,
    logger,
    onConnections: syncConnections,
    onCancel: (requestedAt) => {
      if (cancelRequested) return;
      cancelRequested = true;
      logger.info('cancel requested; stopping the answer', { requestedAt, afterMs: Date.now() - startedAt });
      controller.abort();
    },
  });

  // Both start now: the lookup does not wait for the model, nor the model for the lookup.
  const firstLookup = watcher.start();
  let answer = '';
  let chunks = 0;
  let ttftMs: number | undefined;
  let stopReason: string | undefined;
  let usage: Usage | undefined;
  let guardrailIntervened = false;
  let modelError: StreamingError | undefined;

  const handle = (event: StreamEvent | string) => {
    const normalized: StreamEvent = typeof event === 'string' ? { type: 'text', text: event } : event;
    switch (normalized.type) {
      case 'text':
        if (!normalized.text) return;
        if (ttftMs === undefined) ttftMs = Date.now() - startedAt;
        answer += normalized.text;
        chunks++;
        coalescer.push(normalized.text);
        if (options.onContent) safely(logger, 'onContent', () => options.onContent?.(normalized.text));
        return;
      case 'citations':
        if (normalized.citations.length === 0) return;
        coalescer.flush(); // the citation follows the text it supports
        citations.push(...normalized.citations);
        broadcast({ kind: 'citations', citations: normalized.citations });
        return;
      case 'stop':
        stopReason = normalized.stopReason;
        return;
      case 'metadata':
        if (normalized.usage) usage = normalized.usage;
        return;
      case 'guardrail':
        if (normalized.action === 'INTERVENED') guardrailIntervened = true;
        return;
    }
  };

  let iterator: AsyncIterator<StreamEvent | string> | undefined;
  try {
    const iterable =
      typeof options.source === 'function' ? options.source(controller.signal) : options.source;
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
  options.signal?.removeEventListener('abort', abortFromCaller);
  if (cancelled && iterator?.return) {
    // Closes the model stream of a plain iterable too; a pending read settles through the abort.
    Promise.resolve()
      .then(() => iterator?.return?.())
      .catch(() => undefined);
  }
  const totalMs = Date.now() - startedAt;

  // A fast answer may be done before the lookup: connections must be known before the turn ends.
  await settleWithin(firstLookup, drainTimeoutMs);
  watcher.stop();
  coalescer.flush();
  const finalStopReason = cancelled
    ? 'cancelled'
    : modelError
      ? 'error'
      : (stopReason ?? (guardrailIntervened ? 'guardrail_intervened' : 'end_turn'));
  if (modelError) {
    logger.error('model failed', { error: modelError, code: modelError.code, partialChars: answer.length });
    broadcast({
      kind: 'error',
      code: modelError.code,
      message: errorNote(modelError.code, answer.length > 0),
    });
  }
  const end: OutboundItem = { kind: 'end', stopReason: finalStopReason, totalMs };
  if (usage) end.usage = usage;
  if (ttftMs !== undefined) end.ttftMs = ttftMs;
  broadcast(end);

  const drained = await settleWithin(
    Promise.all([...posters.values()].map((poster) => poster.idle())),
    drainTimeoutMs,
  );
  if (!drained) {
    logger.warn('posts still queued after the drain timeout; dropping them', { drainTimeoutMs });
    for (const poster of posters.values()) poster.stop('closed');
  }

  // Lex Web UI shows a text frame only 500 ms after the next one (the end marker) arrived: give its
  // display that time before Lex's answer replaces the streamed text (text-protocol.ts).
  const textHoldMs = options.textHoldMs ?? PUBLISHER_DEFAULTS.textHoldMs;
  const textTabGotText = [...posters.values()].some(
    (poster) => poster.protocol === 'text' && poster.state === 'open' && poster.stats.delivered > 0,
  );
  if (textTabGotText && textHoldMs > 0) await sleep(textHoldMs);

  let text = answer;
  if (cancelled) text = withNote(answer, STOPPED_NOTE);
  else if (modelError) text = withNote(answer, errorNote(modelError.code, answer.length > 0));
  const result: StreamResult = {
    turnId,
    text,
    citations,
    stopReason: finalStopReason,
    totalMs,
    chunks,
    posts: [...posters.values()].reduce((sum, poster) => sum + poster.stats.posts, 0),
    connections: posters.size,
    goneConnections,
    cancelled,
  };
  if (usage) result.usage = usage;
  if (ttftMs !== undefined) result.ttftMs = ttftMs;
  if (modelError) result.error = { code: modelError.code, message: modelError.message };

  logger.info('answer finished', {
    stopReason: result.stopReason,
    ttftMs: result.ttftMs,
    totalMs,
    chunks,
    posts: result.posts,
    connections: result.connections,
    goneConnections,
    cancelled,
  });
  if (options.metrics !== false) {
    emitMetrics(
      {
        timeToFirstTokenMs: ttftMs,
        totalMs,
        chunks,
        posts: result.posts,
        connections: result.connections,
        goneConnections,
        cancelled,
        error: modelError !== undefined,
      },
      options.metrics ?? {},
    );
  }
  if (modelError) {
    const error = modelError;
    if (options.onError) safely(logger, 'onError', () => options.onError?.(error, result));
  } else if (options.onComplete) {
    safely(logger, 'onComplete', () => options.onComplete?.(result));
  }
  return result;
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
      stopReason: 'error',
      totalMs: 0,
      chunks: 0,
      posts: 0,
      connections: 0,
      goneConnections: 0,
      cancelled: false,
      error: { code: failure.code, message: failure.message },
    });
  }
}
