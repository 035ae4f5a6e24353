import type { Frame } from '../../functions/protocol/frames';
import { parseJsonFrame, rawAnswerText, TurnTracker } from '../../web-plugin/frame-reader';
import { MALFORMED } from './malformed-messages';

const delta = (turnId: string, seq: number, text = 'x'): Frame => ({
  v: 1,
  type: 'delta',
  turnId,
  seq,
  text,
});
const start = (turnId: string): Frame => ({ v: 1, type: 'start', turnId, seq: 0 });
const end = (turnId: string, seq: number): Frame => ({
  v: 1,
  type: 'end',
  turnId,
  seq,
  stopReason: 'end_turn',
  totalMs: 10,
});

describe('parseJsonFrame', () => {
  it('accepts the shared frame shapes', () => {
    expect(parseJsonFrame(JSON.stringify(delta('t1', 1, 'Hello')))).toEqual({
      ok: true,
      frame: delta('t1', 1, 'Hello'),
    });
    expect(
      parseJsonFrame('{"v":1,"type":"error","turnId":"","seq":0,"code":"UnknownAction","message":"no"}').ok,
    ).toBe(true);
  });

  it.each<[string, Frame]>([
    ['start', start('t1')],
    ['delta', delta('t1', 1, 'Hello')],
    ['citation', { v: 1, type: 'citation', turnId: 't1', seq: 2, citations: [] }],
    ['end', end('t1', 3)],
    [
      'error',
      { v: 1, type: 'error', turnId: 't1', seq: 0, code: 'Throttled', message: 'slow down', retryable: true },
    ],
    ['status', { v: 1, type: 'status', turnId: 't1', seq: 1, phase: 'thinking', message: 'Thinking…' }],
    [
      'status (retrying)',
      {
        v: 1,
        type: 'status',
        turnId: 't1',
        seq: 1,
        phase: 'retrying',
        message: 'The model is busy; trying again…',
        retryInMs: 400,
      },
    ],
  ])('accepts a well-formed %s frame, seq 0 included', (_type, frame) => {
    // Act
    const parsed = parseJsonFrame(JSON.stringify(frame));

    // Assess
    expect(parsed).toEqual({ ok: true, frame });
  });

  it.each(['thinking', 'retrieving', 'retrying', 'working'])('accepts a status of phase %s', (phase) => {
    // Act
    const parsed = parseJsonFrame(
      JSON.stringify({ v: 1, type: 'status', turnId: 't1', seq: 1, phase, message: 'm' }),
    );

    // Assess
    expect(parsed).toMatchObject({ ok: true, frame: { type: 'status', phase, message: 'm' } });
  });

  it('reads an error frame of an older server, without retryable, as not retryable', () => {
    // Act
    const parsed = parseJsonFrame(
      '{"v":1,"type":"error","turnId":"t1","seq":3,"code":"ModelStreamErrorException","message":"failed"}',
    );

    // Assess
    expect(parsed).toEqual({
      ok: true,
      frame: {
        v: 1,
        type: 'error',
        turnId: 't1',
        seq: 3,
        code: 'ModelStreamErrorException',
        message: 'failed',
        retryable: false,
      },
    });
  });

  it.each(MALFORMED)(
    'refuses $name, saying why (the reason the page gets with BAD_FRAME)',
    ({ message, reason }) => {
      // Act
      const parsed = parseJsonFrame(message);

      // Assess
      expect(parsed).toEqual({ ok: false, reason });
    },
  );

  it.each([
    ['a number', '42'],
    ['a string', '"hello"'],
  ])('refuses JSON that is %s as not an object', (_name, data) => {
    expect(parseJsonFrame(data)).toEqual({ ok: false, reason: 'not an object' });
  });

  it('quotes at most 80 characters of a message that is not JSON', () => {
    // Prepare
    const long = `${'a'.repeat(80)}TAIL`;

    // Act
    const parsed = parseJsonFrame(long);

    // Assess
    expect(parsed).toEqual({ ok: false, reason: `not JSON: ${'a'.repeat(80)}` });
  });

  it.each([
    ['not json', 'Hello world'],
    ['wrong version', '{"v":2,"type":"delta","turnId":"t","seq":0,"text":"a"}'],
    ['unknown type', '{"v":1,"type":"chunk","turnId":"t","seq":0}'],
    ['no seq', '{"v":1,"type":"delta","turnId":"t","text":"a"}'],
    ['delta without text', '{"v":1,"type":"delta","turnId":"t","seq":0}'],
  ])('rejects %s', (_name, data) => {
    expect(parseJsonFrame(data).ok).toBe(false);
  });
});

