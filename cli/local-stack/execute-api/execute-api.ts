/**
 * A local double of an API Gateway WebSocket API (execute-api) on one HTTP server:
 *
 * - `GET /{stage}` upgrades to a WebSocket. An AWS_IAM `$connect` route checks the presigned SigV4
 *   query (401/403 and no Lambda call on failure), then the `$connect` Lambda decides: 2xx upgrades,
 *   anything else is returned to the client as the HTTP status.
 * - Messages are routed by the API's route selection expression (`$request.body.action`); non-JSON
 *   or unmatched messages go to `$default`. MOCK routes (`ping`) call nothing and answer nothing;
 *   AWS_PROXY routes invoke their Lambda, and a route with a route response sends the Lambda's
 *   `body` back. AWS (non-proxy) Lambda routes with `X-Amz-Invocation-Type: 'Event'` render their
 *   request template (the subset in request-template.ts), invoke the Lambda without waiting for
 *   it, and reply nothing, as API Gateway does for an asynchronous invocation.
 * - `$disconnect` is invoked once for every connection that was accepted, whoever closed it.
 * - Limits as API Gateway: 32 KB frames and 128 KB messages (close 1009), idle timeout and
 *   maximum connection duration (close 1001 "Going away").
 * - `/{stage}/@connections/{id}`: POST (send), GET (info), DELETE (close), SigV4 header auth,
 *   errors with `x-amzn-errortype` so @aws-sdk/client-apigatewaymanagementapi raises its typed
 *   exceptions (GoneException 410, PayloadTooLargeException 413, ForbiddenException 403,
 *   LimitExceededException 429). Latency and failures can be injected for benchmarks.
 *
 * - Route throttling as the stage declares it (`RouteSettings`, else `DefaultRouteSettings`): a token
 *   bucket per route (burst, rate per second), when enforced (`enforceThrottling`, off by default,
 *   because the load and fuzz suites send faster than the shipped limits on purpose). A throttled
 *   message reaches no integration and the client gets `{"message":"Too Many Requests",…}`; a
 *   throttled `$connect` gets HTTP 429. API Gateway applies its limits best effort and also per
 *   account and region; this is the per-route part only.
 * - `stats()` counts Lambda invocations per route and throttled requests, for cost figures.
 *
 * Not reproduced: custom and JWT authorizers, synchronous non-proxy integrations and VTL beyond the
 * subset above (refused at start), the 29 s integration timeout, reserved concurrency (the local
 * Lambda host runs every invocation).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from '../../../functions/protocol/websocket';
import { createLogger, type Logger } from '../../../functions/shared/logger';
import { type CredentialStore, DEV_ACCOUNT_ID } from '../credentials';
import { LocalAwsError, listen, readBody, sendJson, sendRestJsonError } from '../http';
import { SignatureError, signedRequestInput, verifyPresignedRequest, verifySignedRequest } from '../sigv4';
import { ExecuteApiError } from './errors';
import {
  type ApiInfo,
  type ConnectionOrigin,
  connectEvent,
  disconnectEvent,
  lambdaContext,
  messageEvent,
  newRequestId,
  type WebSocketLambda,
  type WebSocketProxyEvent,
} from './events';
import { FrameGuard } from './frame-guard';
import { type GatewayConfig, type GatewayRoute, INVOCATION_TYPE_PARAMETER } from './gateway-config';
import { compileRequestTemplate, type RequestTemplate } from './request-template';

/** One `@connections` call, as seen by the latency and fault hooks. */
export interface ConnectionsRequest {
  method: 'POST' | 'GET' | 'DELETE';
  connectionId: string;
  /** Size of the posted data (0 for GET/DELETE). */
  dataBytes: number;
}

/** An error the `@connections` API returns instead of doing the call. */
export interface ConnectionsFault {
  statusCode: number;
  /** `x-amzn-errortype`, e.g. `LimitExceededException`. */
  errorType: string;
  message?: string;
}

