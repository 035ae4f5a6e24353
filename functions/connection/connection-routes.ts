/**
 * What the connection Lambda does for each WebSocket route, as pure functions of the event and
 * the session table. The handler (handler.ts) only wires clients and configuration.
 *
 * - `$connect`: validates `sessionId` and `protocol`, then registers the tab under the identity
 *   binding (functions/shared/session-binding.ts). Bad input → 400 with the reason; a session id
 *   the caller may not use, or a cap reached → 403 with the reason.
 * - `$disconnect`: forgets the connection.
 * - `$default`: an unknown action. json-protocol sockets get an error frame back (through the
 *   route response); text-protocol sockets get nothing, because every text message is shown as
 *   answer text. The socket stays open either way.
 * - `cancel`: records a cancel request that the session's running publisher sees within 1 s. A
 *   session records at most one per CANCEL_MIN_INTERVAL_MS (250 ms, session-table.ts
 *   `requestCancel`), and a container skips a socket's repeats within that interval without touching
 *   the table (RecentCancels), so a flood of cancels costs Lambda calls but at most four table writes
 *   a second per session. A second cancel within 250 ms of the first is dropped; a new answer cannot
 *   start that soon after a cancel (the question goes through Lex or the ask route first).
 *
 * Logs carry `sessionRef`/`identityRef`, never session ids or identities (functions/shared/log-safe.ts).
 */

import { standaloneErrorFrame } from '../protocol/frames';
import { PROTOCOLS, type Protocol, ROUTES, SESSION_ID_PATTERN } from '../protocol/websocket';
import type { ConnectionConfig } from '../shared/config';
import { logRef, sessionRefOf } from '../shared/log-safe';
import type { Logger } from '../shared/logger';
import type { CallerIdentity } from '../shared/session-binding';
import { CANCEL_MIN_INTERVAL_MS, type SessionTable } from '../shared/session-table';
import type { WebSocketEvent, WebSocketIdentity, WebSocketResult } from './websocket-event';

export interface ConnectionRouteDeps {
  table: Pick<SessionTable, 'connect' | 'findConnection' | 'deleteConnection' | 'requestCancel'>;
  config: Pick<
    ConnectionConfig,
    'identityBinding' | 'maxSessionsPerIdentity' | 'maxTabsPerSession' | 'claimGraceSeconds'
  >;
  logger: Logger;
  /** Epoch milliseconds. */
  now: () => number;
  /** Cancels this container sent to the table lately (the handler keeps one per container). */
  recentCancels?: RecentCancels;
}

/**
 * The sockets whose `cancel` this container sent to the session table lately. A repeat within
 * CANCEL_MIN_INTERVAL_MS would be refused by the table anyway (and billed as a write), so it is
 * skipped before the connection lookup: a flood from one socket then costs only its Lambda calls.
 * Bounded: the map is cleared when it reaches `maxEntries`.
 */
export class RecentCancels {
  private readonly sentAt = new Map<string, number>();

  constructor(
    readonly intervalMs: number = CANCEL_MIN_INTERVAL_MS,
    readonly maxEntries = 10_000,
  ) {}

  /** True when this socket's previous cancel went to the table less than `intervalMs` before `nowMs`. */
  isRecent(connectionId: string, nowMs: number): boolean {
    const at = this.sentAt.get(connectionId);
    return at !== undefined && nowMs - at < this.intervalMs && nowMs >= at;
  }

  remember(connectionId: string, nowMs: number): void {
    if (this.sentAt.size >= this.maxEntries) this.sentAt.clear();
    this.sentAt.set(connectionId, nowMs);
  }
}

/** A `$connect` request the Lambda refuses, with the status API Gateway returns to the client. */
export class ConnectRejection {
  constructor(
    readonly statusCode: 400 | 403,
    readonly reason: string,
  ) {}
}

export interface ConnectQuery {
  sessionId: string;
  protocol: Protocol;
}

