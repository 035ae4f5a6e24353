/**
 * The browser StreamingClient reading status and error frames the real publisher sends: the local
 * stack's execute-api (real connection routes, dynalite session table) and Bedrock double, the
 * client signing in with the dev credentials over the `ws` package's WebSocket.
 */
import WebSocket from 'ws';
import { LOCAL_MODEL_ID } from '../../cli/local-stack/bedrock/models';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import { STATUS_MESSAGES } from '../../functions/protocol/frames';
import { publishAnswer, type StreamResult } from '../../functions/streaming/pipeline/publisher';
import { converseInputForQuestion, converseStreamSource } from '../../functions/streaming/sources/converse';
import { StreamingClient, type StreamingClientEvents } from '../../web-plugin/client';
import type { WebSocketConstructor } from '../../web-plugin/client-types';
import { REGION } from '../local-execute-api/helpers';
import { type LocalStack, quiet, startLocalStack, waitUntil } from '../publisher/local-stack';

let stack: LocalStack;
let client: StreamingClient | undefined;
let sessionCounter = 0;

beforeAll(async () => {
  stack = await startLocalStack();
});

beforeEach(() => {
  stack.bedrock.setBehaviour({
    timeToFirstTokenMs: 50,
    tokensPerSecond: 200,
    answerTokens: 40,
    throttleRequests: 0,
    failAfterTokens: undefined,
  });
});

afterEach(() => {
  client?.close();
  client = undefined;
});

afterAll(async () => {
  await stack.stop();
});

type Seen = { [K in keyof StreamingClientEvents]: { name: K; payload: StreamingClientEvents[K] } }[
  | 'start'
  | 'status'
  | 'delta'
  | 'end'
  | 'error'
  | 'gap'];

/** A connected client of a new session, recording its turn events in order. */
async function connectedClient(): Promise<{ sessionId: string; seen: Seen[] }> {
  sessionCounter++;
  const sessionId = `status-client-${sessionCounter}-${Date.now()}`;
  const seen: Seen[] = [];
  client = new StreamingClient({
    endpoint: stack.gateway.webSocketUrl,
    sessionId,
    region: REGION,
    credentials: async () => ({ ...DEV_CREDENTIALS }),
    WebSocket: WebSocket as unknown as WebSocketConstructor,
  });
  for (const name of ['start', 'status', 'delta', 'end', 'error', 'gap'] as const) {
    client.on(name, (payload) => seen.push({ name, payload } as Seen));
  }
  // Resolves once the socket is open, that is after $connect registered it in the session table.
  await client.connect();
  return { sessionId, seen };
}

function ask(sessionId: string, maxAttempts = 4): Promise<StreamResult> {
  return publishAnswer({
    sessionId,
    source: converseStreamSource(
      stack.bedrockClient,
      converseInputForQuestion({ modelId: LOCAL_MODEL_ID, question: 'How do I enable streaming?' }),
      { baseDelayMs: 40, maxDelayMs: 80, maxAttempts },
    ),
    table: stack.sessions.table,
    managementApi: stack.managementApi,
    logger: quiet,
    metrics: false,
  });
}

const names = (seen: Seen[]) =>
  seen.map((event) => (event.name === 'status' ? `status ${event.payload.phase}` : event.name));

it('emits the status events of a throttled answer in seq order, before its text', async () => {
  // Prepare
  const { sessionId, seen } = await connectedClient();
  stack.bedrock.setBehaviour({ throttleRequests: 1 });

  // Act
  const result = await ask(sessionId);
  await waitUntil(() => seen.some((event) => event.name === 'end'));

  // Assess
  expect(names(seen).slice(0, 4)).toEqual(['start', 'status thinking', 'status retrying', 'delta']);
  expect(seen[1]?.payload).toMatchObject({ message: STATUS_MESSAGES.thinking, turnId: result.turnId });
  expect(seen[2]?.payload).toMatchObject({ phase: 'retrying', retryInMs: expect.any(Number) });
  expect(seen.filter((event) => event.name === 'gap' || event.name === 'error')).toEqual([]);
  const text = seen.flatMap((event) => (event.name === 'delta' ? [event.payload.text] : [])).join('');
  expect(text).toBe(result.text);
});

it('surfaces a retryable error frame as a SERVER_ERROR the page can offer Retry for', async () => {
  // Prepare: more throttled calls than attempts
  const { sessionId, seen } = await connectedClient();
  stack.bedrock.setBehaviour({ throttleRequests: 3 });

  // Act
  await ask(sessionId, 2);
  await waitUntil(() => seen.some((event) => event.name === 'end'));

  // Assess
  const error = seen.find((event) => event.name === 'error')?.payload;
  expect(error).toMatchObject({ code: 'SERVER_ERROR', serverCode: 'ThrottlingException', retryable: true });
});

it('surfaces an error frame that asking again cannot fix as not retryable', async () => {
  // Prepare
  const { sessionId, seen } = await connectedClient();

  // Act: a model id Bedrock does not know (ValidationException)
  await publishAnswer({
    sessionId,
    source: converseStreamSource(
      stack.bedrockClient,
      converseInputForQuestion({ modelId: 'no.such-model-v9:0', question: 'Hello?' }),
    ),
    table: stack.sessions.table,
    managementApi: stack.managementApi,
    logger: quiet,
    metrics: false,
  });
  await waitUntil(() => seen.some((event) => event.name === 'end'));

  // Assess
  const error = seen.find((event) => event.name === 'error')?.payload;
  expect(error).toMatchObject({ code: 'SERVER_ERROR', serverCode: 'ValidationException', retryable: false });
});