export interface ExecuteApiOptions {
  config: GatewayConfig;
  /** Lambdas by logical id (the template's AWS::Lambda::Function the integrations point at). */
  lambdas: Record<string, WebSocketLambda>;
  credentials: CredentialStore;
  region: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** @default 10 random lower-case letters and digits, like a real API id */
  apiId?: string;
  /** Close a connection after this long without a message from the client. @default 600000 (10 min) */
  idleTimeoutMs?: number;
  /** Close every connection after this long. @default 7200000 (2 h) */
  maxConnectionMs?: number;
  /** Delay added before each `@connections` answer (a number, or one per request). @default 0 */
  connectionsLatencyMs?: number | ((request: ConnectionsRequest) => number);
  /** Probability (0..1) that a POST fails with 429 LimitExceededException. @default 0 */
  connectionsFailureRate?: number;
  /** Decides a fault per `@connections` call (after auth); wins over `connectionsFailureRate`. */
  connectionsFault?: (request: ConnectionsRequest) => ConnectionsFault | undefined;
  /** Random source of `connectionsFailureRate`. @default Math.random */
  random?: () => number;
  /** Clock for SigV4 checks. @default Date.now */
  now?: () => number;
  /** Timeout reported by the Lambda context. @default 29000 (API Gateway's integration timeout) */
  lambdaTimeoutMs?: number;
  /** @default a JSON logger with service `local-execute-api` */
  logger?: Logger;
  /** Enforce the template's route throttling (see the file comment). @default false */
  enforceThrottling?: boolean;
}

export interface ExecuteApiStats {
  connects: number;
  rejectedConnects: number;
  disconnects: number;
  messages: number;
  posts: number;
  postedBytes: number;
  goneResponses: number;
  injectedFaults: number;
  /** Lambda invocations by route key (`$connect`, `$default`, `ask`, …), the MOCK routes' none. */
  lambdaInvocations: Record<string, number>;
  /** Requests refused by route throttling, by route key. */
  throttled: Record<string, number>;
}

export interface LocalExecuteApi {
  apiId: string;
  port: number;
  /** `ws://127.0.0.1:<port>/<stage>`, what a browser presigns and connects to. */
  webSocketUrl: string;
  /** `http://127.0.0.1:<port>/<stage>`, the ApiGatewayManagementApi endpoint. */
  callbackUrl: string;
  connectionIds(): string[];
  /** Closes a connection as DeleteConnection does; false when there is no such open connection. */
  closeConnection(connectionId: string): boolean;
  stats(): ExecuteApiStats;
  /** Turns route throttling on or off from now on (e.g. for a local stack started without it). */
  setThrottlingEnforced(enforced: boolean): void;
  stop(): Promise<void>;
}

interface Connection {
  origin: ConnectionOrigin;
  socket: WebSocket;
  lastActiveAt: number;
  idleTimer?: NodeJS.Timeout;
  maxTimer?: NodeJS.Timeout;
  /** Set when the gateway decided to close; its code/reason go into the `$disconnect` event. */
  closing?: { code: number; reason: string };
  terminateTimer?: NodeJS.Timeout;
}

const CLOSE_GOING_AWAY = 1001;
const CLOSE_TOO_BIG = 1009;
const CLOSE_NORMAL = 1000;
/** A closing socket whose peer does not answer the close frame is dropped after this long. */
const CLOSE_GRACE_MS = 1000;

