import type { Frame } from '../../functions/protocol/frames';
import { parseJsonFrame, TurnTracker } from '../../web-plugin/frame-reader';

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

  it('always delivers frames outside any turn', () => {
    const tracker = new TurnTracker();
    const error: Frame = { v: 1, type: 'error', turnId: '', seq: 0, code: 'UnknownAction', message: 'no' };
    expect(tracker.accept(error).kind).toBe('deliver');
    expect(tracker.accept(error).kind).toBe('deliver');
  });
});
