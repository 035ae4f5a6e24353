/**
 * Seeded, bounded fuzzing of the WebSocket side of the real local stack (gateway, connection Lambda,
 * dynalite), extending test/local-execute-api/execute-api.test.ts "never crashes on fuzzed query
 * strings", which throws random garbage at a fixture gateway with a recording Lambda:
 * - mutations of a *valid* Cognito-presigned URL (reordered, dropped, duplicated, added, re-cased
 *   or altered parameters, a flipped signature, another path): only a reordering may connect;
 * - `sessionId` / `protocol` values in correctly presigned URLs, checked against the contract
 *   (SESSION_ID_PATTERN, PROTOCOLS): 101 and a stored item, or 400 naming the parameter;
 * - client frames: binary, invalid UTF-8, huge, deeply nested JSON, random and prototype-named
 *   actions, JSON that is not an object.
 * Each part ends by checking that the gateway still serves a full answer through Lex.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import WebSocket from 'ws';
import { seededRandom } from '../../cli/local-stack/bedrock/behaviour';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { PROTOCOLS, SESSION_ID_PATTERN } from '../../functions/protocol/websocket';
import { SessionTable } from '../../functions/shared/session-table';
import { newVisitor, type Visitor } from '../../scripts/bench/visitor';
import { askThroughLex } from '../../scripts/load/lex-ask';
import { presignWebSocketUrl } from '../../web-plugin/signer';
import { LogRecorder, openTab, type Tab, waitUntil } from '../faults/support';
import { openSocket } from '../local-execute-api/helpers';

let stack: LocalStack;
const logs = new LogRecorder();
const tabs: Tab[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    demo: false,
    modelBehaviour: { timeToFirstTokenMs: 30, tokensPerSecond: 300 },
    onLog: logs.onLog,
  });
}, 60_000);

afterAll(async () => {
  await Promise.all(tabs.map((tab) => tab.close()));
  await stack?.stop();
});

async function tab(visitor: Visitor, protocol: 'json' | 'text' = 'json'): Promise<Tab> {
  const opened = await openTab(stack, visitor, { protocol });
  tabs.push(opened);
  return opened;
}

/** The stack still works end to end: a new visitor gets a whole answer on a json socket. */
async function expectStillServing(): Promise<void> {
  const visitor = await newVisitor(stack.endpoints);
  const jsonTab = await tab(visitor);
  const answer = await askThroughLex(stack.endpoints, visitor, 'What is QnABot on AWS?');
  await waitUntil(() => jsonTab.ended());
  expect(jsonTab.text()).toBe(answer.text);
  expect(answer.text.length).toBeGreaterThan(20);
}

/** What a connect attempt came to: the upgrade, the refusal's status, or a reset (HTTP parser). */
async function attempt(
  url: string,
  whileOpen?: () => Promise<void>,
): Promise<{ status: number; body: string }> {
  try {
    const result = await openSocket(url);
    if (result.socket) {
      await whileOpen?.().finally(() => result.socket.terminate());
      result.socket.terminate();
      return { status: 101, body: '' };
    }
    return { status: result.status, body: result.body };
  } catch (error) {
    return { status: 0, body: String((error as Error).message) };
  }
}