export async function startExecuteApi(options: ExecuteApiOptions): Promise<LocalExecuteApi> {
  const { config, credentials, region } = options;
  validateOptions(options);
  const asyncTemplates = compileAsyncTemplates(config);
  const host = options.host ?? '127.0.0.1';
  const apiId = options.apiId ?? randomApiId();
  const idleTimeoutMs = options.idleTimeoutMs ?? 600_000;
  const maxConnectionMs = options.maxConnectionMs ?? 7_200_000;
  const now = options.now ?? Date.now;
  const random = options.random ?? Math.random;
  const lambdaTimeoutMs = options.lambdaTimeoutMs ?? 29_000;
  const logger = options.logger ?? createLogger({ service: 'local-execute-api' });
  const stage = config.stageName;

  const connections = new Map<string, Connection>();
  const pending = new Set<Promise<unknown>>();
  const chosenProtocols = new WeakMap<IncomingMessage, string>();
  const stats: ExecuteApiStats = {
    connects: 0,
    rejectedConnects: 0,
    disconnects: 0,
    messages: 0,
    posts: 0,
    postedBytes: 0,
    goneResponses: 0,
    injectedFaults: 0,
    lambdaInvocations: {},
    throttled: {},
  };
  let enforceThrottling = options.enforceThrottling ?? false;
  const buckets = new Map<string, TokenBucket>();
  /** Takes a token of the route's bucket; false when the route is throttled (counted). */
  function admitted(routeKey: string): boolean {
    if (!enforceThrottling) return true;
    const limits = { ...config.throttling, ...config.routes[routeKey]?.throttling };
    if (limits.burstLimit === undefined && limits.rateLimit === undefined) return true;
    let bucket = buckets.get(routeKey);
    if (!bucket) {
      bucket = new TokenBucket(limits.burstLimit ?? Number.POSITIVE_INFINITY, limits.rateLimit, now());
      buckets.set(routeKey, bucket);
    }
    if (bucket.take(now())) return true;
    stats.throttled[routeKey] = (stats.throttled[routeKey] ?? 0) + 1;
    return false;
  }
  let api: ApiInfo = { apiId, stage, domainName: host };
  let stopping = false;

  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
    handleProtocols: (_protocols, request) => chosenProtocols.get(request) ?? false,
  });
  const server = createServer((request, response) => {
    track(handleConnectionsRequest(request, response)).catch((error: unknown) => {
      logger.error('@connections request failed', { error });
      if (!response.headersSent)
        sendError(response, 500, 'InternalServerErrorException', 'Internal server error');
    });
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    track(handleUpgrade(request, socket, head)).catch((error: unknown) => {
      logger.error('WebSocket upgrade failed', { error });
      rejectUpgrade(socket, 500, { message: 'Internal server error' });
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());

  const { port } = await listen(server, options.port ?? 0, host);
  api = { apiId, stage, domainName: `${host}:${port}` };
  logger.info('local execute-api listening', { webSocketUrl: `ws://${host}:${port}/${stage}`, apiId });

  function track<T>(promise: Promise<T>): Promise<T> {
    pending.add(promise);
    promise.then(
      () => pending.delete(promise),
      () => pending.delete(promise),
    );
    return promise;
  }

  function countInvocation(routeKey: string): void {
    stats.lambdaInvocations[routeKey] = (stats.lambdaInvocations[routeKey] ?? 0) + 1;
  }

  async function invoke(route: GatewayRoute, event: WebSocketProxyEvent): Promise<unknown> {
    countInvocation(route.routeKey);
    const lambdaId = route.integration?.lambdaLogicalId as string;
    const lambda = options.lambdas[lambdaId] as WebSocketLambda;
    return lambda(event, lambdaContext(lambdaId, region, DEV_ACCOUNT_ID, lambdaTimeoutMs));
  }

  async function handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { path, query } = splitUrl(request.url);
    if (stopping || (path !== `/${stage}` && path !== `/${stage}/`)) {
      rejectUpgrade(socket, 403, { message: 'Forbidden' });
      return;
    }
    if (
      request.method !== 'GET' ||
      request.headers.upgrade?.toLowerCase() !== 'websocket' ||
      !request.headers['sec-websocket-key']
    ) {
      rejectUpgrade(socket, 400, { message: 'Bad Request' });
      return;
    }
    const route = config.routes.$connect;
    if (!admitted('$connect')) {
      stats.rejectedConnects += 1;
      rejectUpgrade(socket, 429, { message: 'Too Many Requests' });
      return;
    }
    const origin: ConnectionOrigin = {
      connectionId: newConnectionId(),
      connectedAt: now(),
      sourceIp: sourceIpOf(request),
      userAgent: request.headers['user-agent'] ?? null,
    };
    if (route?.authorizationType === 'AWS_IAM') {
      try {
        origin.caller = await verifyPresignedRequest(signedRequestInput(request), {
          credentials,
          service: 'execute-api',
          region,
          now,
          // Lenient on the port only: Lex Web UI 0.24.1 signs `host` = the URL's hostname without
          // the port (lex-web-ui/src/store/sigv4-handlers.js, signUrl), which real API Gateway
          // (port 443, none in Host) accepts; here the Host header carries our port. Both canonical
          // hosts are tried; see canonicalHostCandidates in ../sigv4.ts.
          acceptHostWithoutPort: true,
        });
      } catch (error) {
        if (!(error instanceof SignatureError)) throw error;
        stats.rejectedConnects += 1;
        logger.info('$connect refused: signature', { code: error.code, reason: error.message });
        rejectUpgrade(
          socket,
          error.statusCode,
          { message: error.message },
          { 'x-amzn-errortype': error.code },
        );
        return;
      }
    }
    if (route?.integration?.type === 'AWS_PROXY') {
      let result: unknown;
      try {
        result = await invoke(route, connectEvent(api, origin, request.rawHeaders, query, now()));
      } catch (error) {
        stats.rejectedConnects += 1;
        logger.warn('$connect Lambda failed', { connectionId: origin.connectionId, error });
        rejectUpgrade(socket, 502, { message: 'Internal server error' });
        return;
      }
      const { statusCode, body, headers } = proxyResult(result);
      if (statusCode < 200 || statusCode > 299) {
        stats.rejectedConnects += 1;
        logger.info('$connect refused by the Lambda', { connectionId: origin.connectionId, statusCode });
        rejectUpgrade(socket, statusCode, body ?? { message: STATUS_CODES[statusCode] ?? 'Forbidden' });
        return;
      }
      const protocol = headers['sec-websocket-protocol'];
      if (protocol) chosenProtocols.set(request, protocol);
    }
    if (socket.destroyed || !socket.writable || stopping) {
      // The client left while `$connect` ran; the Lambda may have stored the connection.
      disconnect(origin, 1006, 'Client went away before the upgrade completed');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(request, socket, head, (webSocket) => accept(origin, webSocket, socket));
  }

  function accept(origin: ConnectionOrigin, webSocket: WebSocket, rawSocket: Duplex): void {
    const connection: Connection = { origin, socket: webSocket, lastActiveAt: origin.connectedAt };
    connections.set(origin.connectionId, connection);
    stats.connects += 1;
    logger.debug('connected', { connectionId: origin.connectionId, sourceIp: origin.sourceIp });

    const guard = new FrameGuard(MAX_FRAME_BYTES, MAX_MESSAGE_BYTES);
    // Runs before ws parses the same bytes, so an oversized frame never reaches a route.
    rawSocket.prependListener('data', (chunk: Buffer) => {
      const violation = guard.feed(chunk);
      if (violation) {
        logger.info('closing connection: too big', { connectionId: origin.connectionId, ...violation });
        closeWith(
          connection,
          CLOSE_TOO_BIG,
          violation.kind === 'frame' ? 'Frame size too big' : 'Message too big',
        );
      }
    });
    connection.maxTimer = setTimeout(
      () => closeWith(connection, CLOSE_GOING_AWAY, 'Going away'),
      maxConnectionMs,
    );
    resetIdleTimer(connection);

    webSocket.on('message', (data: RawData, isBinary: boolean) => {
      if (connection.closing) return;
      track(handleMessage(connection, toBuffer(data), isBinary)).catch((error: unknown) =>
        logger.error('message handling failed', { connectionId: origin.connectionId, error }),
      );
    });
    webSocket.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
        connection.closing ??= { code: CLOSE_TOO_BIG, reason: 'Message too big' };
      }
      logger.debug('WebSocket error', { connectionId: origin.connectionId, error });
    });
    webSocket.on('close', (code: number, reason: Buffer) => {
      clearTimeout(connection.idleTimer);
      clearTimeout(connection.maxTimer);
      clearTimeout(connection.terminateTimer);
      connections.delete(origin.connectionId);
      const closedBy = connection.closing ?? { code, reason: reason.toString('utf8') };
      disconnect(origin, closedBy.code, closedBy.reason);
    });
  }

  function resetIdleTimer(connection: Connection): void {
    clearTimeout(connection.idleTimer);
    connection.idleTimer = setTimeout(
      () => closeWith(connection, CLOSE_GOING_AWAY, 'Going away'),
      idleTimeoutMs,
    );
  }

  /** Server-side close; the connection is gone for `@connections` at once. */
  function closeWith(connection: Connection, code: number, reason: string): void {
    if (connection.closing && connection.socket.readyState !== WebSocket.OPEN) return;
    connection.closing ??= { code, reason };
    connections.delete(connection.origin.connectionId);
    clearTimeout(connection.idleTimer);
    clearTimeout(connection.maxTimer);
    if (connection.socket.readyState === WebSocket.OPEN) connection.socket.close(code, reason);
    clearTimeout(connection.terminateTimer);
    connection.terminateTimer = setTimeout(() => connection.socket.terminate(), CLOSE_GRACE_MS);
  }

  function disconnect(origin: ConnectionOrigin, code: number, reason: string): void {
    stats.disconnects += 1;
    logger.debug('disconnected', { connectionId: origin.connectionId, code, reason });
    const route = config.routes.$disconnect;
    if (route?.integration?.type !== 'AWS_PROXY') return;
    track(invoke(route, disconnectEvent(api, origin, code, reason, now()))).catch((error: unknown) =>
      logger.warn('$disconnect Lambda failed', { connectionId: origin.connectionId, error }),
    );
  }

  async function handleMessage(connection: Connection, data: Buffer, isBinary: boolean): Promise<void> {
    stats.messages += 1;
    connection.lastActiveAt = now();
    resetIdleTimer(connection);
    const routeKey = selectRoute(config, isBinary ? undefined : data.toString('utf8'));
    const route = config.routes[routeKey];
    const { connectionId } = connection.origin;
    if (route && !admitted(routeKey)) {
      sendToClient(
        connection,
        JSON.stringify({ message: 'Too Many Requests', connectionId, requestId: newRequestId() }),
      );
      return;
    }
    if (!route) {
      sendToClient(
        connection,
        JSON.stringify({ message: 'Forbidden', connectionId, requestId: newRequestId() }),
      );
      return;
    }
    const event = messageEvent(api, connection.origin, routeKey, data, isBinary, now());
    const asyncTemplate = asyncTemplates.get(routeKey);
    if (asyncTemplate) {
      invokeAsync(connection, route, asyncTemplate, event, data);
      return;
    }
    if (route.integration?.type !== 'AWS_PROXY') return; // MOCK (`ping`): nothing invoked, nothing sent
    let result: unknown;
    try {
      result = await invoke(route, event);
    } catch (error) {
      logger.warn('route Lambda failed', { connectionId, routeKey, error });
      sendInternalError(connection, event.requestContext.requestId);
      return;
    }
    if (route.routeResponseKeys.length === 0) return;
    const { body } = proxyResult(result);
    if (body) sendToClient(connection, body);
  }

  /**
   * An asynchronous (Event) Lambda invocation: the payload is the rendered request template, which
   * must be JSON (Lambda refuses anything else, and API Gateway reports that as an internal error);
   * the Lambda runs on without the gateway waiting, and the client gets no reply.
   */
  function invokeAsync(
    connection: Connection,
    route: GatewayRoute,
    template: RequestTemplate,
    event: WebSocketProxyEvent,
    data: Buffer,
  ): void {
    const { connectionId } = connection.origin;
    const rendered = template.render({
      context: event.requestContext as unknown as Record<string, unknown>,
      body: data.toString('utf8'),
    });
    let payload: unknown;
    try {
      payload = JSON.parse(rendered);
    } catch (error) {
      logger.warn('request template did not render JSON; Lambda would refuse the payload', {
        connectionId,
        routeKey: route.routeKey,
        error,
      });
      sendInternalError(connection, event.requestContext.requestId);
      return;
    }
    const lambdaId = route.integration?.lambdaLogicalId as string;
    const lambda = options.lambdas[lambdaId] as WebSocketLambda;
    countInvocation(route.routeKey);
    track(
      lambda(
        payload as WebSocketProxyEvent,
        lambdaContext(lambdaId, region, DEV_ACCOUNT_ID, ASYNC_LAMBDA_TIMEOUT_MS),
      ),
    ).catch((error: unknown) =>
      logger.warn('asynchronously invoked Lambda failed', { connectionId, routeKey: route.routeKey, error }),
    );
  }

  /** What API Gateway sends a client when the route's integration failed; the socket stays open. */
  function sendInternalError(connection: Connection, requestId: string): void {
    const { connectionId } = connection.origin;
    sendToClient(connection, JSON.stringify({ message: 'Internal server error', connectionId, requestId }));
  }

  function sendToClient(connection: Connection, data: string | Buffer, binary = false): void {
    if (connection.closing || connection.socket.readyState !== WebSocket.OPEN) return;
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (bytes.length <= MAX_FRAME_BYTES) {
      connection.socket.send(bytes, { binary });
      return;
    }
    // Longer messages go out as continuation frames of at most 32 KB, as API Gateway sends them.
    for (let offset = 0; offset < bytes.length; offset += MAX_FRAME_BYTES) {
      const end = Math.min(bytes.length, offset + MAX_FRAME_BYTES);
      connection.socket.send(bytes.subarray(offset, end), { binary, fin: end === bytes.length });
    }
  }

  async function handleConnectionsRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const { path } = splitUrl(request.url);
    const segments = path.split('/');
    const connectionsSegment = safeDecode(segments[2] ?? '');
    const connectionId = safeDecode(segments[3] ?? '');
    const method = request.method ?? 'GET';
    if (
      segments.length !== 4 ||
      segments[0] !== '' ||
      segments[1] !== stage ||
      connectionsSegment !== '@connections' ||
      !connectionId
    ) {
      request.resume();
      sendError(response, 404, 'NotFoundException', 'Not Found');
      return;
    }
    if (method !== 'POST' && method !== 'GET' && method !== 'DELETE') {
      request.resume();
      sendError(
        response,
        405,
        'MethodNotAllowedException',
        `Method ${method} is not allowed on @connections`,
      );
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
        credentials,
        service: 'execute-api',
        region,
        now,
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
    const fault =
      options.connectionsFault?.(call) ??
      (method === 'POST' && (options.connectionsFailureRate ?? 0) > random()
        ? { statusCode: 429, errorType: 'LimitExceededException', message: 'Rate exceeded' }
        : undefined);
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
    if (method === 'POST') {
      stats.posts += 1;
      stats.postedBytes += body.length;
      sendToClient(connection, body, !isUtf8(body));
      sendJson(response, 200, undefined, { 'x-amzn-requestid': randomUUID() });
    } else if (method === 'GET') {
      sendJson(
        response,
        200,
        {
          connectedAt: new Date(connection.origin.connectedAt).toISOString(),
          identity: { sourceIp: connection.origin.sourceIp, userAgent: connection.origin.userAgent ?? '' },
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
        },
        { 'x-amzn-requestid': randomUUID() },
      );
    } else {
      closeWith(connection, CLOSE_NORMAL, '');
      sendJson(response, 204, undefined, { 'x-amzn-requestid': randomUUID() });
    }
  }

  return {
    apiId,
    port,
    webSocketUrl: `ws://${host}:${port}/${stage}`,
    callbackUrl: `http://${host}:${port}/${stage}`,
    connectionIds: () => [...connections.keys()],
    closeConnection(connectionId) {
      const connection = connections.get(connectionId);
      if (!connection) return false;
      closeWith(connection, CLOSE_NORMAL, '');
      return true;
    },
    stats: () => ({
      ...stats,
      lambdaInvocations: { ...stats.lambdaInvocations },
      throttled: { ...stats.throttled },
    }),
    setThrottlingEnforced(enforced) {
      enforceThrottling = enforced;
      buckets.clear();
    },
    async stop() {
      stopping = true;
      for (const connection of [...connections.values()])
        closeWith(connection, CLOSE_GOING_AWAY, 'Going away');
      const closed = [...wss.clients].map(
        (client) =>
          new Promise<void>((resolve) => {
            if (client.readyState === WebSocket.CLOSED) resolve();
            else client.once('close', () => resolve());
          }),
      );
      await Promise.all(closed);
      while (pending.size > 0) await Promise.allSettled([...pending]);
      wss.close();
      await new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      });
    },
  };
}

