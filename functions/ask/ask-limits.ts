/**
 * The direct-ask route's limits, as pure decisions over one `a#…` item of the session table
 * (functions/shared/session-table.ts, "Ask limits"):
 *
 * - **Answers in flight per session** (`STREAMING_ASK_ANSWERS_IN_FLIGHT`, default 1): a question
 *   while the session's answer still runs gets a `Busy` error frame and costs no model call. Each
 *   running answer holds a lease that expires at its Lambda's deadline, so a Lambda that crashed
 *   frees the session when it would have timed out at the latest.
 * - **Questions per minute per identity** (`STREAMING_ASK_QUESTIONS_PER_MINUTE`, default 10, 0 = no
 *   limit): counted over a sliding minute for the session's owner (every session one identity owns
 *   shares the count), or for the session itself when it has no owner (`IdentityBinding=OFF`). Past
 *   it a `RateLimited` error frame says when the next question is admitted (`retryAfterMs`).
 *
 * Only admitted questions count; refused ones write nothing. These limits bound one identity; the
 * account-wide bounds are the ask route's throttle and the ask Lambda's reserved concurrency
 * (templates/direct-ask.ts), because anyone can mint new unauthenticated Cognito identities.
 */
import type { DirectAskLimits } from '../shared/config';
import type { AskLease, AskLimitState } from '../shared/session-table';

/** The sliding window of the per-minute count. */
export const ASK_RATE_WINDOW_MS = 60_000;

export type AskRefusal =
  | {
      code: 'Busy';
      message: string /** When the oldest blocking answer started (epoch ms). */;
      blockingSince: number;
    }
  | {
      code: 'RateLimited';
      message: string /** Milliseconds until a question is admitted again. */;
      retryAfterMs: number;
    };

export type AskAdmission = { admitted: true; state: AskLimitState } | ({ admitted: false } & AskRefusal);

export interface AskAdmissionRequest {
  key: string;
  sessionId: string;
  leaseId: string;
  nowMs: number;
  /** Milliseconds the lease lasts: the Lambda's remaining time. */
  leaseMs: number;
}

/** The item without expired leases and without questions older than the window. */
export function liveAskLimits(state: AskLimitState | undefined, key: string, nowMs: number): AskLimitState {
  const leases: Record<string, AskLease> = {};
  for (const [leaseId, lease] of Object.entries(state?.leases ?? {})) {
    if (lease.expiresAt > nowMs) leases[leaseId] = lease;
  }
  const asks = (state?.asks ?? []).filter((at) => at > nowMs - ASK_RATE_WINDOW_MS);
  return { key, leases, asks };
}

function seconds(ms: number): string {
  return `${Math.max(1, Math.ceil(ms / 1000))} s`;
}

/** Admits a question (the state to write) or says why not. */
export function planAskAdmission(
  stored: AskLimitState | undefined,
  request: AskAdmissionRequest,
  limits: DirectAskLimits,
): AskAdmission {
  const { nowMs } = request;
  const live = liveAskLimits(stored, request.key, nowMs);
  const running = Object.values(live.leases)
    .filter((lease) => lease.session === request.sessionId)
    .sort((a, b) => a.startedAt - b.startedAt);
  if (running.length >= limits.answersInFlight) {
    const only = limits.answersInFlight === 1;
    return {
      admitted: false,
      code: 'Busy',
      message: `${only ? 'an answer is' : `${running.length} answers are`} still streaming for this session; wait for ${only ? 'its' : 'one'} end frame, or send {"action":"cancel"} first`,
      blockingSince: running[0]?.startedAt ?? nowMs,
    };
  }
  const perMinute = limits.questionsPerMinute;
  if (perMinute > 0 && live.asks.length >= perMinute) {
    // The question that must leave the window before one more fits.
    const oldest = live.asks[live.asks.length - perMinute] ?? nowMs;
    const retryAfterMs = Math.max(1, oldest + ASK_RATE_WINDOW_MS - nowMs);
    return {
      admitted: false,
      code: 'RateLimited',
      message: `too many questions: at most ${perMinute} a minute; ask again in ${seconds(retryAfterMs)}`,
      retryAfterMs,
    };
  }
  const asks = perMinute > 0 ? [...live.asks, nowMs].slice(-perMinute) : [];
  return {
    admitted: true,
    state: {
      key: request.key,
      leases: {
        ...live.leases,
        [request.leaseId]: {
          session: request.sessionId,
          startedAt: nowMs,
          expiresAt: nowMs + request.leaseMs,
        },
      },
      asks,
    },
  };
}
