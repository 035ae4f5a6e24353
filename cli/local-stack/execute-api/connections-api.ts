/**
 * `/{stage}/@connections/{id}` of the local execute-api, the API Gateway management API the
 * publishing Lambdas call: POST (send to the client), GET (connection info), DELETE (close), with
 * SigV4 header auth and errors carrying `x-amzn-errortype`, so
 * @aws-sdk/client-apigatewaymanagementapi raises its typed exceptions (GoneException 410,
 * PayloadTooLargeException 413, ForbiddenException 403, LimitExceededException 429). Latency and
 * failures can be injected (ExecuteApiOptions) for benchmarks and fault tests.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { WebSocket } from 'ws';
import { MAX_MESSAGE_BYTES } from '../../../functions/protocol/websocket';
import { LocalAwsError, readBody, sendJson, sendRestJsonError, splitUrl } from '../http';
import { SignatureError, signedRequestInput, verifySignedRequest } from '../sigv4';
import { CLOSE_NORMAL } from './connections';
import type { Gateway } from './gateway';
import type { ConnectionsFault, ConnectionsRequest } from './types';

export async function handleConnectionsRequest(
  gateway: Gateway,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const { options, stats, connections } = gateway;
  const { path } = splitUrl(request.url);
  const segments = path.split('/');
  const connectionsSegment = safeDecode(segments[2] ?? '');
  const connectionId = safeDecode(segments[3] ?? '');
  const method = request.method ?? 'GET';
  if (
    segments.length !== 4 ||
    segments[0] !== '' ||
    segments[1] !== gateway.config.stageName ||
    connectionsSegment !== '@connections' ||
    !connectionId
  ) {
    request.resume();
    sendError(response, 404, 'NotFoundException', 'Not Found');
    return;
  }
  if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
    request.resume();
    sendError(response, 405, 'MethodNotAllowedException', `Method ${method} is not allowed on @connections`);
    return;
  }
  let body: Buffer;
  try {
    body = await readBody(request, {
      tooLargeCode: 'PayloadTooLargeException',
      tooLargeMessage: 'Message too long',
    });
  } catch (error) {
    if (!(error instanceof LocalAwsError)) throw error;
    sendError(response, error.statusCode, error.code, error.message);
    return;
  }
  try {
    await verifySignedRequest(signedRequestInput(request, body), {
      credentials: options.credentials,
      service: 'execute-api',
      region: options.region,
      now: gateway.now,
    });
  } catch (error) {
    if (!(error instanceof SignatureError)) throw error;
    sendError(response, 403, 'ForbiddenException', `${error.code}: ${error.message}`);
    return;
  }
  const call: ConnectionsRequest = { method, connectionId, dataBytes: method === 'POST' ? body.length : 0 };
  const latency =
    typeof options.connectionsLatencyMs === 'function'
      ? options.connectionsLatencyMs(call)
      : (options.connectionsLatencyMs ?? 0);
  if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
  const fault = injectedFault(gateway, call);
  if (fault) {
    stats.injectedFaults += 1;
    sendError(response, fault.statusCode, fault.errorType, fault.message ?? fault.errorType);
    return;
  }
  if (method === 'POST' && body.length > MAX_MESSAGE_BYTES) {
    sendError(response, 413, 'PayloadTooLargeException', 'Message too long');
    return;
  }
  const connection = connections.get(connectionId);
  if (!connection || connection.closing || connection.socket.readyState !== WebSocket.OPEN) {
    stats.goneResponses += 1;
    sendError(response, 410, 'GoneException', `Connection ${connectionId} is gone`);
    return;
  }
  const answered = { 'x-amzn-requestid': randomUUID() };
  if (method === 'POST') {
    stats.posts += 1;
    stats.postedBytes += body.length;
    connections.send(connection, body, !isUtf8(body));
    sendJson(response, 200, undefined, answered);
  } else if (method === 'GET') {
    const { origin } = connection;
    const info = {
      connectedAt: new Date(origin.connectedAt).toISOString(),
      identity: { sourceIp: origin.sourceIp, userAgent: origin.userAgent ?? '' },
      lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
    };
    sendJson(response, 200, info, answered);
  } else {
    connections.closeWith(connection, CLOSE_NORMAL, '');
    sendJson(response, 204, undefined, answered);
  }
}

/** The fault `connectionsFault` decides, else a 429 at `connectionsFailureRate` (POST only). */
function injectedFault(gateway: Gateway, call: ConnectionsRequest): ConnectionsFault | undefined {
  const { options } = gateway;
  const random = options.random ?? Math.random;
  return (
    options.connectionsFault?.(call) ??
    (call.method === 'POST' && (options.connectionsFailureRate ?? 0) > random()
      ? { statusCode: 429, errorType: 'LimitExceededException', message: 'Rate exceeded' }
      : undefined)
  );
}

/** An `@connections` error the management API client raises as its typed exception. */
export function sendError(
  response: ServerResponse,
  statusCode: number,
  errorType: string,
  message: string,
): void {
  sendRestJsonError(response, randomUUID(), new LocalAwsError(statusCode, errorType, message));
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

const utf8Decoder = new TextDecoder('utf-8', { fatal: true });
function isUtf8(bytes: Buffer): boolean {
  try {
    utf8Decoder.decode(bytes);
    return true;
  } catch {
    return false;
  }
}
