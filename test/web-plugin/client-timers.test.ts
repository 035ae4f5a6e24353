/**
 * Heartbeat, reconnect, renewal and credentials refresh of StreamingClient over hours of fake
 * time, with a scripted WebSocket (see fake-websocket.ts).
 */
import type { Frame } from '../../functions/protocol/frames';
import {
  type ClientCredentials,
  CONNECTION_REFUSED_MESSAGE,
  StreamingClient,
  type StreamingClientEvents,
  type StreamingClientOptions,
} from '../../web-plugin/client';
import { FakeWebSocket } from './fake-websocket';

const MINUTE = 60_000;
const ENDPOINT = 'wss://abc123defg.execute-api.us-east-1.amazonaws.com/Prod';
const PING = '{"action":"ping"}';

function makeClient(options: Partial<StreamingClientOptions> = {}) {
  let issued = 0;
  const provider = jest.fn(
    async (): Promise<ClientCredentials> => ({
      accessKeyId: `ASIAKEY${++issued}`,
      secretAccessKey: 'secret',
      sessionToken: 'token',
      expiration: new Date(Date.now() + 60 * MINUTE),
    }),
  );
  const client = new StreamingClient({
    endpoint: ENDPOINT,
    sessionId: 'us-east-1:0000-1111',
    credentials: provider,
    WebSocket: FakeWebSocket,
    random: () => 0.5,
    ...options,
  });
  const events: Array<{ name: keyof StreamingClientEvents; payload: unknown }> = [];
  for (const name of ['open', 'start', 'delta', 'citation', 'end', 'error', 'close', 'gap'] as const) {
    client.on(name, (payload) => events.push({ name, payload }));
  }
  const named = (name: keyof StreamingClientEvents) =>
    events.filter((e) => e.name === name).map((e) => e.payload);
  return { client, provider, events, named };
}

/** Lets the client's promise chains (credentials, signing) run. */
const settle = () => jest.advanceTimersByTimeAsync(0);

async function connected(options: Partial<StreamingClientOptions> = {}) {
  const made = makeClient(options);
  const opened = made.client.connect();
  await settle();
  FakeWebSocket.last().open();
  await opened;
  return made;
}

const frame = (f: Partial<Frame> & Pick<Frame, 'type' | 'turnId' | 'seq'>) => ({ v: 1, ...f });

beforeEach(() => {
  jest.useFakeTimers({ now: new Date('2025-03-01T10:00:00Z') });
  FakeWebSocket.reset();
});
afterEach(() => {
  jest.useRealTimers();
});

describe('heartbeat', () => {
  it('sends a ping every 9 minutes while the socket is open', async () => {
    // Prepare
    const { client } = await connected();
    const socket = FakeWebSocket.last();

    // Act + Assess
    await jest.advanceTimersByTimeAsync(9 * MINUTE - 1);
    expect(socket.sent).toEqual([]);
    await jest.advanceTimersByTimeAsync(1);
    expect(socket.sent).toEqual([PING]);
    await jest.advanceTimersByTimeAsync(18 * MINUTE);
    expect(socket.sent).toEqual([PING, PING, PING]);
    client.close();
  });
});