/**
 * The identity that signed the request: the Cognito identity id when the credentials came from a
 * Cognito identity pool, else the signing principal (user or assumed-role ARN, else the caller id).
 * Undefined only for an unsigned request, which API Gateway does not let through on `$connect`.
 */
export function callerIdentity(identity: WebSocketIdentity | undefined): CallerIdentity | undefined {
  const cognitoIdentityId = identity?.cognitoIdentityId ?? undefined;
  if (cognitoIdentityId) return { key: cognitoIdentityId, cognitoIdentityId };
  const principal = identity?.userArn ?? identity?.caller ?? identity?.accessKey ?? undefined;
  return principal ? { key: principal } : undefined;
}

/** `{ identityRef }` of the signing identity, for log lines. */
function identityRefOf(caller: CallerIdentity | undefined): { identityRef?: string } {
  return caller ? { identityRef: logRef(caller.key) } : {};
}

function reply(statusCode: number, body?: string): WebSocketResult {
  return body === undefined ? { statusCode } : { statusCode, body };
}

/** One value of a query parameter; a repeated parameter is ambiguous and refused. */
function singleParameter(event: WebSocketEvent, name: string): string | undefined | ConnectRejection {
  const values = event.multiValueQueryStringParameters?.[name];
  if (values && values.length > 1) {
    return new ConnectRejection(
      400,
      `query parameter "${name}" must be given once, got ${values.length} values`,
    );
  }
  const value = event.queryStringParameters?.[name];
  return value === null ? undefined : value;
}

/** Validates the `$connect` query string; pure, so every rule is testable on its own. */
export function parseConnectQuery(event: WebSocketEvent): ConnectQuery | ConnectRejection {
  const sessionId = singleParameter(event, 'sessionId');
  if (sessionId instanceof ConnectRejection) return sessionId;
  if (sessionId === undefined || sessionId === '') {
    return new ConnectRejection(400, 'query parameter "sessionId" is required (the Lex session id)');
  }
  if (!SESSION_ID_PATTERN.test(sessionId)) {
    return new ConnectRejection(
      400,
      `query parameter "sessionId" must be 2-100 characters of 0-9 a-z A-Z . _ : - (got ${sessionId.length} characters)`,
    );
  }
  const protocolValue = singleParameter(event, 'protocol');
  if (protocolValue instanceof ConnectRejection) return protocolValue;
  const protocol = protocolValue === undefined || protocolValue === '' ? 'text' : protocolValue;
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) {
    return new ConnectRejection(
      400,
      `query parameter "protocol" must be one of ${PROTOCOLS.join(', ')} (got "${protocol.slice(0, 20)}")`,
    );
  }
  return { sessionId, protocol: protocol as Protocol };
}

export async function handleConnect(
  event: WebSocketEvent,
  deps: ConnectionRouteDeps,
): Promise<WebSocketResult> {
  const { connectionId } = event.requestContext;
  const caller = callerIdentity(event.requestContext.identity);
  const query = parseConnectQuery(event);
  if (query instanceof ConnectRejection) {
    deps.logger.warn('connect refused', {
      connectionId,
      ...identityRefOf(caller),
      statusCode: query.statusCode,
      reason: query.reason,
    });
    return reply(query.statusCode, query.reason);
  }
  const { config } = deps;
  const outcome = await deps.table.connect(
    {
      ...query,
      connectionId,
      connectedAt: event.requestContext.connectedAt ?? deps.now(),
      ...(caller ? { caller } : {}),
    },
    {
      mode: config.identityBinding,
      maxSessionsPerIdentity: config.maxSessionsPerIdentity,
      maxTabsPerSession: config.maxTabsPerSession,
      claimGraceSeconds: config.claimGraceSeconds,
    },
    deps.now(),
  );
  if (!outcome.accepted) {
    deps.logger.warn('connect refused', {
      connectionId,
      ...sessionRefOf(query.sessionId),
      ...identityRefOf(caller),
      statusCode: outcome.refusal.statusCode,
      reason: outcome.refusal.reason,
      binding: config.identityBinding,
    });
    return reply(outcome.refusal.statusCode, outcome.refusal.reason);
  }
  deps.logger.info('connected', {
    connectionId,
    ...sessionRefOf(query.sessionId),
    ...identityRefOf(caller),
    protocol: query.protocol,
    tabs: outcome.session.tabs.length,
    cognitoIdentity: caller?.cognitoIdentityId !== undefined,
  });
  return reply(200);
}

