/**
 * The browser side of a benchmark run, as the chat page drives it: a Cognito visitor (its identity
 * id is the Lex session id) and a presigned `text`-protocol socket that timestamps every message.
 */
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
} from '@aws-sdk/client-cognito-identity';
import WebSocket from 'ws';
import type { LocalEndpoints } from '../../cli/local-stack/endpoints';
import type { Protocol } from '../../functions/protocol/websocket';
import { presignWebSocketUrl, type SigningCredentials } from '../../web-plugin/signer';
import { BenchError } from './errors';
import type { ReceivedFrame } from './measure';

export interface Visitor {
  /** Cognito identity id, used as the Lex session id. */
  sessionId: string;
  credentials: Required<SigningCredentials>;
}

export async function newVisitor(endpoints: LocalEndpoints): Promise<Visitor> {
  const cognito = new CognitoIdentityClient({
    endpoint: endpoints.cognitoIdentity,
    region: endpoints.region,
  });
  try {
    const { IdentityId } = await cognito.send(new GetIdCommand({ IdentityPoolId: endpoints.identityPoolId }));
    const { Credentials } = await cognito.send(new GetCredentialsForIdentityCommand({ IdentityId }));
    if (!IdentityId || !Credentials?.AccessKeyId || !Credentials.SecretKey || !Credentials.SessionToken) {
      throw new BenchError('the local Cognito Identity double returned no identity or credentials');
    }
    return {
      sessionId: IdentityId,
      credentials: {
        accessKeyId: Credentials.AccessKeyId,
        secretAccessKey: Credentials.SecretKey,
        sessionToken: Credentials.SessionToken,
      },
    };
  } finally {
    cognito.destroy();
  }
}

export interface RecordingSocket {
  /** Every message so far, with its arrival time. */
  readonly frames: ReceivedFrame[];
  /** All text received so far. */
  text(): string;
  /** Resolves once `length` characters have arrived; rejects after `timeoutMs`. */
  waitForLength(length: number, timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

export interface OpenSocketOptions {
  endpoints: LocalEndpoints;
  visitor: Visitor;
  /** @default 'text' (what Lex Web UI speaks, and the naive publisher posts) */
  protocol?: Protocol;
  /** @default () => performance.now() */
  clock?: () => number;
}

export async function openRecordingSocket(options: OpenSocketOptions): Promise<RecordingSocket> {
  const clock = options.clock ?? (() => performance.now());
  const url = await presignWebSocketUrl({
    endpoint: options.endpoints.webSocketUrl,
    sessionId: options.visitor.sessionId,
    protocol: options.protocol ?? 'text',
    credentials: options.visitor.credentials,
    region: options.endpoints.region,
  });
  const socket = new WebSocket(url);
  const frames: ReceivedFrame[] = [];
  let received = 0;
  let onProgress: (() => void) | undefined;
  socket.on('message', (data) => {
    const text = String(data);
    frames.push({ text, at: clock() });
    received += text.length;
    onProgress?.();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) =>
      reject(new BenchError(`the local gateway refused the socket with HTTP ${response.statusCode}`)),
    );
    socket.once('error', (error) => reject(new BenchError('the socket failed to open', { cause: error })));
  });
  return {
    frames,
    text: () => frames.map((frame) => frame.text).join(''),
    waitForLength: (length, timeoutMs) =>
      new Promise<void>((resolve, reject) => {
        if (received >= length) {
          resolve();
          return;
        }
        const timer = setTimeout(() => {
          onProgress = undefined;
          reject(
            new BenchError(`the client received ${received} of ${length} characters in ${timeoutMs} ms`),
          );
        }, timeoutMs);
        onProgress = () => {
          if (received < length) return;
          clearTimeout(timer);
          onProgress = undefined;
          resolve();
        };
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) {
          resolve();
          return;
        }
        socket.once('close', () => resolve());
        socket.close();
      }),
  };
}