describe('reconnect', () => {
  it('reconnects with a fresh signature after a jittered backoff when the socket drops', async () => {
    // Prepare
    const { client, named } = await connected();
    const first = FakeWebSocket.last();
    await jest.advanceTimersByTimeAsync(30_000);

    // Act
    first.drop(1001);

    // Assess: 1000 ms base, half fixed + half × random(0.5) = 750 ms
    expect(named('close')).toEqual([{ code: 1001, reason: '', willReconnect: true }]);
    await jest.advanceTimersByTimeAsync(749);
    expect(FakeWebSocket.instances).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
    const second = FakeWebSocket.last();
    expect(second.query().get('X-Amz-Date')).not.toBe(first.query().get('X-Amz-Date'));
    expect(second.query().get('X-Amz-Signature')).not.toBe(first.query().get('X-Amz-Signature'));
    second.open();
    expect(named('open')).toEqual([{ reconnect: false }, { reconnect: true }]);
    client.close();
  });

  it('reports a refused connection clearly, backs off exponentially and gives up after the limit', async () => {
    // Prepare
    const { client, named } = makeClient({ maxConsecutiveFailures: 3 });
    const outcome = client.connect().catch((error: unknown) => error);
    await settle();

    // Act + Assess: 1st refusal, then 2000 ms × 0.75, then 4000 ms × 0.75
    FakeWebSocket.last().refuse();
    expect((named('error')[0] as Error).message).toBe(`${CONNECTION_REFUSED_MESSAGE} (HTTP 403)`);
    await jest.advanceTimersByTimeAsync(1499);
    expect(FakeWebSocket.instances).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    FakeWebSocket.last().refuse();
    await jest.advanceTimersByTimeAsync(3000);
    expect(FakeWebSocket.instances).toHaveLength(3);
    FakeWebSocket.last().refuse();

    const error = (await outcome) as { code: string; message: string };
    expect(error.code).toBe('GAVE_UP');
    expect(error.message).toContain(CONNECTION_REFUSED_MESSAGE);
    await jest.advanceTimersByTimeAsync(10 * MINUTE);
    expect(FakeWebSocket.instances).toHaveLength(3);
    expect(client.state).toBe('closed');
  });

  it('reports missing credentials and retries them', async () => {
    // Prepare
    const provider = jest
      .fn<Promise<ClientCredentials>, []>()
      .mockRejectedValueOnce(new Error('not signed in yet'))
      .mockResolvedValue({ accessKeyId: 'AKIDLATER', secretAccessKey: 'secret' });
    const { client, named } = makeClient({ credentials: provider });

    // Act
    const opened = client.connect();
    await settle();

    // Assess
    expect(named('error')).toEqual([expect.objectContaining({ code: 'MISSING_CREDENTIALS' })]);
    expect(FakeWebSocket.instances).toHaveLength(0);
    await jest.advanceTimersByTimeAsync(1500);
    FakeWebSocket.last().open();
    await expect(opened).resolves.toBeUndefined();
    expect(FakeWebSocket.last().query().get('X-Amz-Credential')).toMatch(/^AKIDLATER\//);
    client.close();
  });

  it('stops for good on close(): no reconnect, one close event, no timer left (ping, renewal, credentials refresh)', async () => {
    // Prepare: open, with credentials that would be refreshed 55 min from now
    const { client, named, provider } = await connected();
    const socket = FakeWebSocket.last();

    // Act
    client.close();
    const timersAfterClose = jest.getTimerCount();
    await jest.advanceTimersByTimeAsync(120 * MINUTE);

    // Assess: nothing is left to keep a page or a Node process busy, and nothing runs later
    expect(timersAfterClose).toBe(0);
    expect(FakeWebSocket.instances).toHaveLength(1);
    expect(socket.sent).toEqual([]);
    expect(provider).toHaveBeenCalledTimes(1);
    expect(named('close')).toEqual([{ code: 1000, reason: 'client closed', willReconnect: false }]);
  });
});

describe('renewal before the 2-hour limit', () => {
  it('opens the new socket before retiring the old one, so no chunk of a running answer is lost', async () => {
    // Prepare
    const { client, named } = await connected();
    const old = FakeWebSocket.last();
    old.receive(frame({ type: 'start', turnId: 't1', seq: 0 }));
    old.receive(frame({ type: 'delta', turnId: 't1', seq: 1, text: 'Hel' }));

    // Act: 1 h 55 min after connect the client renews
    await jest.advanceTimersByTimeAsync(115 * MINUTE);
    const fresh = FakeWebSocket.last();

    // Assess
    expect(fresh).not.toBe(old);
    expect(old.closedWith).toBeUndefined();
    fresh.open();
    old.receive(frame({ type: 'delta', turnId: 't1', seq: 2, text: 'lo' }));
    fresh.receive(frame({ type: 'delta', turnId: 't1', seq: 2, text: 'lo' }));
    await jest.advanceTimersByTimeAsync(5000);
    expect(old.closedWith).toBeUndefined(); // the answer is still streaming on it
    old.receive(frame({ type: 'end', turnId: 't1', seq: 3, stopReason: 'end_turn', totalMs: 5 }));
    await jest.advanceTimersByTimeAsync(2000);
    expect(old.closedWith).toEqual({ code: 1000, reason: 'renewed' });

    expect(named('delta').map((d) => (d as { text: string }).text)).toEqual(['Hel', 'lo']);
    expect(named('end')).toHaveLength(1);
    expect(named('close')).toEqual([]);
    expect(named('open')).toEqual([{ reconnect: false }, { reconnect: true }]);
    await jest.advanceTimersByTimeAsync(9 * MINUTE);
    expect(fresh.sent).toEqual([PING]);
    client.close();
  });

  it('closes a silent old socket at the latest after the drain limit', async () => {
    const { client } = await connected({ drainMaxMs: 10_000 });
    const old = FakeWebSocket.last();
    old.receive(frame({ type: 'start', turnId: 't1', seq: 0 })); // a turn that never ends
    await jest.advanceTimersByTimeAsync(115 * MINUTE);
    FakeWebSocket.last().open();
    await jest.advanceTimersByTimeAsync(9_000);
    expect(old.closedWith).toBeUndefined();
    await jest.advanceTimersByTimeAsync(2_000);
    expect(old.closedWith?.reason).toBe('renewed');
    client.close();
  });
});

describe('credentials', () => {
  it('fetches credentials again before they expire and signs the next connect with them', async () => {
    // Prepare: credentials valid 60 min, refreshed 5 min before
    const { client, provider } = await connected();
    expect(provider).toHaveBeenCalledTimes(1);

    // Act
    await jest.advanceTimersByTimeAsync(55 * MINUTE);
    FakeWebSocket.last().drop();
    await jest.advanceTimersByTimeAsync(1000);

    // Assess
    expect(provider).toHaveBeenCalledTimes(2);
    expect(FakeWebSocket.last().query().get('X-Amz-Credential')).toMatch(/^ASIAKEY2\//);
    client.close();
  });
});

describe('frames', () => {
  it('emits start, delta, citation and end; reports gaps; drops stale turns; turns error frames into errors', async () => {
    // Prepare
    const { client, named, events } = await connected();
    const socket = FakeWebSocket.last();

    // Act
    socket.receive(frame({ type: 'start', turnId: 'a', seq: 0 }));
    socket.receive(frame({ type: 'delta', turnId: 'a', seq: 1, text: 'Old ' }));
    socket.receive(frame({ type: 'start', turnId: 'b', seq: 0 }));
    socket.receive(frame({ type: 'delta', turnId: 'a', seq: 2, text: 'stale' }));
    socket.receive(frame({ type: 'delta', turnId: 'b', seq: 1, text: 'New ' }));
    socket.receive(frame({ type: 'delta', turnId: 'b', seq: 3, text: 'answer' }));
    socket.receive({
      v: 1,
      type: 'citation',
      turnId: 'b',
      seq: 4,
      citations: [{ sources: [{ uri: 'https://x' }] }],
    });
    socket.receive({
      v: 1,
      type: 'error',
      turnId: '',
      seq: 0,
      code: 'UnknownAction',
      message: 'unknown action',
    });
    socket.receive('not a frame');
    socket.receive(frame({ type: 'end', turnId: 'b', seq: 5, stopReason: 'end_turn', totalMs: 900 }));

    // Assess
    expect(named('delta').map((d) => (d as { text: string }).text)).toEqual(['Old ', 'New ', 'answer']);
    expect(named('gap')).toEqual([{ turnId: 'b', expected: 2, received: 3 }]);
    expect(named('citation')).toHaveLength(1);
    expect(named('error')).toEqual([
      expect.objectContaining({
        code: 'SERVER_ERROR',
        serverCode: 'UnknownAction',
        message: 'unknown action',
      }),
      expect.objectContaining({ code: 'BAD_FRAME' }),
    ]);
    expect(events.map((e) => e.name).slice(-2)).toEqual(['error', 'end']);
    client.close();
  });

  it('cancel() sends the cancel action and drops the rest of that turn except its end', async () => {
    const { client, named } = await connected();
    const socket = FakeWebSocket.last();
    socket.receive(frame({ type: 'start', turnId: 't', seq: 0 }));
    socket.receive(frame({ type: 'delta', turnId: 't', seq: 1, text: 'kept' }));

    expect(client.cancel()).toBe(true);
    socket.receive(frame({ type: 'delta', turnId: 't', seq: 2, text: 'dropped' }));
    socket.receive(frame({ type: 'end', turnId: 't', seq: 3, stopReason: 'cancelled', totalMs: 1 }));

    expect(socket.sent).toEqual(['{"action":"cancel"}']);
    expect(named('delta').map((d) => (d as { text: string }).text)).toEqual(['kept']);
    expect(named('end')).toEqual([expect.objectContaining({ stopReason: 'cancelled' })]);
    client.close();
  });

  it('text protocol: every message is answer text, delivered as a delta', async () => {
    const { client, named } = await connected({ protocol: 'text' });
    const socket = FakeWebSocket.last();
    expect(socket.query().get('protocol')).toBe('text');
    socket.receive('Hello ');
    socket.receive('{"v":1} is just text here');
    expect(named('delta')).toEqual([
      { v: 1, type: 'delta', turnId: '', seq: 0, text: 'Hello ' },
      { v: 1, type: 'delta', turnId: '', seq: 1, text: '{"v":1} is just text here' },
    ]);
    client.close();
  });
});

describe('options', () => {
  it('refuses a bad endpoint at construction with the value in the message', () => {
    const base = { sessionId: 'abc', credentials: async () => ({ accessKeyId: 'a', secretAccessKey: 'b' }) };
    expect(
      () =>
        new StreamingClient({
          ...base,
          endpoint: 'https://abc.execute-api.us-east-1.amazonaws.com/Prod',
          WebSocket: FakeWebSocket,
        }),
    ).toThrow('endpoint must start with wss://');
    expect(
      () =>
        new StreamingClient({
          ...base,
          endpoint: 'wss://abc.execute-api.us-east-1.amazonaws.com',
          WebSocket: FakeWebSocket,
        }),
    ).toThrow('endpoint must name the stage');
    expect(
      () =>
        new StreamingClient({
          ...base,
          endpoint: ENDPOINT,
          WebSocket: FakeWebSocket,
          credentials: undefined as unknown as StreamingClientOptions['credentials'],
        }),
    ).toThrow('credentials must be a function');
  });
});
