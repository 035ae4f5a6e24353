/**
 * The pieces behind status frames and retryable errors, on their own: how a status is encoded for
 * each protocol, when "still working" fires, and which model failures asking again can fix.
 */
import { MAX_WORKING_STATUSES, type StatusFrame } from '../../functions/protocol/frames';
import { askingAgainHelps, StreamingError, toModelError } from '../../functions/streaming/errors';
import { ConnectionEncoder } from '../../functions/streaming/pipeline/frame-encoder';
import { StillWorking } from '../../functions/streaming/pipeline/still-working';
import { ManualClock } from './manual-clock';

describe('a status for each protocol', () => {
  it('json: a status frame with the next seq, phase, message and retryInMs', () => {
    // Prepare
    const encoder = new ConnectionEncoder('json', 'turn-1');
    encoder.encode({ kind: 'start' });

    // Act
    const messages = encoder.encode({
      kind: 'status',
      phase: 'retrying',
      message: 'The model is busy; trying again…',
      retryInMs: 350,
    });

    // Assess
    expect(messages.map((message) => JSON.parse(message))).toEqual([
      {
        v: 1,
        type: 'status',
        turnId: 'turn-1',
        seq: 1,
        phase: 'retrying',
        message: 'The model is busy; trying again…',
        retryInMs: 350,
      },
    ]);
    expect(encoder.nextSeq).toBe(2);
  });

  it('text: no message at all (a text message is shown as answer), and the end marker still follows text', () => {
    // Prepare
    const encoder = new ConnectionEncoder('text', 'turn-1');

    // Act
    const messages = [
      ...encoder.encode({ kind: 'start' }),
      ...encoder.encode({ kind: 'status', phase: 'thinking', message: 'Thinking…' }),
      ...encoder.encode({ kind: 'text', text: 'Hello.' }),
      ...encoder.encode({ kind: 'status', phase: 'working', message: 'Still working on the answer…' }),
      ...encoder.encode({ kind: 'end', stopReason: 'end_turn', totalMs: 5 }),
    ];

    // Assess
    expect(messages).toEqual(['Hello.', ' ']);
  });

  it('json: a caller-made status message too long for a frame is cut to fit', () => {
    // Prepare
    const encoder = new ConnectionEncoder('json', 'turn-1', 512);

    // Act
    const [message] = encoder.encode({ kind: 'status', phase: 'working', message: 'é'.repeat(1000) });

    // Assess
    expect(Buffer.byteLength(message ?? '')).toBeLessThanOrEqual(512);
    const frame = JSON.parse(message ?? '') as StatusFrame;
    expect(frame.message.length).toBeGreaterThan(100);
    expect('é'.repeat(1000).startsWith(frame.message)).toBe(true);
  });

  it('json: an error frame carries retryable, false when the item does not say', () => {
    // Prepare
    const encoder = new ConnectionEncoder('json', 'turn-1');

    // Act
    const [retryable, unsaid] = [
      ...encoder.encode({ kind: 'error', code: 'ThrottlingException', message: 'busy', retryable: true }),
      ...encoder.encode({ kind: 'error', code: 'E', message: 'failed' }),
    ].map((message) => JSON.parse(message));

    // Assess
    expect(retryable).toMatchObject({ code: 'ThrottlingException', retryable: true });
    expect(unsaid).toMatchObject({ code: 'E', retryable: false });
  });
});

describe('StillWorking', () => {
  function watch(afterMs: number, max?: number) {
    const clock = new ManualClock();
    const fired: number[] = [];
    const watchdog = new StillWorking({
      afterMs,
      ...(max !== undefined ? { max } : {}),
      clock,
      onSilence: () => fired.push(clock.now()),
    });
    return { clock, fired, watchdog };
  }

  it('fires after each silence of afterMs, counted from the latest activity', () => {
    // Prepare
    const { clock, fired, watchdog } = watch(1000);
    watchdog.start();

    // Act: text at 600 ms and 1200 ms, then silence
    clock.advance(600);
    watchdog.activity();
    clock.advance(600);
    watchdog.activity();
    clock.advance(2500);

    // Assess: 1 s after the last text, then 1 s after that
    expect(fired).toEqual([2200, 3200]);
  });

  it('fires at most `max` times, by default MAX_WORKING_STATUSES', () => {
    // Prepare
    const { clock, fired, watchdog } = watch(100);
    watchdog.start();

    // Act
    clock.advance(100 * (MAX_WORKING_STATUSES + 10));

    // Assess
    expect(fired).toHaveLength(MAX_WORKING_STATUSES);
  });

  it('never fires once stopped', () => {
    // Prepare
    const { clock, fired, watchdog } = watch(100, 3);
    watchdog.start();
    clock.advance(150);

    // Act
    watchdog.stop();
    clock.advance(1000);

    // Assess
    expect(fired).toEqual([100]);
  });

  it('refuses a delay that is not positive, naming it', () => {
    expect(() => new StillWorking({ afterMs: 0, onSilence: () => {} })).toThrow('afterMs must be > 0, got 0');
  });
});

describe('askingAgainHelps (the retryable of an error frame)', () => {
  const failure = (name: string, status?: number) =>
    toModelError(
      Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } }),
    );

  it.each([
    ['ThrottlingException', 429],
    ['ServiceUnavailableException', 503],
    ['ModelStreamErrorException', 424],
    ['ModelTimeoutException', 408],
    ['InternalServerException', 500],
    ['SomeNewServerFault', 502],
  ])('yes after %s (HTTP %s)', (name, status) => {
    expect(askingAgainHelps(failure(name, status))).toBe(true);
  });

  it.each([
    ['ValidationException', 400],
    ['AccessDeniedException', 403],
    ['ResourceNotFoundException', 404],
    ['UnknownError', undefined],
  ])('no after %s (HTTP %s)', (name, status) => {
    expect(askingAgainHelps(failure(name, status))).toBe(false);
  });

  it('follows a knowledge-base stream exception by its code', () => {
    const dropped = new StreamingError('failed', { code: 'DependencyFailedException' });
    const denied = new StreamingError('failed', { code: 'AccessDeniedException' });
    expect([askingAgainHelps(dropped), askingAgainHelps(denied)]).toEqual([true, false]);
  });
});
