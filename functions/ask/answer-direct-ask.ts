/**
 * The direct-ask flow for apps without Lex: a browser sends `{"action":"ask","question":"…"}` on its
 * socket and the answer streams back to every connection of that socket's session (its other tabs
 * too), through the same publisher as the Lex flows, so coalescing, 410/429 handling, model retries
 * and `cancel` behave exactly as there.
 *
 * The session comes from the connection (SessionTable.findConnection), never from the message: a
 * client can only ask into the session it registered for at `$connect`. The lookup runs before the
 * model call (unlike the Lex flows, where the session id is known up front): nothing may stream
 * before the session is known, and a refused or unknown connection must not cost a model call.
 * Bad input gets an `error` frame on the asking connection; nothing here throws for it.
 *
 * Before the model is called, the question must be admitted (ask-limits.ts): one answer in flight
 * per session by default (`Busy` otherwise) and a number of questions per minute per identity
 * (`RateLimited`, with `retryAfterMs`). A refused question costs three item reads and one post,
 * no write and no model call. The admitted answer's lease is released when it ends; a Lambda that
 * dies keeps it only until its deadline.
 */
import { randomUUID } from 'node:crypto';
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { standaloneErrorFrame } from '../protocol/frames';
import type { Protocol } from '../protocol/websocket';
import type { DirectAskLimits, PublisherConfig } from '../shared/config';
import { DIRECT_ASK_DEFAULTS, ENV } from '../shared/constants';
import { ConfigurationError } from '../shared/errors';
import { logRef } from '../shared/log-safe';
import type { Logger } from '../shared/logger';
import { askLimitKey, type ConnectionRecord, SessionTable } from '../shared/session-table';
import {
  bedrockConverseSource,
  resolveModelSettings,
  type SourceFactory,
} from '../streaming/integrations/answer-flows';
import { sleep } from '../streaming/pipeline/backoff';
import { publishAnswer, type StreamResult } from '../streaming/pipeline/publisher';
import { type PublisherRuntime, publishOptionsOf } from '../streaming/runtime';
import { ASK_RATE_WINDOW_MS, type AskRefusal, planAskAdmission } from './ask-limits';
import { type DirectAskEvent, isAskRejection, parseAskRequest } from './ask-request';

export type DirectAskOutcome =
  | { status: 'answered'; sessionId: string; result: StreamResult }
  | { status: 'rejected'; code: string; message: string }
  | { status: 'unknown-connection' };

export interface DirectAskOptions {
  /** @default Bedrock ConverseStream with the configured model */
  makeSource?: SourceFactory;
  /** Aborting it stops the answer like a cancel (the handler aborts shortly before the Lambda times out). */
  signal?: AbortSignal;
  /**
   * Waits between lookups of a connection not found yet: the connection index is eventually
   * consistent, so a socket that asks right after `$connect` may need a moment. @default [100, 300]
   */
  lookupRetryDelaysMs?: readonly number[];
  /** Answers in flight per session and questions per minute. @default DIRECT_ASK_DEFAULTS */
  limits?: DirectAskLimits;
  /**
   * Milliseconds an admitted answer's lease lasts: the Lambda's remaining time, so a Lambda that
   * dies frees the session when it would have timed out. @default DEFAULT_LEASE_MS
   */
  leaseMs?: number;
  /** Where the limits are kept. @default runtime.table (the session table) */
  limitStore?: AskLimitStore;
}

/** The session-table operations the limits use. */
export type AskLimitStore = Pick<
  SessionTable,
  'getSession' | 'getAskLimits' | 'putAskLimits' | 'releaseAskLease'
>;

/** Lease of an answer when the caller does not say (the ask Lambda's 120 s timeout and a margin). */
export const DEFAULT_LEASE_MS = 130_000;
/** A `Busy` question waits this long for an answer its session has cancelled to end (cancel takes < 1 s). */
export const CANCELLED_ANSWER_WAIT_MS = 1500;
/** Lost races for the limits item before the question is refused as `Busy`. */
const MAX_ADMISSION_ATTEMPTS = 8;

/** The ask Lambda streams, so it needs streaming on and a model; checked at cold start. */
export function assertDirectAskConfig(config: PublisherConfig): void {
  if (!config.streamingEnabled) {
    throw new ConfigurationError(
      `the ask Lambda streams answers: ${ENV.callbackUrl} and ${ENV.tableName} are required`,
    );
  }
  if (!config.modelId) throw new ConfigurationError(`${ENV.modelId} is required`);
}

async function findConnectionSoon(
  runtime: PublisherRuntime,
  connectionId: string,
  delaysMs: readonly number[],
): Promise<ConnectionRecord | undefined> {
  for (let attempt = 0; ; attempt++) {
    const record = await runtime.table.findConnection(connectionId);
    const delay = delaysMs[attempt];
    if (record || delay === undefined) return record;
    await sleep(delay);
  }
}

/**
 * Tells the asking connection why nothing will stream: an `error` frame (json protocol), or the
 * sentence itself (text protocol, where every message is shown as answer text). Best effort.
 */
