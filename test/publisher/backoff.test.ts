/**
 * The waits between retries (model throttling, `@connections` 429s and failures): "full jitter" —
 * a random wait below min(max, base · 2^attempt), so many Lambdas retrying at once spread out — and
 * a sleep that a stopped answer cuts short.
 */
import { backoffDelay, sleep } from '../../functions/streaming/pipeline/backoff';

/** The largest value a random() in [0, 1) can return. */
const ALMOST_ONE = 1 - Number.EPSILON;

describe('backoffDelay', () => {
  it('stays below a ceiling that doubles per attempt from the base and stops at the maximum', () => {
    // Act
    const top = [0, 1, 2, 3, 4, 5, 6].map((attempt) =>
      backoffDelay(attempt, { baseDelayMs: 100, maxDelayMs: 2000, random: () => ALMOST_ONE }),
    );

    // Assess: just under 100, 200, 400, 800, 1600, then 2000 for good
    expect(top).toEqual([99, 199, 399, 799, 1599, 1999, 1999]);
  });

  it('is anywhere from 0 up to the ceiling (full jitter), never the ceiling itself', () => {
    // Prepare
    const options = { baseDelayMs: 50, maxDelayMs: 1000 };

    // Act
    const lowest = backoffDelay(3, { ...options, random: () => 0 });
    const middle = backoffDelay(3, { ...options, random: () => 0.5 });
    const samples = Array.from({ length: 2000 }, () => backoffDelay(3, options));

    // Assess: ceiling 50 · 2³ = 400 ms
    expect(lowest).toBe(0);
    expect(middle).toBe(200);
    expect(Math.min(...samples)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...samples)).toBeLessThan(400);
    // spread out, not bunched: both halves of the range are used
    expect(samples.some((delay) => delay < 200)).toBe(true);
    expect(samples.some((delay) => delay >= 200)).toBe(true);
    expect(samples.every(Number.isInteger)).toBe(true);
  });

  it('defaults to a 100 ms base and a 2 s cap, and treats a negative attempt as the first', () => {
    expect(backoffDelay(0, { random: () => ALMOST_ONE })).toBe(99);
    expect(backoffDelay(20, { random: () => ALMOST_ONE })).toBe(1999);
    expect(backoffDelay(-3, { random: () => ALMOST_ONE })).toBe(99);
  });
});

describe('sleep', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Whether `promise` has settled once pending callbacks ran (no time passes). */
  async function settled(promise: Promise<unknown>): Promise<boolean> {
    let done = false;
    void promise.then(() => {
      done = true;
    });
    await jest.advanceTimersByTimeAsync(0);
    return done;
  }

  it('waits the given time', async () => {
    const waiting = sleep(1000);
    await jest.advanceTimersByTimeAsync(999);
    expect(await settled(waiting)).toBe(false);
    await jest.advanceTimersByTimeAsync(1);
    expect(await settled(waiting)).toBe(true);
  });

  it('ends at once, without an error, when the answer is stopped during the wait', async () => {
    // Prepare
    const stop = new AbortController();
    const waiting = sleep(60_000, stop.signal);
    await jest.advanceTimersByTimeAsync(10);

    // Act
    stop.abort();

    // Assess: resolved (not rejected) with no time passing, and no timer left behind
    expect(await settled(waiting)).toBe(true);
    await expect(waiting).resolves.toBeUndefined();
    expect(jest.getTimerCount()).toBe(0);
  });

  it('does not wait at all when the answer was already stopped, or for a zero or negative time', async () => {
    const stop = new AbortController();
    stop.abort();
    expect(await settled(sleep(60_000, stop.signal))).toBe(true);
    expect(await settled(sleep(0))).toBe(true);
    expect(await settled(sleep(-5))).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('lets go of the signal when the wait ends normally (a long answer does not pile up listeners)', async () => {
    // Prepare
    const stop = new AbortController();
    const added = jest.spyOn(stop.signal, 'addEventListener');
    const removed = jest.spyOn(stop.signal, 'removeEventListener');

    // Act
    for (let attempt = 0; attempt < 5; attempt++) {
      const waiting = sleep(10, stop.signal);
      await jest.advanceTimersByTimeAsync(10);
      await waiting;
    }

    // Assess
    expect(added).toHaveBeenCalledTimes(5);
    expect(removed).toHaveBeenCalledTimes(5);
    expect(removed.mock.calls.map((call) => call[1])).toEqual(added.mock.calls.map((call) => call[1]));
  });
});