/** API Gateway's throttling: a bucket of `burst` tokens refilled at `ratePerSecond`. */
class TokenBucket {
  private tokens: number;
  private at: number;

  constructor(
    private readonly burst: number,
    private readonly ratePerSecond: number | undefined,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.at = nowMs;
  }

  take(nowMs: number): boolean {
    if (this.ratePerSecond !== undefined) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.at) / 1000) * this.ratePerSecond);
    }
    this.at = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

function validateOptions(options: ExecuteApiOptions): void {
  for (const route of Object.values(options.config.routes)) {
    if (route.authorizationType === 'CUSTOM' || route.authorizationType === 'JWT') {
      throw new ExecuteApiError(
        `route ${route.routeKey}: ${route.authorizationType} authorizers are not supported locally`,
      );
    }
    const lambdaId = route.integration?.lambdaLogicalId;
    const invokesLambda = route.integration?.type === 'AWS_PROXY' || route.integration?.type === 'AWS';
    if (invokesLambda && (!lambdaId || !options.lambdas[lambdaId])) {
      throw new ExecuteApiError(
        `route ${route.routeKey} invokes Lambda ${lambdaId ?? '(none)'}, which is not in lambdas (${Object.keys(options.lambdas).join(', ') || 'empty'})`,
      );
    }
    if (route.integration && !['AWS_PROXY', 'AWS', 'MOCK'].includes(route.integration.type)) {
      throw new ExecuteApiError(
        `route ${route.routeKey}: ${route.integration.type} integrations are not supported locally`,
      );
    }
  }
  const rate = options.connectionsFailureRate;
  if (rate !== undefined && !(rate >= 0 && rate <= 1)) {
    throw new ExecuteApiError(`connectionsFailureRate must be from 0 to 1, got ${rate}`);
  }
}

