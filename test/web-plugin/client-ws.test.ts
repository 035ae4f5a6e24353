/**
 * StreamingClient against a real `ws` WebSocketServer on 127.0.0.1 that checks the presigned
 * query like API Gateway's `$connect` does: a valid SigV4 signature, `sessionId` bound to the
 * caller's identity, `protocol` signed in. A failed check answers 403.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer } from 'ws';
import {
  CONNECTION_REFUSED_MESSAGE,
  StreamingClient,
  type StreamingClientOptions,
} from '../../web-plugin/client';
import { verifyPresignedUrl } from './sigv4-reference';

const CREDENTIALS = {
  accessKeyId: 'ASIALOCALTEST0000001',
  secretAccessKey: 'local-test-secret-key',
  sessionToken: 'local-session-token',
};
const IDENTITY_ID = 'us-east-1:11111111-2222-3333-4444-555555555555';

interface Handshake {
  params: Record<string, string>;
  socket: WebSocket;
}

let server: WebSocketServer;
let endpoint: string;
const handshakes: Handshake[] = [];
const received: string[] = [];
const clients: StreamingClient[] = [];

function checkConnect(
  request: IncomingMessage,
): { ok: true; params: Record<string, string> } | { ok: false } {
  const url = `ws://${request.headers.host}${request.url}`;
  if (!new URL(url).pathname.startsWith('/Prod')) return { ok: false };
  const result = verifyPresignedUrl(url, {
    secretAccessKey: CREDENTIALS.secretAccessKey,
    service: 'execute-api',
    region: 'us-east-1',
  });
  // The identity bound to these credentials is IDENTITY_ID: another session id is refused.
  const ok =
    result.valid &&
    result.params['X-Amz-Security-Token'] === CREDENTIALS.sessionToken &&
    result.params.sessionId === IDENTITY_ID;
  return ok ? { ok: true, params: result.params } : { ok: false };
}

beforeAll(async () => {
  server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    verifyClient: (info, done) => (checkConnect(info.req).ok ? done(true) : done(false, 403, 'Forbidden')),
  });
  server.on('connection', (socket, request) => {
    const check = checkConnect(request);
    if (check.ok) handshakes.push({ params: check.params, socket });
    socket.on('message', (data) => received.push(String(data)));
  });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  endpoint = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/Prod`;
});

afterEach(() => {
  for (const client of clients.splice(0)) client.close();
  handshakes.length = 0;
  received.length = 0;
});

afterAll(async () => {
  for (const socket of server.clients) socket.terminate();
  await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
});

function makeClient(options: Partial<StreamingClientOptions> = {}): StreamingClient {
  const client = new StreamingClient({
    endpoint,
    sessionId: IDENTITY_ID,
    region: 'us-east-1',
    credentials: async () => ({ ...CREDENTIALS, expiration: new Date(Date.now() + 3600_000) }),
    WebSocket,
    initialBackoffMs: 20,
    ...options,
  });
  clients.push(client);
  return client;
}

const waitFor = async (condition: () => boolean, what: string): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

it('connects with sessionId and protocol inside the signed query and streams a turn', async () => {
  // Prepare
  const client = makeClient();
  const texts: string[] = [];
  const ends: string[] = [];
  client.on('delta', (frame) => texts.push(frame.text));
  client.on('end', (frame) => ends.push(frame.stopReason));

  // Act
  await client.connect();
  await waitFor(() => handshakes.length === 1, 'the handshake');
  const { params, socket } = handshakes[0] as Handshake;
  for (const frame of [
    { v: 1, type: 'start', turnId: 'turn-1', seq: 0 },
    { v: 1, type: 'delta', turnId: 'turn-1', seq: 1, text: 'Streaming ' },
    { v: 1, type: 'delta', turnId: 'turn-1', seq: 2, text: 'works.' },
    { v: 1, type: 'end', turnId: 'turn-1', seq: 3, stopReason: 'end_turn', totalMs: 42 },
  ]) {
    socket.send(JSON.stringify(frame));
  }
  await waitFor(() => ends.length === 1, 'the end frame');
  client.cancel();
  await waitFor(() => received.length === 1, 'the cancel action');

  // Assess
  expect(params).toMatchObject({ sessionId: IDENTITY_ID, protocol: 'json', 'X-Amz-Expires': '60' });
  expect(params['X-Amz-Credential']).toMatch(
    /^ASIALOCALTEST0000001\/\d{8}\/us-east-1\/execute-api\/aws4_request$/,
  );
  expect(texts.join('')).toBe('Streaming works.');
  expect(received).toEqual(['{"action":"cancel"}']);
});

it('reports "connection refused" when $connect answers 403 (session id is not the identity id)', async () => {
  // Prepare
  const client = makeClient({ sessionId: 'someone-elses-session', maxConsecutiveFailures: 1 });
  const errors: string[] = [];
  client.on('error', (error) => errors.push(error.message));

  // Act
  const outcome = await client.connect().catch((error: Error & { code?: string }) => error);

  // Assess
  expect(errors[0]).toBe(`${CONNECTION_REFUSED_MESSAGE} (HTTP 403)`);
  expect(outcome).toMatchObject({ code: 'GAVE_UP' });
  expect(handshakes).toHaveLength(0);
});

it('reconnects with a new presigned URL when the server drops the socket, and keeps streaming', async () => {
  // Prepare
  const client = makeClient({ protocol: 'text' });
  const texts: string[] = [];
  const closes: boolean[] = [];
  client.on('delta', (frame) => texts.push(frame.text));
  client.on('close', (event) => closes.push(event.willReconnect));
  await client.connect();
  await waitFor(() => handshakes.length === 1, 'the first handshake');

  // Act
  (handshakes[0] as Handshake).socket.terminate();
  await waitFor(() => handshakes.length === 2, 'the reconnect');
  (handshakes[1] as Handshake).socket.send('after reconnect');
  await waitFor(() => texts.length === 1, 'text over the new socket');

  // Assess
  expect(closes).toEqual([true]);
  expect((handshakes[1] as Handshake).params.protocol).toBe('text');
  expect(texts).toEqual(['after reconnect']);
});
