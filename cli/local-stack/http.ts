/**
 * The HTTP plumbing of the local AWS doubles (Cognito Identity, Lex V2 runtime, Bedrock,
 * execute-api), in one place: listening (one port serving HTTP/1.1 and cleartext HTTP/2, or a plain
 * `node:http` server), reading a bounded body, answering JSON and restJson errors, and one error
 * type that carries the AWS error code and HTTP status a double puts on the wire.
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttp1Server, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  createServer as createHttp2Server,
  type Http2ServerRequest,
  type Http2ServerResponse,
  type ServerHttp2Session,
} from 'node:http2';
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net';
import { QnaStreamingError } from '../../functions/protocol/errors';

/** A failure a local AWS double reports to its caller as an AWS error (`code` is the `__type`). */
export class LocalAwsError extends QnaStreamingError {
  readonly statusCode: number;
  readonly code: string;

  constructor(statusCode: number, code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LocalAwsError';
    this.statusCode = statusCode;
    this.code = code;
  }
}

/** AWS refuses bodies this large long before; a double never needs more. */
export const MAX_REQUEST_BODY_BYTES = 1024 * 1024;

/** A request as either protocol delivers it (the fields the doubles read). */
export type LocalRequest = IncomingMessage | Http2ServerRequest;

/** What a JSON answer writes: status line and headers, then the whole body. */
export interface JsonResponse {
  writeHead(statusCode: number, headers: Record<string, string>): unknown;
  end(data: Uint8Array): unknown;
}

/** The part of a response (HTTP/1.1 or HTTP/2 compatibility API) the doubles write. */
export interface LocalResponse extends JsonResponse {
  readonly headersSent: boolean;
  setHeader(name: string, value: string): unknown;
  destroy(): unknown;
}

export type LocalRequestHandler = (request: LocalRequest, response: LocalResponse) => void;

export interface LocalServer {
  host: string;
  port: number;
  /** `http://host:port`, what an SDK client takes as `endpoint`. */
  endpoint: string;
  /** Stops accepting and drops every open connection (SDK clients keep them alive). */
  close(): Promise<void>;
}

/** First bytes of the HTTP/2 connection preface (`PRI * HTTP/2.0`); no HTTP/1.1 method starts so. */
const HTTP2_PREFACE_START = Buffer.from('PRI');

/** A request handler for both protocols' compatibility APIs (what a streaming double needs). */
export type DualProtocolHandler = (
  request: IncomingMessage | Http2ServerRequest,
  response: ServerResponse | Http2ServerResponse,
) => void;

/**
 * Serves HTTP/1.1 and cleartext HTTP/2 (prior knowledge) on one port. Browsers speak HTTP/1.1 to
 * `http://`, while Node SDK clients (Lex V2 runtime, Bedrock runtime) default to HTTP/2, so a
 * double that both call needs both; Node 20's http2 server only offers `allowHTTP1` with TLS. The
 * first bytes of each connection pick the protocol.
 */
