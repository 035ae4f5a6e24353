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
 */
import { PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import type { PublisherConfig } from '../shared/config';
import { ENV, type Protocol } from '../shared/constants';
import { ConfigurationError } from '../shared/errors';
import { standaloneErrorFrame } from '../shared/frames';
import { logRef } from '../shared/log-safe';
import type { Logger } from '../shared/logger';
import type { ConnectionRecord } from '../shared/session-table';
import { bedrockConverseSource, resolveModelSettings, type SourceFactory } from '../streaming/answer-flows';
import { sleep } from '../streaming/backoff';
import { publishAnswer, type StreamResult } from '../streaming/publisher';
import type { PublisherRuntime } from '../streaming/runtime';
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
}

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
  reply: { connectionId: string; protocol: Protocol; code: string; message: string; turnId?: string },
): Promise<void> {
  const data =
    reply.protocol === 'json'
      ? JSON.stringify({ ...standaloneErrorFrame(reply.code, reply.message), turnId: reply.turnId ?? '' })
      : reply.message;
  try {
    await runtime.managementApi.send(
      new PostToConnectionCommand({ ConnectionId: reply.connectionId, Data: new TextEncoder().encode(data) }),
    );
  } catch (error) {
    logger.warn('could not send the error frame to the asking connection', { error, code: reply.code });
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

  const settings = resolveModelSettings(runtime.config);
  const makeSource = options.makeSource ?? bedrockConverseSource;
  logger.info('answering a direct question', {
    sessionRef: logRef(record.sessionId),
    questionChars: request.question.length,
    queuedMs: request.requestTimeEpoch === undefined ? undefined : Date.now() - request.requestTimeEpoch,
  });
  const result = await publishAnswer({
    sessionId: record.sessionId,
    source: makeSource(request.question, settings, runtime),
    table: runtime.table,
    managementApi: runtime.managementApi,
    coalesceWindowMs: runtime.config.coalesceWindowMs,
    textHoldMs: runtime.config.textHoldMs,
    coalesceMaxBytes: runtime.config.coalesceMaxBytes,
    sessionPollMs: runtime.config.sessionPollMs,
    ...(request.turnId ? { turnId: request.turnId } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    logger,
    metrics: { service: runtime.service },
  });
  return { status: 'answered', sessionId: record.sessionId, result };
}
