/**
 * `GET /{stage}` with `Upgrade: websocket`: the `$connect` handshake of the local execute-api.
 * An AWS_IAM `$connect` route checks the presigned SigV4 query (401/403 and no Lambda call on
 * failure), a throttled `$connect` gets HTTP 429, then the `$connect` Lambda decides: 2xx upgrades
 * (its `Sec-WebSocket-Protocol` header picks the subprotocol), anything else goes back to the client
 * as the HTTP status. An accepted socket is registered and guarded: frames over 32 KB and messages
 * over 128 KB close it (1009) before a route sees them; its messages go to `onMessage`, and its
 * close, whoever closes, to `$disconnect`.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { MAX_FRAME_BYTES, MAX_MESSAGE_BYTES } from '../../../functions/protocol/websocket';
import { splitUrl } from '../http';
import { SignatureError, signedRequestInput, verifyPresignedRequest } from '../sigv4';
import { CLOSE_TOO_BIG, type Connection } from './connections';
import { type ConnectionOrigin, connectEvent, proxyResult } from './events';
import { FrameGuard } from './frame-guard';
import type { Gateway } from './gateway';

/** Handles one message of an accepted connection (the message router). */
export type MessageHandler = (connection: Connection, data: Buffer, isBinary: boolean) => Promise<void>;

export class ConnectHandler {
  /** The upgrade's WebSocket server; its clients are every accepted socket. */
  readonly wss: WebSocketServer;
  /** Subprotocol the `$connect` Lambda chose, per upgrade request. */
  private readonly chosenProtocols = new WeakMap<IncomingMessage, string>();

  constructor(
    private readonly gateway: Gateway,
    private readonly onMessage: MessageHandler,
  ) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: MAX_MESSAGE_BYTES,
      perMessageDeflate: false,
      handleProtocols: (_protocols, request) => this.chosenProtocols.get(request) ?? false,
    });
  }

  async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const { config, stats, logger, now, options } = this.gateway;
    const { path, query } = splitUrl(request.url);
    const stage = config.stageName;
    if (this.gateway.stopping || (path !== `/${stage}` && path !== `/${stage}/`)) {
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
    if (!this.gateway.throttle.admit('$connect')) {
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
          credentials: options.credentials,
          service: 'execute-api',
          region: options.region,
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
        result = await this.gateway.invoke(
          route,
          connectEvent(this.gateway.api, origin, request.rawHeaders, query, now()),
        );
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
      if (protocol) this.chosenProtocols.set(request, protocol);
    }
    if (socket.destroyed || !socket.writable || this.gateway.stopping) {
      // The client left while `$connect` ran; the Lambda may have stored the connection.
      this.gateway.disconnect(origin, 1006, 'Client went away before the upgrade completed');
      socket.destroy();
      return;
    }
    this.wss.handleUpgrade(request, socket, head, (webSocket) => this.accept(origin, webSocket, socket));
  }

  /** Resolves once every accepted socket has closed (after the gateway closed them). */
  async socketsClosed(): Promise<void> {
    const closed = [...this.wss.clients].map(
      (client) =>
        new Promise<void>((resolve) => {
          if (client.readyState === WebSocket.CLOSED) resolve();
          else client.once('close', () => resolve());
        }),
    );
    await Promise.all(closed);
  }

  private accept(origin: ConnectionOrigin, webSocket: WebSocket, rawSocket: Duplex): void {
    const { connections, stats, logger } = this.gateway;
    const connection = connections.add(origin, webSocket);
    stats.connects += 1;
    logger.debug('connected', { connectionId: origin.connectionId, sourceIp: origin.sourceIp });

    const guard = new FrameGuard(MAX_FRAME_BYTES, MAX_MESSAGE_BYTES);
    // Runs before ws parses the same bytes, so an oversized frame never reaches a route.
    rawSocket.prependListener('data', (chunk: Buffer) => {
      const violation = guard.feed(chunk);
      if (violation) {
        logger.info('closing connection: too big', { connectionId: origin.connectionId, ...violation });
        connections.closeWith(
          connection,
          CLOSE_TOO_BIG,
          violation.kind === 'frame' ? 'Frame size too big' : 'Message too big',
        );
      }
    });

    webSocket.on('message', (data: RawData, isBinary: boolean) => {
      if (connection.closing) return;
      this.gateway
        .track(this.onMessage(connection, toBuffer(data), isBinary))
        .catch((error: unknown) =>
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
      connections.forget(connection);
      const closedBy = connection.closing ?? { code, reason: reason.toString('utf8') };
      this.gateway.disconnect(origin, closedBy.code, closedBy.reason);
    });
  }
}

/** Answers an upgrade request with an HTTP error (JSON body, as API Gateway) and closes the socket. */
export function rejectUpgrade(
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

function sourceIpOf(request: IncomingMessage): string {
  return (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** Connection ids look like API Gateway's (`L0SM9cOFvHcCIhw=`), minus `+` and `/`. */
function newConnectionId(): string {
  return randomBytes(11).toString('base64').replace(/\+/g, '-').replace(/\//g, '_');
}