/** Context timeout of an asynchronously invoked Lambda (not bound by the integration timeout). */
const ASYNC_LAMBDA_TIMEOUT_MS = 900_000;

/**
 * The request template of every AWS (non-proxy) Lambda route, compiled at start. Only asynchronous
 * invocations (`X-Amz-Invocation-Type: 'Event'`) with one `$default` template are supported; anything
 * else is refused here, naming the route, instead of behaving differently from API Gateway later.
 */
function compileAsyncTemplates(config: GatewayConfig): Map<string, RequestTemplate> {
  const compiled = new Map<string, RequestTemplate>();
  for (const route of Object.values(config.routes)) {
    const integration = route.integration;
    if (integration?.type !== 'AWS') continue;
    const where = `route ${route.routeKey} (integration ${integration.logicalId})`;
    if (integration.invocationType !== 'Event') {
      throw new ExecuteApiError(
        `${where}: only asynchronous AWS Lambda integrations are supported locally (${INVOCATION_TYPE_PARAMETER}: "'Event'"), got ${integration.invocationType === undefined ? 'none' : `"'${integration.invocationType}'"`}`,
      );
    }
    const selection = integration.templateSelectionExpression;
    if (selection !== undefined && selection !== '\\$default' && selection !== '$default') {
      throw new ExecuteApiError(
        `${where}: TemplateSelectionExpression ${JSON.stringify(selection)} is not supported locally; use "\\$default"`,
      );
    }
    const template = integration.requestTemplates?.$default;
    if (template === undefined) {
      throw new ExecuteApiError(
        `${where}: needs a RequestTemplates "$default" entry to build the Lambda payload`,
      );
    }
    compiled.set(route.routeKey, compileRequestTemplate(template, where));
  }
  return compiled;
}

