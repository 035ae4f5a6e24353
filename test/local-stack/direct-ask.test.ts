/**
 * The direct-ask route end to end on the local stack started with EnableDirectAsk=TRUE: a browser
 * that asks on its socket gets the answer streamed back on it and on the session's other tab, a bad
 * question gets an error frame on the asking socket only, and cancel stops the answer within 1 s.
 * The stack started with the template's defaults has no ask route.
 */
import WebSocket from 'ws';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import type { Frame } from '../../functions/protocol/frames';
import { presignWebSocketUrl } from '../../web-plugin/signer';
import { whenOpen } from '../support/sockets';

let stack: LocalStack;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  stack = await startLocalStack({
    parameters: { EnableDirectAsk: 'TRUE' },
    modelBehaviour: { timeToFirstTokenMs: 50, tokensPerSecond: 150 },
  });
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  await stack?.stop();
});

interface Tab {
  socket: WebSocket;
  frames: Frame[];
  send(message: unknown): void;
  text(turnId?: string): string;
}

async function openTab(target: LocalStack, sessionId: string): Promise<Tab> {
  const url = await presignWebSocketUrl({
    endpoint: target.endpoints.webSocketUrl,
    sessionId,
    protocol: 'json',
    credentials: { ...DEV_CREDENTIALS },
    region: target.endpoints.region,
  });
  const socket = new WebSocket(url);
  sockets.push(socket);
  const frames: Frame[] = [];
  socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
  await whenOpen(socket);
  return {
    socket,
    frames,
    send: (message) => socket.send(JSON.stringify(message)),
    text: (turnId) =>
      frames
        .filter((frame) => turnId === undefined || frame.turnId === turnId)
        .map((frame) => (frame.type === 'delta' ? frame.text : ''))
        .join(''),
  };
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const endOf = (tab: Tab, turnId: string) =>
  tab.frames.find((frame) => frame.type === 'end' && frame.turnId === turnId);

it('streams the answer to the asking socket and to the session’s other tab', async () => {
  // Prepare
  const asker = await openTab(stack, 'ask-session-1');
  const otherTab = await openTab(stack, 'ask-session-1');
  const stranger = await openTab(stack, 'ask-session-2');

  // Act
  asker.send({ action: 'ask', question: 'How does streaming reach the browser?', turnId: 'turn-1' });
  await until(() => endOf(asker, 'turn-1') !== undefined && endOf(otherTab, 'turn-1') !== undefined);

  // Assess
  expect(asker.frames[0]).toMatchObject({ type: 'start', turnId: 'turn-1', seq: 0 });
  expect(asker.frames.map((frame) => frame.seq)).toEqual(asker.frames.map((_, index) => index));
  expect(asker.text('turn-1').length).toBeGreaterThan(40);
  expect(otherTab.text('turn-1')).toBe(asker.text('turn-1'));
  expect(endOf(asker, 'turn-1')).toMatchObject({ stopReason: 'end_turn' });
  expect(stranger.frames).toEqual([]);
});

it.each([
  ['an empty question', { action: 'ask', question: '   ' }, /empty/],
  ['a question over 4,000 characters', { action: 'ask', question: 'why '.repeat(1001) }, /at most 4000/],
  ['no question at all', { action: 'ask' }, /question as a string/],
])(
  'answers %s with an error frame on the asking socket only, and keeps it open',
  async (_name, message, reason) => {
    // Prepare
    const asker = await openTab(stack, 'ask-session-3');
    const otherTab = await openTab(stack, 'ask-session-3');

    // Act
    asker.send(message);
    await until(() => asker.frames.length > 0);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assess
    expect(asker.frames).toEqual([
      expect.objectContaining({
        type: 'error',
        code: 'InvalidQuestion',
        message: expect.stringMatching(reason),
      }),
    ]);
    expect(otherTab.frames).toEqual([]);
    expect(asker.socket.readyState).toBe(WebSocket.OPEN);
  },
);

it('stops the answer within 1 s of a cancel and marks it cancelled', async () => {
  // Prepare: a slow model, so the answer is still running when the cancel arrives.
  stack.bedrock?.setBehaviour({ timeToFirstTokenMs: 50, tokensPerSecond: 20, answerTokens: 400 });
  const asker = await openTab(stack, 'ask-session-4');
  asker.send({ action: 'ask', question: 'Tell me everything about QnABot.', turnId: 'long-turn' });
  await until(() => asker.frames.some((frame) => frame.type === 'delta'));

  // Act
  const cancelledAt = Date.now();
  asker.send({ action: 'cancel' });
  await until(() => endOf(asker, 'long-turn') !== undefined, 5000);
  const endedAt = Date.now();

  // Assess
  expect(endOf(asker, 'long-turn')).toMatchObject({ stopReason: 'cancelled' });
  expect(endedAt - cancelledAt).toBeLessThan(1000);
});

it('without EnableDirectAsk, the local stack has no ask route: the message reaches $default', async () => {
  // Prepare
  const plain = await startLocalStack();
  try {
    const tab = await openTab(plain, 'plain-session');

    // Act
    tab.send({ action: 'ask', question: 'Hello?' });
    await until(() => tab.frames.length > 0);

    // Assess
    expect(tab.frames).toEqual([expect.objectContaining({ type: 'error', code: 'UnknownAction' })]);
    expect(Object.keys(plain.template.Resources ?? {})).not.toContain('AskFunction');
  } finally {
    await plain.stop();
  }
}, 60_000);
