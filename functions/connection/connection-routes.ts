/**
 * What the connection Lambda does for each WebSocket route, as pure functions of the event and
 * the session table. The handler (handler.ts) only wires clients and configuration.
 *
 * - `$connect`: validates `sessionId` and `protocol`, binds the session to the caller's Cognito
 *   identity, stores the connection. Bad input → 400 with the reason; identity mismatch → 403.
 * - `$disconnect`: forgets the connection.
 * - `$default`: an unknown action. json-protocol sockets get an error frame back (through the
 *   route response); text-protocol sockets get nothing, because every text message is shown as
 *   answer text. The socket stays open either way.
 * - `cancel`: records a cancel request that the session's running publisher sees within 1 s.
 */
import type { ConnectionConfig } from '../shared/config';
import { PROTOCOLS, type Protocol, ROUTES, SESSION_ID_PATTERN } from '../shared/constants';
import { standaloneErrorFrame } from '../shared/frames';
import type { Logger } from '../shared/logger';
import type { SessionTable } from '../shared/session-table';
import type { WebSocketEvent, WebSocketResult } from './websocket-event';

export interface ConnectionRouteDeps {
  table: SessionTable;
  config: Pick<ConnectionConfig, 'identityBinding'>;
  logger: Logger;
  /** Epoch milliseconds. */
  now: () => number;
}

/** A `$connect` request the Lambda refuses, with the status API Gateway returns to the client. */
export class ConnectRejection {
  constructor(
    readonly statusCode: 400 | 403,
    readonly reason: string,
  ) {}
}

export interface ConnectRequest {
  sessionId: string;
  protocol: Protocol;
  identityId?: string;
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

/** Validates the `$connect` query string and identity; pure, so every rule is testable on its own. */
export function parseConnectRequest(
  event: WebSocketEvent,
  identityBinding: ConnectionConfig['identityBinding'],
): ConnectRequest | ConnectRejection {
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
  const identityId = event.requestContext.identity?.cognitoIdentityId ?? undefined;
  if (identityId) {
    if (identityId !== sessionId) {
      return new ConnectRejection(
        403,
        'sessionId must equal the Cognito identity id the request was signed with',
      );
    }
  } else if (identityBinding === 'REQUIRED') {
    return new ConnectRejection(
      403,
      'this endpoint only accepts requests signed with Cognito identity credentials',
    );
  }
  const request: ConnectRequest = { sessionId, protocol: protocol as Protocol };
  if (identityId) request.identityId = identityId;
  return request;
}

export async function handleConnect(
  event: WebSocketEvent,
  deps: ConnectionRouteDeps,
): Promise<WebSocketResult> {
  const { connectionId } = event.requestContext;
  const parsed = parseConnectRequest(event, deps.config.identityBinding);
  if (parsed instanceof ConnectRejection) {
    deps.logger.warn('connect refused', {
      connectionId,
      statusCode: parsed.statusCode,
      reason: parsed.reason,
    });
    return reply(parsed.statusCode, parsed.reason);
  }
  const record = await deps.table.putConnection({
    ...parsed,
    connectionId,
    connectedAt: event.requestContext.connectedAt ?? deps.now(),
  });
  deps.logger.info('connected', {
    connectionId,
    sessionId: record.sessionId,
    protocol: record.protocol,
    cognitoIdentity: record.identityId !== undefined,
  });
  return reply(200);
}

export async function handleDisconnect(
  event: WebSocketEvent,
  deps: ConnectionRouteDeps,
): Promise<WebSocketResult> {
  const { connectionId } = event.requestContext;
  const record = await deps.table.findConnection(connectionId, deps.now());
  if (record) await deps.table.deleteConnection(record.sessionId, connectionId);
  deps.logger.info('disconnected', {
    connectionId,
    sessionId: record?.sessionId,
    known: record !== undefined,
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
  deps.logger.info('unknown action', { connectionId, sessionId: record?.sessionId, received });
  if (record?.protocol !== 'json') return reply(200);
  const frame = standaloneErrorFrame(
    'UnknownAction',
    `received ${received}; send {"action":"ping"} to keep the socket alive or {"action":"cancel"} to stop the answer`,
  );
  return reply(200, JSON.stringify(frame));
}

export async function handleCancel(
  event: WebSocketEvent,
  deps: ConnectionRouteDeps,
): Promise<WebSocketResult> {
  const { connectionId } = event.requestContext;
  const at = deps.now();
  const record = await deps.table.findConnection(connectionId, at);
  const recorded = record ? await deps.table.requestCancel(record.sessionId, connectionId, at) : false;
  deps.logger.info('cancel requested', { connectionId, sessionId: record?.sessionId, recorded });
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