describe('TurnTracker', () => {
  it('delivers a turn in order and then drops late frames of it', () => {
    const tracker = new TurnTracker();
    const verdicts = [start('t1'), delta('t1', 1), end('t1', 2), delta('t1', 1)].map(
      (f) => tracker.accept(f).kind,
    );
    expect(verdicts).toEqual(['deliver', 'deliver', 'deliver', 'stale']);
  });

  it('drops frames of an older turn once a newer turn started', () => {
    // Prepare
    const tracker = new TurnTracker();
    tracker.accept(start('old'));
    tracker.accept(delta('old', 1));

    // Act
    const newer = tracker.accept(start('new'));
    const late = tracker.accept(delta('old', 2));

    // Assess
    expect(newer.kind).toBe('deliver');
    expect(late.kind).toBe('stale');
    expect(tracker.activeTurnId).toBe('new');
  });

  it('reports a gap in seq and keeps delivering after it', () => {
    const tracker = new TurnTracker();
    tracker.accept(start('t1'));
    tracker.accept(delta('t1', 1));
    expect(tracker.accept(delta('t1', 4))).toEqual({ kind: 'deliver', gap: { expected: 2, received: 4 } });
    expect(tracker.accept(delta('t1', 5))).toEqual({ kind: 'deliver' });
  });

  it('reports frames lost at the start of a turn as a gap from 0', () => {
    const tracker = new TurnTracker();
    expect(tracker.accept(delta('t1', 3))).toEqual({ kind: 'deliver', gap: { expected: 0, received: 3 } });
  });

  it('drops a frame seen twice (two sockets during a renewal)', () => {
    const tracker = new TurnTracker();
    tracker.accept(start('t1'));
    tracker.accept(delta('t1', 1));
    expect(tracker.accept(delta('t1', 1)).kind).toBe('duplicate');
  });

  it('drops the rest of a cancelled turn but lets its end through once', () => {
    const tracker = new TurnTracker();
    tracker.accept(start('t1'));
    expect(tracker.cancelActive()).toBe('t1');
    expect(tracker.accept(delta('t1', 1)).kind).toBe('stale');
    expect(tracker.accept(end('t1', 2)).kind).toBe('deliver');
    expect(tracker.accept(end('t1', 2)).kind).toBe('stale');
  });

  it('has an active turn only between the first frame of a turn and its end', () => {
    // Prepare
    const tracker = new TurnTracker();
    const before = tracker.activeTurnId;

    // Act
    tracker.accept(start('t1'));
    const during = tracker.activeTurnId;
    tracker.accept(end('t1', 1));

    // Assess: nothing left for a Stop button to cancel
    expect([before, during, tracker.activeTurnId]).toEqual([undefined, 't1', undefined]);
    expect(tracker.cancelActive()).toBeUndefined();
  });

  it('has nothing to cancel before any turn, and no active turn once one is cancelled', () => {
    // Prepare
    const tracker = new TurnTracker();

    // Act
    const nothing = tracker.cancelActive();
    tracker.accept(start('t1'));
    const cancelled = tracker.cancelActive();

    // Assess
    expect([nothing, cancelled, tracker.activeTurnId]).toEqual([undefined, 't1', undefined]);
    expect(tracker.cancelActive()).toBeUndefined();
  });

  it('remembers all of the last 64 finished turns through a Stop press with no answer running', () => {
    // Prepare: 64 finished turns, then Stop pressed between answers
    const tracker = new TurnTracker();
    for (let index = 0; index < 64; index += 1) {
      tracker.accept(start(`t${index}`));
      tracker.accept(end(`t${index}`, 1));
    }
    const pressed = tracker.cancelActive();

    // Act: a late frame of the oldest of them
    const late = tracker.accept(delta('t0', 1));

    // Assess
    expect(pressed).toBeUndefined();
    expect(late).toEqual({ kind: 'stale' });
  });

  it('drops a frame older than the last one delivered, not only the same seq', () => {
    // Prepare
    const tracker = new TurnTracker();
    tracker.accept(start('t1'));
    tracker.accept(delta('t1', 1));
    tracker.accept(delta('t1', 2));

    // Act
    const older = tracker.accept(delta('t1', 1));
    const next = tracker.accept(delta('t1', 3));

    // Assess
    expect([older, next]).toEqual([{ kind: 'duplicate' }, { kind: 'deliver' }]);
  });

  it('forgets a cancelled turn with its other finished turns: its end, once forgotten, passes once as a new turn', () => {
    // Prepare: a cancelled turn, then 64 answered turns push it out of memory
    const tracker = new TurnTracker();
    tracker.accept(start('cancelled'));
    tracker.cancelActive();
    for (let index = 0; index < 64; index += 1) {
      tracker.accept(start(`t${index}`));
      tracker.accept(end(`t${index}`, 1));
    }

    // Act: its end arrives twice (two sockets during a renewal)
    const first = tracker.accept(end('cancelled', 5));
    const second = tracker.accept(end('cancelled', 5));

    // Assess
    expect(first).toEqual({ kind: 'deliver', gap: { expected: 0, received: 5 } });
    expect(second).toEqual({ kind: 'stale' });
  });

  it('always delivers frames outside any turn', () => {
    const tracker = new TurnTracker();
    const error: Frame = {
      v: 1,
      type: 'error',
      turnId: '',
      seq: 0,
      code: 'UnknownAction',
      message: 'no',
      retryable: false,
    };
    expect(tracker.accept(error).kind).toBe('deliver');
    expect(tracker.accept(error).kind).toBe('deliver');
  });
});

describe('rawAnswerText', () => {
  it.each(MALFORMED)('$name: answer text unless it counts as a frame', ({ message, frame }) => {
    // Act
    const text = rawAnswerText(message);

    // Assess
    expect(text).toBe(frame ? undefined : message);
  });

  it.each([
    ['a frame', JSON.stringify(delta('t1', 1, 'Hello'))],
    ['a frame after whitespace', ` \n${JSON.stringify(delta('t1', 1, 'Hello'))}`],
  ])('is undefined for %s (the client reads it)', (_name, data) => {
    expect(rawAnswerText(data)).toBeUndefined();
  });

  it.each([
    ['a number', '42'],
    ['a quoted string', '"yes"'],
    ['a list', '[1]'],
    ['an object without v', '{"type":"delta","text":"hi"}'],
    ['an object with a non-string type', '{"v":1,"type":1}'],
    ['model text', 'QnABot streams answers.'],
    ['an empty message', ''],
  ])('returns %s as answer text, unchanged', (_name, data) => {
    expect(rawAnswerText(data)).toBe(data);
  });
});
