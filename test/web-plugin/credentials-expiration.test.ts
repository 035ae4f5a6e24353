/**
 * The `expiration` a page's credentials provider may return: a Date (AWS SDK v3), Cognito's JSON
 * epoch seconds, or epoch milliseconds. Each is refreshed five minutes before it expires; anything
 * else is refused with a message that names the value, instead of a vague "could not sign".
 */
import { type ClientTimers, StreamingClient, type StreamingClientOptions } from '../../web-plugin/client';
import type { ProviderCredentials } from '../../web-plugin/client-types';
import { CredentialsCache, EPOCH_SECONDS_LIMIT, readExpiration } from '../../web-plugin/credentials-cache';
import { WebPluginError } from '../../web-plugin/errors';
import { FakeWebSocket } from './fake-websocket';

const MINUTE = 60_000;
const NOW = Date.parse('2025-03-01T10:00:00Z');
const EXPIRES = NOW + 60 * MINUTE;
const ENDPOINT = 'wss://abc123defg.execute-api.us-east-1.amazonaws.com/Prod';

/** Timers that only record what was scheduled (the cache's refresh timer). */
function recordingTimers() {
  const scheduled: number[] = [];
  const timers: ClientTimers = {
    setTimeout: (_callback, ms) => scheduled.push(ms),
    clearTimeout: () => {},
  };
  return { timers, scheduled };
}

function cacheFor(expiration: unknown, now = () => NOW) {
  const { timers, scheduled } = recordingTimers();
  const provider = jest.fn(
    async () =>
      ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret', expiration }) as ProviderCredentials,
  );
  const cache = new CredentialsCache({
    provider,
    now,
    timers,
    logger: { debug() {}, info() {}, warn() {}, error() {} },
    refreshMarginMs: 5 * MINUTE,
    stopped: () => false,
  });
  return { cache, provider, scheduled };
}

describe('expiration forms', () => {
  it.each([
    ['a Date', new Date(EXPIRES)],
    ["Cognito's epoch seconds", EXPIRES / 1000],
    ['epoch milliseconds', EXPIRES],
  ])('%s: refreshed 5 minutes before it expires', async (_form, expiration) => {
    // Act
    const { cache, scheduled } = cacheFor(expiration);
    const credentials = await cache.get();

    // Assess
    expect(credentials.expiration?.toISOString()).toBe('2025-03-01T11:00:00.000Z');
    expect(scheduled).toEqual([55 * MINUTE]);
  });

  it('keeps the credentials until five minutes before an epoch-seconds expiry, then fetches new ones', async () => {
    // Prepare
    let now = NOW;
    const { cache, provider } = cacheFor(EXPIRES / 1000, () => now);
    await cache.get();

    // Act
    now = EXPIRES - 5 * MINUTE - 1;
    await cache.get();
    const callsBeforeMargin = provider.mock.calls.length;
    now = EXPIRES - 5 * MINUTE;
    await cache.get();

    // Assess
    expect(callsBeforeMargin).toBe(1);
    expect(provider).toHaveBeenCalledTimes(2);
  });

  it('reads a number below 10^11 as seconds and from 10^11 on as milliseconds', () => {
    // Act
    const lastSecond = readExpiration(EPOCH_SECONDS_LIMIT - 1);
    const firstMillisecond = readExpiration(EPOCH_SECONDS_LIMIT);

    // Assess
    expect(lastSecond?.getTime()).toBe((EPOCH_SECONDS_LIMIT - 1) * 1000);
    expect(firstMillisecond?.getTime()).toBe(EPOCH_SECONDS_LIMIT);
  });

  it('takes no expiration as "never refreshed by time"', async () => {
    // Act
    const { cache, scheduled } = cacheFor(undefined);
    const credentials = await cache.get();

    // Assess
    expect(credentials.expiration).toBeUndefined();
    expect(scheduled).toEqual([]);
  });
});