/** Route key for a message: the selection expression's value when a route has it, else `$default`. */
export function selectRoute(config: GatewayConfig, text: string | undefined): string {
  const match = /^\$request\.body\.(.+)$/.exec(config.routeSelectionExpression);
  if (match?.[1] && text !== undefined) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    for (const key of match[1].split('.')) {
      value =
        value && typeof value === 'object' && !Array.isArray(value)
          ? (value as Record<string, unknown>)[key]
          : undefined;
    }
    // Own keys only: an action named like an Object.prototype member ("constructor") is unknown.
    if (typeof value === 'string' && !value.startsWith('$') && Object.hasOwn(config.routes, value))
      return value;
  }
  return '$default';
}

function proxyResult(result: unknown): {
  statusCode: number;
  body?: string;
  headers: Record<string, string>;
} {
  if (!result || typeof result !== 'object') {
    return typeof result === 'string'
      ? { statusCode: 200, body: result, headers: {} }
      : { statusCode: 200, headers: {} };
  }
  const { statusCode, body, headers } = result as { statusCode?: unknown; body?: unknown; headers?: unknown };
  const lowerHeaders: Record<string, string> = {};
  if (headers && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers))
      if (typeof value === 'string') lowerHeaders[name.toLowerCase()] = value;
  }
  return {
    statusCode: typeof statusCode === 'number' ? statusCode : 200,
    body: typeof body === 'string' ? body : undefined,
    headers: lowerHeaders,
  };
}