async function replyError(
  runtime: PublisherRuntime,
  logger: Logger,
  reply: {
    connectionId: string;
    protocol: Protocol;
    code: string;
    message: string;
    turnId?: string;
    /** Whether asking again can help (a refusal by the ask limits: later, yes). @default false */
    retryable?: boolean;
    /** More fields of the json error frame (e.g. `retryAfterMs`). */
    extra?: Record<string, unknown>;
  },
): Promise<void> {
  const data =
    reply.protocol === 'json'
      ? JSON.stringify({
          ...standaloneErrorFrame(reply.code, reply.message, reply.retryable),
          turnId: reply.turnId ?? '',
          ...reply.extra,
        })
      : reply.message;
  try {
    await runtime.managementApi.send(
      new PostToConnectionCommand({ ConnectionId: reply.connectionId, Data: new TextEncoder().encode(data) }),
    );
  } catch (error) {
    logger.warn('could not send the error frame to the asking connection', { error, code: reply.code });
  }
}

function limitStoreOf(runtime: PublisherRuntime): AskLimitStore {
  if (runtime.table instanceof SessionTable) return runtime.table;
  throw new ConfigurationError('the ask Lambda needs the session table to keep its limits');
}

type Admission = { admitted: true; key: string; leaseId: string } | ({ admitted: false } & AskRefusal);

/**
 * Admits a question under the limits by one conditional write of the `a#…` item, re-deciding after
 * a lost race. A `Busy` session whose running answer was cancelled before this question waits up to
 * CANCELLED_ANSWER_WAIT_MS for that answer to end, so "stop, then ask again" works.
 */
async function admitQuestion(
  store: AskLimitStore,
  record: ConnectionRecord,
  limits: DirectAskLimits,
  leaseMs: number,
): Promise<Admission> {
  const session = await store.getSession(record.sessionId);
  const key = askLimitKey(session?.owner, record.sessionId);
  const leaseId = randomUUID();
  const waitUntil = Date.now() + CANCELLED_ANSWER_WAIT_MS;
  let lostRaces = 0;
  for (;;) {
    const { state, version } = await store.getAskLimits(key);
    const nowMs = Date.now();
    const plan = planAskAdmission(
      state,
      { key, sessionId: record.sessionId, leaseId, nowMs, leaseMs },
      limits,
    );
    if (plan.admitted) {
      if (await store.putAskLimits(plan.state, version, nowMs + ASK_RATE_WINDOW_MS)) {
        return { admitted: true, key, leaseId };
      }
      lostRaces += 1;
      if (lostRaces < MAX_ADMISSION_ATTEMPTS) continue;
      return {
        admitted: false,
        code: 'Busy',
        message: 'too many questions at once for this session; ask again when the answer has ended',
        blockingSince: nowMs,
      };
    }
    const cancelled =
      plan.code === 'Busy' &&
      session?.cancelRequestedAt !== undefined &&
      session.cancelRequestedAt >= plan.blockingSince;
    if (cancelled && Date.now() < waitUntil) {
      await sleep(200);
      continue;
    }
    return plan;
  }
}

export async function answerDirectAsk(
  event: DirectAskEvent,
  runtime: PublisherRuntime,
  options: DirectAskOptions = {},
): Promise<DirectAskOutcome> {
  const request = parseAskRequest(event);
  const { connectionId } = request;
  const logger = runtime.logger.child({ connectionId, route: 'ask' });
  const record = await findConnectionSoon(runtime, connectionId, options.lookupRetryDelaysMs ?? [100, 300]);
  if (!record) {
    logger.warn('ask from a connection that is not registered (closed or expired); nothing streamed');
    const message = 'this connection is not registered for a session; reconnect and ask again';
    await replyError(runtime, logger, { connectionId, protocol: 'json', code: 'UnknownConnection', message });
    return { status: 'unknown-connection' };
  }
  if (isAskRejection(request)) {
    logger.info('question refused', {
      sessionRef: logRef(record.sessionId),
      code: request.code,
      reason: request.message,
    });
    await replyError(runtime, logger, { ...request, protocol: record.protocol });
    return { status: 'rejected', code: request.code, message: request.message };
  }

  const store = options.limitStore ?? limitStoreOf(runtime);
  const admission = await admitQuestion(
    store,
    record,
    options.limits ?? DIRECT_ASK_DEFAULTS,
    options.leaseMs ?? DEFAULT_LEASE_MS,
  );
  if (!admission.admitted) {
    logger.info('question refused by the ask limits', { code: admission.code });
    await replyError(runtime, logger, {
      connectionId,
      protocol: record.protocol,
      code: admission.code,
      message: admission.message,
      // Busy: once the running answer ends; RateLimited: after retryAfterMs. Either way asking the
      // same question again helps, so the widget and the AI SDK transport offer Retry.
      retryable: true,
      ...(request.turnId ? { turnId: request.turnId } : {}),
      ...(admission.code === 'RateLimited' ? { extra: { retryAfterMs: admission.retryAfterMs } } : {}),
    });
    return { status: 'rejected', code: admission.code, message: admission.message };
  }

  const settings = resolveModelSettings(runtime.config);
  const makeSource = options.makeSource ?? bedrockConverseSource;
  logger.info('answering a direct question', {
    sessionRef: logRef(record.sessionId),
    questionChars: request.question.length,
    queuedMs: request.requestTimeEpoch === undefined ? undefined : Date.now() - request.requestTimeEpoch,
  });
  let result: StreamResult;
  try {
    result = await publishAnswer({
      sessionId: record.sessionId,
      source: makeSource(request.question, settings, runtime),
      ...publishOptionsOf(runtime),
      ...(request.turnId ? { turnId: request.turnId } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      logger,
    });
  } finally {
    await store.releaseAskLease(admission.key, admission.leaseId).catch((error: unknown) => {
      logger.warn('could not release the answer lease; it lapses at the Lambda deadline', { error });
    });
  }
  return { status: 'answered', sessionId: record.sessionId, result };
}
