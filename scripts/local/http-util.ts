/**
 * Small HTTP/1.1 helpers shared by the local AWS doubles (Cognito Identity, Lex V2 runtime):
 * listening on a chosen host/port, reading a bounded body, answering JSON, and one error type
 * that carries the AWS error code and HTTP status a double puts on the wire.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QnaStreamingError } from '../../functions/shared/errors';

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

export interface ListeningServer {
  host: string;
  port: number;
  /** `http://host:port`, what an SDK client takes as `endpoint`. */
  endpoint: string;
}

/** Starts `server` on `host:port` (port 0 picks a free one) and says where it listens. */
export async function listen(server: Server, host: string, port: number): Promise<ListeningServer> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const urlHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { host: address.address, port: address.port, endpoint: `http://${urlHost}:${address.port}` };
}

/** Stops accepting, drops keep-alive sockets (SDK clients keep them open) and waits for the close. */
export function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}

/** The whole request body, refusing more than `limit` bytes with a 413. */
export async function readBody(request: IncomingMessage, limit = MAX_REQUEST_BODY_BYTES): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > limit) {
      throw new LocalAwsError(413, 'RequestEntityTooLargeException', `request body exceeds ${limit} bytes`);
    }
    chunks.push(buffer);
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

export function sendJson(
  response: ServerResponse,
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  const payload = Buffer.from(JSON.stringify(body), 'utf8');
  response.writeHead(statusCode, {
    'content-type': 'application/json',
    'content-length': String(payload.length),
    ...headers,
  });
  response.end(payload);
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