function rejectUpgrade(
  socket: Duplex,
  statusCode: number,
  body: string | Record<string, unknown>,
  headers: Record<string, string> = {},
): void {
  if (socket.destroyed || !socket.writable) {
    socket.destroy();
    return;
  }
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const lines = [
    `HTTP/1.1 ${statusCode} ${STATUS_CODES[statusCode] ?? 'Error'}`,
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(text)}`,
    `x-amzn-RequestId: ${randomUUID()}`,
    ...Object.entries(headers).map(([name, value]) => `${name}: ${value}`),
    'Connection: close',
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${text}`);
}

/** An `@connections` error the management API client raises as its typed exception. */
function sendError(response: ServerResponse, statusCode: number, errorType: string, message: string): void {
  sendRestJsonError(response, randomUUID(), new LocalAwsError(statusCode, errorType, message));
}

function splitUrl(url: string | undefined): { path: string; query: URLSearchParams } {
  const raw = url ?? '/';
  const queryStart = raw.indexOf('?');
  return {
    path: queryStart === -1 ? raw : raw.slice(0, queryStart),
    query: new URLSearchParams(queryStart === -1 ? '' : raw.slice(queryStart + 1)),
  };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return '';
  }
}

function sourceIpOf(request: IncomingMessage): string {
  return (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
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

/** Connection ids look like API Gateway's (`L0SM9cOFvHcCIhw=`), minus `+` and `/`. */
function newConnectionId(): string {
  return randomBytes(11).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}

function randomApiId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(10), (byte) => alphabet[byte % alphabet.length]).join('');
}