describe('an expiration the client cannot read', () => {
  it.each([
    ['an ISO string', '2025-03-01T11:00:00Z', 'got "2025-03-01T11:00:00Z"'],
    ['an invalid Date', new Date('not a date'), 'got Invalid Date'],
    ['NaN', Number.NaN, 'got NaN'],
    ['a negative number', -1, 'got -1'],
    ['Infinity', Number.POSITIVE_INFINITY, 'got Infinity'],
    ['true', true, 'got true'],
  ])('%s is refused with a message that names it', async (_what, expiration, named) => {
    // Act
    const { cache } = cacheFor(expiration);
    const failure = await cache.get().catch((error: unknown) => error);

    // Assess
    expect(failure).toBeInstanceOf(WebPluginError);
    expect((failure as WebPluginError).code).toBe('BAD_OPTION');
    expect((failure as WebPluginError).message).toBe(
      `credentials.expiration must be a Date or a number of seconds or milliseconds since the epoch, ${named}`,
    );
  });
});

describe('StreamingClient with a Cognito epoch-seconds expiration', () => {
  beforeEach(() => {
    jest.useFakeTimers({ now: NOW });
    FakeWebSocket.reset();
  });
  afterEach(() => {
    jest.useRealTimers();
  });

  function makeClient(expiration: () => unknown, options: Partial<StreamingClientOptions> = {}) {
    let issued = 0;
    const provider = jest.fn(
      async () =>
        ({
          accessKeyId: `ASIAKEY${++issued}`,
          secretAccessKey: 'secret',
          sessionToken: 'token',
          expiration: expiration(),
        }) as ProviderCredentials,
    );
    const client = new StreamingClient({
      endpoint: ENDPOINT,
      sessionId: 'us-east-1:0000-1111',
      credentials: provider,
      WebSocket: FakeWebSocket,
      random: () => 0.5,
      ...options,
    });
    const errors: WebPluginError[] = [];
    client.on('error', (error) => errors.push(error));
    return { client, provider, errors };
  }

  it('connects, and the next connect after 55 minutes is signed with fresh credentials', async () => {
    // Prepare: Cognito's GetCredentialsForIdentity JSON (valid for an hour), passed on as it came
    const { client, provider } = makeClient(() => Math.floor(Date.now() / 1000) + 3600, {
      renewAfterMs: 56 * MINUTE,
    });
    const opened = client.connect();
    await jest.advanceTimersByTimeAsync(0);
    FakeWebSocket.last().open();
    await opened;

    // Act: the credentials are refreshed at 55 min, the socket renewed at 56 min
    await jest.advanceTimersByTimeAsync(56 * MINUTE);
    FakeWebSocket.last().open();
    await jest.advanceTimersByTimeAsync(0);

    // Assess
    expect(provider).toHaveBeenCalledTimes(2);
    expect(FakeWebSocket.instances.map((socket) => socket.query().get('X-Amz-Credential'))).toEqual([
      expect.stringMatching(/^ASIAKEY1\//),
      expect.stringMatching(/^ASIAKEY2\//),
    ]);
    client.close();
  });

  it('an ISO-string expiration stops the client at once with the message, not "could not sign"', async () => {
    // Prepare
    const { client, provider, errors } = makeClient(() => '2025-03-01T11:00:00Z');

    // Act
    const outcome = client.connect().catch((error: unknown) => error);
    await jest.advanceTimersByTimeAsync(10 * MINUTE);

    // Assess: one try, no socket, and the page hears what is wrong
    expect(provider).toHaveBeenCalledTimes(1);
    expect(FakeWebSocket.instances).toHaveLength(0);
    expect(errors.map((error) => error.message)).toEqual([
      'credentials.expiration must be a Date or a number of seconds or milliseconds since the epoch, got "2025-03-01T11:00:00Z"',
    ]);
    await expect(outcome).resolves.toBeInstanceOf(WebPluginError);
  });
});