const pick = <T>(random: () => number, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;

function alterOne(random: () => number, value: string): string {
  if (!value) return 'x';
  const at = Math.floor(random() * value.length);
  const replacement = pick(random, ['0', 'a', 'Z', '-', '%25', '%2F', '~']);
  return value.slice(0, at) + (value[at] === replacement ? '1' : replacement) + value.slice(at + 1);
}

type Mutation = (pairs: string[], random: () => number) => string[];

const MUTATIONS: Record<string, Mutation> = {
  reorder: (pairs, random) => [...pairs].sort(() => random() - 0.5),
  flipSignature: (pairs, random) =>
    pairs.map((pair) => {
      if (!pair.startsWith('X-Amz-Signature=')) return pair;
      const signature = pair.slice('X-Amz-Signature='.length);
      const at = Math.floor(random() * signature.length);
      const flipped = signature[at] === 'f' ? '0' : 'f';
      return `X-Amz-Signature=${signature.slice(0, at)}${flipped}${signature.slice(at + 1)}`;
    }),
  alterValue: (pairs, random) => {
    const index = Math.floor(random() * pairs.length);
    return pairs.map((pair, at) => {
      if (at !== index) return pair;
      const [key, value = ''] = pair.split('=');
      return `${key}=${alterOne(random, value)}`;
    });
  },
  drop: (pairs, random) => pairs.filter((_, at) => at !== Math.floor(random() * pairs.length)),
  duplicate: (pairs, random) => [...pairs, pick(random, pairs)],
  extra: (pairs, random) => [
    ...pairs,
    `${pick(random, ['extra', 'sessionid', 'X-Amz-Extra', ''])}=${Math.floor(random() * 1e6)}`,
  ],
  recaseKey: (pairs, random) => {
    const index = Math.floor(random() * pairs.length);
    return pairs.map((pair, at) =>
      at === index ? pair.replace(/^[^=]+/, (key) => key.toLowerCase()) : pair,
    );
  },
  truncate: (pairs, random) => {
    const query = pairs.join('&');
    return query.slice(0, Math.floor(random() * query.length)).split('&');
  },
};

it('mutations of a valid presigned URL: only a reordering connects; everything else is 400/401/403, never 5xx or a Lambda failure', async () => {
  // Prepare
  const random = seededRandom(0x5eed2);
  const visitor = await newVisitor(stack.endpoints);
  const valid = await presignWebSocketUrl({
    endpoint: stack.endpoints.webSocketUrl,
    sessionId: visitor.sessionId,
    protocol: 'json',
    credentials: visitor.credentials,
    region: stack.endpoints.region,
  });
  const [base, query = ''] = valid.split('?') as [string, string];
  const pairs = query.split('&');
  const mark = logs.mark();
  const unexpected: string[] = [];
  const names = Object.keys(MUTATIONS);
  let connected = 0;

  // Act
  for (let round = 0; round < 160; round++) {
    const applied = Array.from({ length: 1 + Math.floor(random() * 3) }, () => pick(random, names));
    let mutated = pairs;
    for (const name of applied) mutated = (MUTATIONS[name] as Mutation)(mutated, random);
    const path =
      round % 20 === 19 ? base.replace(/\/Prod$/, pick(random, ['/prod', '/Prod/x', '//Prod'])) : base;
    const changed = path !== base || mutated.slice().sort().join('&') !== pairs.slice().sort().join('&');
    const { status, body } = await attempt(`${path}?${mutated.join('&')}`);
    const ok = changed ? [400, 401, 403].includes(status) : status === 101;
    if (status === 101) connected++;
    if (!ok)
      unexpected.push(
        `round ${round} [${applied.join(', ')}${path !== base ? ', path' : ''}]: ${status} ${body.slice(0, 80)}`,
      );
  }

  // Assess
  expect(unexpected).toEqual([]);
  expect(connected).toBeGreaterThan(0); // some rounds only reordered the query
  expect(logs.find('$connect Lambda failed', mark)).toEqual([]);
  expect(logs.find('WebSocket upgrade failed', mark)).toEqual([]);
  await waitUntil(() => stack.gateway.connectionIds().length === 0, 5000, 'every fuzz connection closed');
  await expectStillServing();
});

/** Even rounds draw from the contract's valid values, odd rounds from anything. */
function randomSessionId(random: () => number, validOnly: boolean): string {
  const allowed = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ._:-';
  const disallowed = [' ', '/', '?', '#', '%', '&', '=', '+', 'é', '😀', '\u0000', '<', '"', "'", '\n', '*'];
  const length = pick(random, validOnly ? [2, 3, 17, 50, 99, 100] : [0, 1, 2, 50, 100, 101, 150]);
  let id = Array.from({ length }, () => allowed[Math.floor(random() * allowed.length)]).join('');
  if (!validOnly && id && random() < 0.5) {
    const at = Math.floor(random() * id.length);
    id = id.slice(0, at) + pick(random, disallowed) + id.slice(at + 1);
  }
  return id;
}

it('sessionId and protocol values in correctly presigned URLs: valid ones connect and are stored, others get 400 naming the parameter', async () => {
  // Prepare
  const random = seededRandom(0x1d5);
  const protocols = [
    undefined,
    '',
    'json',
    'text',
    'JSON',
    'Text',
    'xml',
    'json ',
    ' text',
    'json,text',
    '😀',
    '\u0000',
  ];
  const client = stack.dynamodb.client();
  const sessions = new SessionTable({ client, tableName: stack.endpoints.tableName, ttlSeconds: 7800 });
  const unexpected: string[] = [];
  let accepted = 0;
  let refused = 0;

  // Act
  try {
    for (let round = 0; round < 100; round++) {
      const sessionId = randomSessionId(random, round % 2 === 0);
      const protocol = pick(random, round % 2 === 0 ? protocols.slice(0, 7) : protocols);
      const signed = await presignWithQuery(sessionId, protocol);
      const valid = SESSION_ID_PATTERN.test(sessionId) && [undefined, '', ...PROTOCOLS].includes(protocol);
      let stored: { protocol: string }[] = [];
      const { status, body } = await attempt(signed, async () => {
        stored = await sessions.listConnections(sessionId);
      });
      const label = `sessionId ${JSON.stringify(sessionId)} protocol ${JSON.stringify(protocol)}`;
      if (valid) {
        accepted++;
        const expected = protocol === 'json' ? 'json' : 'text';
        if (status !== 101 || !stored.some((record) => record.protocol === expected)) {
          unexpected.push(`${label}: ${status}, stored ${JSON.stringify(stored.map((r) => r.protocol))}`);
        }
      } else {
        refused++;
        const names = /sessionId|protocol/.test(body);
        if (status !== 400 || !names) unexpected.push(`${label}: ${status} ${body.slice(0, 100)}`);
      }
    }
  } finally {
    client.destroy();
  }

  // Assess
  expect(unexpected).toEqual([]);
  expect(accepted).toBeGreaterThan(10);
  expect(refused).toBeGreaterThan(10);
  await expectStillServing();
});

/** A URL presigned with the developer's IAM credentials (no Cognito identity to bind) for any query values. */
async function presignWithQuery(sessionId: string, protocol: string | undefined): Promise<string> {
  const endpoint = new URL(stack.endpoints.webSocketUrl);
  const signer = new SignatureV4({
    service: 'execute-api',
    region: stack.endpoints.region,
    credentials: { ...DEV_CREDENTIALS },
    sha256: Sha256,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'wss:',
      hostname: endpoint.hostname,
      port: Number(endpoint.port),
      path: endpoint.pathname,
      headers: { host: endpoint.host },
      query: protocol === undefined ? { sessionId } : { sessionId, protocol },
    },
    { expiresIn: 300 },
  );
  const query = Object.entries(signed.query ?? {})
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
    .join('&');
  return `${stack.endpoints.webSocketUrl}?${query}`;
}

it('client frames (binary, invalid UTF-8, huge, deeply nested, random actions, non-objects) get a clear error frame or nothing, and never break the socket', async () => {
  // Prepare
  const random = seededRandom(0xf4a3e5);
  const visitor = await newVisitor(stack.endpoints);
  const jsonTab = await tab(visitor, 'json');
  const textTab = await tab(visitor, 'text');
  const randomText = (length: number) =>
    Array.from({ length }, () => String.fromCodePoint(Math.floor(random() * 0x2ffff) % 0xd800 || 65)).join(
      '',
    );
  const corpus: { data: string | Buffer; binary?: boolean; silent?: boolean }[] = [
    { data: '' },
    { data: 'null' },
    { data: '[]' },
    { data: '"ping"' },
    { data: '42' },
    { data: 'true' },
    { data: '{}' },
    { data: '{"action":null}' },
    { data: '{"action":123}' },
    { data: '{"action":["ping"]}' },
    { data: '{"action":{"action":"ping"}}' },
    { data: '{"action":"ping"}', silent: true },
    { data: '{"action":"cancel","extra":{"deep":[1,2,3]}}', silent: true },
    ...['$connect', '$disconnect', '$default', 'PING', 'ping ', 'cancel\u0000', 'ask'].map((action) => ({
      data: JSON.stringify({ action }),
    })),
    { data: `${'['.repeat(20_000)}${']'.repeat(20_000)}` },
    { data: `${'{"action":'.repeat(5_000)}"x"${'}'.repeat(5_000)}` },
    { data: JSON.stringify({ action: 'x', pad: 'a'.repeat(100_000) }) },
    { data: '{"action": "unterminated' },
  ];
  for (let index = 0; index < 30; index++) {
    corpus.push({ data: JSON.stringify({ action: randomText(1 + Math.floor(random() * 30)) }) });
    corpus.push({ data: randomText(1 + Math.floor(random() * 200)) });
    corpus.push({
      data: Buffer.from(
        Array.from({ length: 1 + Math.floor(random() * 20_000) }, () => Math.floor(random() * 256)),
      ),
      binary: true,
    });
  }
  const expectedReplies = corpus.filter((message) => !message.silent).length;
  const mark = logs.mark();

  // Act
  for (const message of corpus) jsonTab.send(message.data, message.binary);
  for (const message of corpus) textTab.send(message.data, message.binary);
  await waitUntil(() => jsonTab.messages.length >= expectedReplies, 15_000, `${expectedReplies} replies`);
  await new Promise((resolve) => setTimeout(resolve, 300));

  // Assess: one UnknownAction error frame per message that is not ping/cancel, nothing on the text tab
  const replies = jsonTab.frames();
  expect(replies).toHaveLength(expectedReplies);
  expect(replies.filter((frame) => !(frame.type === 'error' && frame.code === 'UnknownAction'))).toEqual([]);
  expect(textTab.messages).toEqual([]);
  expect(jsonTab.socket.readyState).toBe(WebSocket.OPEN);
  expect(textTab.socket.readyState).toBe(WebSocket.OPEN);
  expect(logs.find('route Lambda failed', mark)).toEqual([]);
  expect(logs.find('message handling failed', mark)).toEqual([]);
  // …and the same two tabs still stream an answer
  jsonTab.messages.length = 0;
  const answer = await askThroughLex(stack.endpoints, visitor, 'Where do I find the WebSocket endpoint URL?');
  await waitUntil(() => jsonTab.ended() && textTab.text() === answer.text);
  expect(jsonTab.text()).toBe(answer.text);
});

it('a text frame with invalid UTF-8 or over 128 KB closes only that socket (1007 / 1009); the gateway keeps serving', async () => {
  // Prepare
  const visitor = await newVisitor(stack.endpoints);
  const invalidUtf8 = await tab(visitor);
  const tooBig = await tab(visitor);
  const bystander = await tab(visitor);

  // Act
  invalidUtf8.send(Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0xff, 0xfe, 0x22, 0x7d]), false);
  tooBig.send(JSON.stringify({ action: 'x', pad: 'b'.repeat(200_000) }));
  const codes = await Promise.all([invalidUtf8.closed, tooBig.closed]);

  // Assess
  expect(codes).toEqual([1007, 1009]);
  expect(bystander.socket.readyState).toBe(WebSocket.OPEN);
  await expectStillServing();
});

// API Gateway sends any action without a route of its own to $default, including names like
// Object.prototype members (the local gateway once mistook those for routes and dropped them).
it('an action named like an Object.prototype member reaches $default like any unknown action', async () => {
  // Prepare
  const visitor = await newVisitor(stack.endpoints);
  const jsonTab = await tab(visitor, 'json');
  const actions = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

  // Act
  for (const action of actions) jsonTab.send(JSON.stringify({ action }));
  await waitUntil(() => jsonTab.messages.length >= actions.length, 2000, `${actions.length} replies`);

  // Assess
  expect(jsonTab.frames().map((frame) => frame.type === 'error' && frame.code)).toEqual(
    actions.map(() => 'UnknownAction'),
  );
});
