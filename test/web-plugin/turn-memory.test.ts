/**
 * The frame reader remembers finished turns so that late frames of an answer the page has moved on
 * from are dropped, but a chat that stays open all day must not remember every turn: it keeps the
 * last 64 (web-plugin/frame-reader.ts REMEMBERED_TURNS) and forgets older ones, oldest first.
 */
import type { Frame } from '../../functions/protocol/frames';
import { TurnTracker } from '../../web-plugin/frame-reader';

const REMEMBERED = 64;

const start = (turnId: string): Frame => ({ v: 1, type: 'start', turnId, seq: 0 });
const delta = (turnId: string, seq: number): Frame => ({ v: 1, type: 'delta', turnId, seq, text: 'late' });
const end = (turnId: string, seq: number): Frame => ({
  v: 1,
  type: 'end',
  turnId,
  seq,
  stopReason: 'end_turn',
  totalMs: 1,
});

/** A conversation of `count` answered turns, each start, one delta, end. */
function conversation(tracker: TurnTracker, count: number): string[] {
  const turns = Array.from({ length: count }, (_, index) => `turn-${index}`);
  for (const turnId of turns) {
    for (const frame of [start(turnId), delta(turnId, 1), end(turnId, 2)]) tracker.accept(frame);
  }
  return turns;
}

it('after a long conversation, late frames of the last 64 answers are still dropped and older answers are forgotten, oldest first', () => {
  // Prepare
  const tracker = new TurnTracker();
  const turns = conversation(tracker, 1000);

  // Act + Assess: each of the newest 64 is still known (a stale verdict changes nothing)
  for (const turnId of turns.slice(-REMEMBERED)) {
    expect(tracker.accept(delta(turnId, 1)).kind).toBe('stale');
  }

  // Act + Assess: the one before them is forgotten: its late frame reads as a new turn whose first
  // frames were lost
  const forgotten = turns.at(-REMEMBERED - 1) as string;
  expect(tracker.accept(delta(forgotten, 1))).toEqual({ kind: 'deliver', gap: { expected: 0, received: 1 } });
});