export async function listenHttp1AndHttp2(
  handler: DualProtocolHandler,
  host: string,
  port: number,
): Promise<LocalServer> {
  const http1 = createHttp1Server(handler);
  const http2 = createHttp2Server(handler);
  const sockets = new Set<Socket>();
  const sessions = new Set<ServerHttp2Session>();
  http2.on('session', (session) => {
    sessions.add(session);
    session.once('close', () => sessions.delete(session));
  });
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    const dropBeforeDispatch = () => socket.destroy();
    socket.on('error', dropBeforeDispatch);
    socket.once('data', (chunk: Buffer) => {
      socket.pause();
      socket.unshift(chunk);
      socket.off('error', dropBeforeDispatch);
      if (chunk.subarray(0, HTTP2_PREFACE_START.length).equals(HTTP2_PREFACE_START)) {
        // The HTTP/2 session reads the unshifted bytes itself; resuming here would steal them.
        http2.emit('connection', socket);
      } else {
        http1.emit('connection', socket);
        socket.resume();
      }
    });
  });
  const address = await listen(server, port, host);
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    host: address.address,
    port: address.port,
    endpoint: `http://${urlHost}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        for (const session of sessions) session.destroy();
        for (const socket of sockets) socket.destroy();
      }),
  };
}

/** Starts `server` listening on `host:port` (0: a free port); rejects if it cannot (port taken). */
export async function listen(server: Server, port: number, host: string): Promise<AddressInfo> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server.address() as AddressInfo;
}

/** A JSON double (Cognito Identity, Lex V2 runtime) on both protocols, answering CORS like AWS. */
export function startLocalServer(
  handler: LocalRequestHandler,
  host: string,
  port: number,
): Promise<LocalServer> {
  return listenHttp1AndHttp2(corsHandler(handler), host, port);
}

/** Headers a browser may read from a cross-origin answer (the SDK reads the request id and error type). */
const EXPOSED_HEADERS = 'x-amzn-requestid, x-amzn-errortype, x-amz-request-id, date';

/**
 * CORS as the real Cognito Identity and Lex runtime endpoints answer it: any origin, preflight
 * (`OPTIONS`, unsigned) answered before auth, so a page on another local port can call the double.
 */
function corsHandler(handler: LocalRequestHandler): LocalRequestHandler {
  return (request, response) => {
    response.setHeader('access-control-allow-origin', '*');
    response.setHeader('access-control-expose-headers', EXPOSED_HEADERS);
    if (request.method === 'OPTIONS' && request.headers['access-control-request-method']) {
      const requested = request.headers['access-control-request-headers'];
      response.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, PUT, DELETE',
        'access-control-allow-headers': typeof requested === 'string' && requested ? requested : '*',
        'access-control-max-age': '86400',
      });
      response.end(new Uint8Array());
      return;
    }
    handler(request, response);
  };
}

/** Host the client addressed: `host` (HTTP/1.1, or sent explicitly over HTTP/2) else `:authority`. */
export function requestHost(request: LocalRequest): string {
  const host = request.headers.host ?? request.headers[':authority'];
  return typeof host === 'string' ? host : '';
}

/** A request target split into its path and query (`/a/b?x=1` → `/a/b`, `x=1`). */
export function splitUrl(url: string | undefined): { path: string; query: URLSearchParams } {
  const raw = url ?? '/';
  const queryStart = raw.indexOf('?');
  return {
    path: queryStart === -1 ? raw : raw.slice(0, queryStart),
    query: new URLSearchParams(queryStart === -1 ? '' : raw.slice(queryStart + 1)),
  };
}

/** How `readBody` bounds a body, and what it answers a larger one with. */
export interface BodyLimit {
  /** @default MAX_REQUEST_BODY_BYTES */
  readonly limit?: number;
  /** The 413's error type. @default 'RequestEntityTooLargeException' */
  readonly tooLargeCode?: string;
  /** @default `request body exceeds ${limit} bytes` */
  readonly tooLargeMessage?: string;
}

/**
 * The whole request body (HTTP/1.1 or HTTP/2 alike), refusing more than `limit` bytes with a 413.
 * A larger body is read to its end and discarded (memory stays bounded), so the client, still
 * sending, gets the 413 answer instead of a reset connection.
 */
export async function readBody(request: AsyncIterable<unknown>, bounds: BodyLimit = {}): Promise<Buffer> {
  const limit = bounds.limit ?? MAX_REQUEST_BODY_BYTES;
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size <= limit) chunks.push(buffer);
  }
  if (size > limit) {
    throw new LocalAwsError(
      413,
      bounds.tooLargeCode ?? 'RequestEntityTooLargeException',
      bounds.tooLargeMessage ?? `request body exceeds ${limit} bytes`,
    );
  }
  return Buffer.concat(chunks);
}

/** Parses a JSON object body; an empty body is `{}`. Anything else is the caller's 400. */
export function parseJsonObject(body: Buffer, errorCode: string): Record<string, unknown> {
  if (body.length === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new LocalAwsError(400, errorCode, 'request body is not valid JSON', { cause: error });
  }
  if (!isRecord(value)) throw new LocalAwsError(400, errorCode, 'request body must be a JSON object');
  return value;
}

/** A JSON answer with its length; no `body` sends an empty one (e.g. a 204). */
export function sendJson(
  response: JsonResponse,
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = Buffer.from(body === undefined ? '' : JSON.stringify(body), 'utf8');
  response.writeHead(statusCode, {
    'content-type': 'application/json',
    'content-length': String(payload.length),
    ...headers,
  });
  response.end(payload);
}

/**
 * A restJson1 error (Lex V2 runtime, Bedrock, API Gateway management): the SDK reads the error name
 * from `x-amzn-errortype` and the text from the body's `message`.
 */
export function sendRestJsonError(response: JsonResponse, requestId: string, error: LocalAwsError): void {
  sendJson(
    response,
    error.statusCode,
    { message: error.message },
    { 'x-amzn-requestid': requestId, 'x-amzn-errortype': error.code },
  );
}

/** The `x-amzn-RequestId` every AWS answer carries. */
export function newRequestId(): string {
  return randomUUID();
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A `map<string, string>` as AWS models it: a plain object whose values are all strings. */
export function isStringMap(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((entry) => typeof entry === 'string');
}
