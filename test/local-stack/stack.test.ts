/**
 * The whole loop on the local stack, as a browser would drive it: Cognito credentials, a presigned
 * socket, a question through Lex, the answer streamed over the socket before Lex returns it.
 */
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
} from '@aws-sdk/client-cognito-identity';
import { LexRuntimeV2Client, RecognizeTextCommand } from '@aws-sdk/client-lex-runtime-v2';
import WebSocket from 'ws';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import type { Frame } from '../../functions/protocol/frames';
import { SessionTable } from '../../functions/shared/session-table';
import { presignWebSocketUrl } from '../../web-plugin/signer';

let stack: LocalStack;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  stack = await startLocalStack({ modelBehaviour: { timeToFirstTokenMs: 100, tokensPerSecond: 120 } });
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  await stack.stop();
});

interface Visitor {
  identityId: string;
  credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string };
}

async function newVisitor(): Promise<Visitor> {
  const cognito = new CognitoIdentityClient({
    endpoint: stack.endpoints.cognitoIdentity,
    region: stack.endpoints.region,
  });
  try {
    const { IdentityId } = await cognito.send(
      new GetIdCommand({ IdentityPoolId: stack.endpoints.identityPoolId }),
    );
    const { Credentials } = await cognito.send(new GetCredentialsForIdentityCommand({ IdentityId }));
    return {
      identityId: IdentityId as string,
      credentials: {
        accessKeyId: Credentials?.AccessKeyId as string,
        secretAccessKey: Credentials?.SecretKey as string,
        sessionToken: Credentials?.SessionToken as string,
      },
    };
  } finally {
    cognito.destroy();
  }
}

interface OpenSocket {
  socket: WebSocket;
  frames: { frame: Frame; at: number }[];
}

async function openSocket(visitor: Visitor, sessionId = visitor.identityId): Promise<OpenSocket> {
  const url = await presignWebSocketUrl({
    endpoint: stack.endpoints.webSocketUrl,
    sessionId,
    protocol: 'json',
    credentials: visitor.credentials,
    region: stack.endpoints.region,
  });
  const socket = new WebSocket(url);
  sockets.push(socket);
  const frames: OpenSocket['frames'] = [];
  socket.on('message', (data) => frames.push({ frame: JSON.parse(String(data)) as Frame, at: Date.now() }));
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_request, response) =>
      reject(new Error(`connect refused with HTTP ${response.statusCode}`)),
    );
    socket.once('error', reject);
  });
  return { socket, frames };
}

async function ask(visitor: Visitor, text: string) {
  const lex = new LexRuntimeV2Client({
    endpoint: stack.endpoints.lexRuntime,
    region: stack.endpoints.region,
    credentials: visitor.credentials,
  });
  try {
    const response = await lex.send(
      new RecognizeTextCommand({
        botId: stack.endpoints.botId,
        botAliasId: stack.endpoints.botAliasId,
        localeId: stack.endpoints.localeId,
        sessionId: visitor.identityId,
        text,
      }),
    );
    return { response, at: Date.now() };
  } finally {
    lex.destroy();
  }
}

async function until(check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('streams the answer over the socket before Lex returns the same answer', async () => {
  // Prepare
  const visitor = await newVisitor();
  const { frames } = await openSocket(visitor);

  // Act
  const { response, at: lexAnsweredAt } = await ask(visitor, 'How does streaming reach the browser?');
  await until(() => frames.some(({ frame }) => frame.type === 'end'));

  // Assess
  const finalText = response.messages?.[0]?.content ?? '';
  const deltas = frames.filter(({ frame }) => frame.type === 'delta');
  const streamed = deltas.map(({ frame }) => (frame.type === 'delta' ? frame.text : '')).join('');
  expect(finalText.length).toBeGreaterThan(20);
  expect(streamed).toBe(finalText);
  expect(deltas.length).toBeGreaterThan(1);
  expect(deltas[0]?.at).toBeLessThan(lexAnsweredAt);
  expect(frames.map(({ frame }) => frame.seq)).toEqual(frames.map((_, index) => index));
  expect(frames[0]?.frame.type).toBe('start');
});

it("refuses a socket for another visitor's session with 403, so nobody can read someone else's stream", async () => {
  // Prepare
  const owner = await newVisitor();
  const intruder = await newVisitor();

  // Act / Assess
  await expect(openSocket(intruder, owner.identityId)).rejects.toThrow('connect refused with HTTP 403');
});

it('forgets the connection when the socket closes', async () => {
  // Prepare
  const visitor = await newVisitor();
  const { socket } = await openSocket(visitor);
  const client = stack.dynamodb.client();
  const sessions = new SessionTable({ client, tableName: stack.endpoints.tableName, ttlSeconds: 7800 });
  const before = await sessions.listConnections(visitor.identityId);

  // Act
  socket.close();
  let left = before;
  const deadline = Date.now() + 3000;
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    left = await sessions.listConnections(visitor.identityId);
  }
  client.destroy();

  // Assess
  expect(before).toHaveLength(1);
  expect(left).toEqual([]);
});
