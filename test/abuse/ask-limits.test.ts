/**
 * The direct-ask limits as pure decisions (functions/ask/ask-limits.ts): answers in flight per
 * session, questions per minute per identity over a sliding minute, expired leases ignored.
 */
import { ASK_RATE_WINDOW_MS, planAskAdmission } from '../../functions/ask/ask-limits';
import type { DirectAskLimits } from '../../functions/shared/config';
import { readDirectAskLimits } from '../../functions/shared/config';
import type { AskLimitState } from '../../functions/shared/session-table';
import { askLimitKey } from '../../functions/shared/session-table';

const limits: DirectAskLimits = { answersInFlight: 1, questionsPerMinute: 3 };
const key = 'a#i#owner';
const request = (sessionId: string, leaseId: string, nowMs: number) => ({
  key,
  sessionId,
  leaseId,
  nowMs,
  leaseMs: 120_000,
});

/** Admits in sequence, carrying the state forward; the outcome codes. */
function run(steps: [sessionId: string, nowMs: number][], start?: AskLimitState): string[] {
  let state = start;
  return steps.map(([sessionId, nowMs], index) => {
    const plan = planAskAdmission(state, request(sessionId, `lease-${index}`, nowMs), limits);
    if (!plan.admitted) return plan.code;
    state = plan.state;
    return 'admitted';
  });
}

it('admits the first question with a lease until the deadline and counts it', () => {
  const plan = planAskAdmission(undefined, request('s1', 'l1', 1_000), limits);
  expect(plan).toEqual({
    admitted: true,
    state: { key, leases: { l1: { session: 's1', startedAt: 1_000, expiresAt: 121_000 } }, asks: [1_000] },
  });
});

it('refuses a second answer of the same session while the first runs (Busy), not one of another session', () => {
  expect(
    run([
      ['s1', 0],
      ['s1', 10],
      ['s2', 20],
    ]),
  ).toEqual(['admitted', 'Busy', 'admitted']);
});

it('an expired lease (a Lambda that died) no longer blocks the session', () => {
  const crashed: AskLimitState = {
    key,
    leases: { dead: { session: 's1', startedAt: 0, expiresAt: 5_000 } },
    asks: [],
  };
  expect(planAskAdmission(crashed, request('s1', 'l', 4_999), limits).admitted).toBe(false);
  expect(planAskAdmission(crashed, request('s1', 'l', 5_000), limits)).toMatchObject({ admitted: true });
});

it('counts questions per identity over a sliding minute and names when the next one fits', () => {
  // three sessions of one owner, each answer finished (no leases), asked at 0, 10 s and 20 s
  const state: AskLimitState = { key, leases: {}, asks: [0, 10_000, 20_000] };
  const refused = planAskAdmission(state, request('s4', 'l', 30_000), limits);
  expect(refused).toEqual({
    admitted: false,
    code: 'RateLimited',
    message: 'too many questions: at most 3 a minute; ask again in 30 s',
    retryAfterMs: 30_000,
  });
  expect(planAskAdmission(state, request('s4', 'l', ASK_RATE_WINDOW_MS + 1), limits)).toMatchObject({
    admitted: true,
    state: { asks: [10_000, 20_000, ASK_RATE_WINDOW_MS + 1] },
  });
});

it('keeps at most the per-minute count of times, and none without a rate limit', () => {
  const busy: AskLimitState = { key, leases: {}, asks: [1, 2] };
  const plan = planAskAdmission(busy, request('s', 'l', 10), { answersInFlight: 1, questionsPerMinute: 0 });
  expect(plan).toMatchObject({ admitted: true, state: { asks: [] } });
});

it('answersInFlight > 1 lets that many run per session', () => {
  let state: AskLimitState | undefined;
  const outcomes = [0, 1, 2].map((index) => {
    const plan = planAskAdmission(state, request('s1', `l${index}`, index), {
      answersInFlight: 2,
      questionsPerMinute: 0,
    });
    if (plan.admitted) state = plan.state;
    return plan.admitted ? 'admitted' : plan.code;
  });
  expect(outcomes).toEqual(['admitted', 'admitted', 'Busy']);
});

it('keys the limits by the owner (all of its sessions share them), else by the session', () => {
  expect(askLimitKey('us-east-1:abc', 'lex-web-ui-1a2b')).toBe('a#i#us-east-1:abc');
  expect(askLimitKey(undefined, 'lex-web-ui-1a2b')).toBe('a#s#lex-web-ui-1a2b');
});

it('reads the limits from the environment, with safe defaults and ranges', () => {
  expect(readDirectAskLimits({})).toEqual({ answersInFlight: 1, questionsPerMinute: 10 });
  expect(
    readDirectAskLimits({ STREAMING_ASK_ANSWERS_IN_FLIGHT: '2', STREAMING_ASK_QUESTIONS_PER_MINUTE: '0' }),
  ).toEqual({ answersInFlight: 2, questionsPerMinute: 0 });
  expect(() => readDirectAskLimits({ STREAMING_ASK_ANSWERS_IN_FLIGHT: '0' })).toThrow(
    'STREAMING_ASK_ANSWERS_IN_FLIGHT must be an integer from 1 to 10, got "0"',
  );
  expect(() => readDirectAskLimits({ STREAMING_ASK_QUESTIONS_PER_MINUTE: '-1' })).toThrow(
    /STREAMING_ASK_QUESTIONS_PER_MINUTE must be an integer from 0 to 600/,
  );
});