export async function handleDisconnect(
  event: WebSocketEvent,
  deps: ConnectionRouteDeps,
): Promise<WebSocketResult> {
  const { connectionId } = event.requestContext;
  const now = deps.now();
  const record = await deps.table.findConnection(connectionId, now);
  const removed = record ? await deps.table.deleteConnection(record.sessionId, connectionId, now) : false;
  deps.logger.info('disconnected', {
    connectionId,
    ...sessionRefOf(record?.sessionId),
    known: removed,
    closeCode: event.requestContext.disconnectStatusCode,
  });
  return reply(200);
}

function describeAction(body: string | null | undefined): string {
  if (!body) return 'an empty message';
  try {
    const parsed: unknown = JSON.parse(body);
    if (parsed && typeof parsed === 'object' && 'action' in parsed) {
      return `action "${String((parsed as { action: unknown }).action).slice(0, 40)}"`;
    }
    return 'a message without "action"';
  } catch {
    return 'a message that is not JSON';
  }
}

export async function handleDefault(
  event: WebSocketEvent,
  deps: ConnectionRouteDeps,
): Promise<WebSocketResult> {
  const { connectionId } = event.requestContext;
  const record = await deps.table.findConnection(connectionId, deps.now());
  const received = describeAction(event.body);
  deps.logger.info('unknown action', { connectionId, ...sessionRefOf(record?.sessionId), received });
  if (record?.protocol !== 'json') return reply(200);
  const frame = standaloneErrorFrame(
    'UnknownAction',
    `received ${received}; send {"action":"ping"} to keep the socket alive or {"action":"cancel"} to stop the answer`,
    false, // the same message again gets the same answer
  );
  return reply(200, JSON.stringify(frame));
}

export async function handleCancel(
  event: WebSocketEvent,
  deps: ConnectionRouteDeps,
): Promise<WebSocketResult> {
  const { connectionId } = event.requestContext;
  const at = deps.now();
  const recent = deps.recentCancels;
  if (recent?.isRecent(connectionId, at)) {
    // Debug only: a flood must not become a flood of log lines either.
    deps.logger.debug('cancel ignored: this socket cancelled less than a second ago', { connectionId });
    return reply(200);
  }
  recent?.remember(connectionId, at);
  const record = await deps.table.findConnection(connectionId, at);
  const recorded = record ? await deps.table.requestCancel(record.sessionId, connectionId, at) : false;
  const context = { connectionId, ...sessionRefOf(record?.sessionId), recorded };
  // Not recorded: the tab is gone, or the session recorded a cancel in the last second.
  if (recorded) deps.logger.info('cancel requested', context);
  else deps.logger.debug('cancel requested', context);
  return reply(200);
}

export async function routeConnectionEvent(
  event: WebSocketEvent,
  deps: ConnectionRouteDeps,
): Promise<WebSocketResult> {
  const routeKey = event?.requestContext?.routeKey;
  switch (routeKey) {
    case ROUTES.connect:
      return handleConnect(event, deps);
    case ROUTES.disconnect:
      return handleDisconnect(event, deps);
    case ROUTES.default:
      return handleDefault(event, deps);
    case ROUTES.cancel:
      return handleCancel(event, deps);
    default:
      deps.logger.error('event for a route this Lambda does not serve', { routeKey });
      return reply(400, `route "${String(routeKey)}" is not served by the connection Lambda`);
  }
}
