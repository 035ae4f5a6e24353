/**
 * Who may connect to a session, as pure functions of the stored state (no I/O, no clock): the
 * identity binding of DESIGN.md "Connection registration". session-table.ts stores what these
 * functions decide, with conditional writes, and re-runs them when a concurrent writer got there
 * first.
 *
 * The modes (IDENTITY_BINDINGS in constants.ts):
 * - OWNER (default): the first identity to connect with a session id owns it while the session has
 *   live tabs or an unexpired claim; the owner may open more tabs, any other identity gets 403. A
 *   session id shaped like a Cognito identity id can only be owned by that very identity (so a
 *   plain IAM principal cannot squat a visitor's id either). One Cognito identity owns at most
 *   `maxSessionsPerIdentity` session ids at once (IAM principals of the account are not capped). Stock Lex Web UI, whose session ids are
 *   `lex-web-ui-` + 4 hex digits, passes.
 * - STRICT: `sessionId` must be the caller's Cognito identity id.
 * - OFF: any signed caller may use any session id (QnABot's own streaming stack behaves so).
 *
 * Claims: a claim lasts as long as the newest tab's item (connect + 2 h + margin). When the last
 * tab of a session closes, the claim is shortened to `claimGraceSeconds` from then, so the owner's
 * reconnect (backoff, renewal before 2 h) finds the session still theirs while a reload does not
 * tie up the id (nor the identity's cap) for hours. A lost `$disconnect` leaves the claim as it
 * was; a doubled one finds nothing to remove. Neither frees another identity's way in early.
 *
 * The residual risk, stated plainly: with 16-bit session ids (Lex Web UI's default) another visitor
 * can pre-claim an id or collide with one; Lex itself then mixes the two conversations, so no
 * server can keep such a visitor from seeing the other's answers. OWNER gives these ids QnABot's
 * level of confidentiality and stops everything else; STRICT plus the plugin (which uses the
 * Cognito identity id as the session id) gives real confidentiality.
 */

import type { Protocol } from '../protocol/websocket';
import { COGNITO_IDENTITY_ID_PATTERN, type IdentityBinding } from './constants';

/** Who signed the `$connect`. */
export interface CallerIdentity {
  /** Stable key of the identity: the Cognito identity id, else the signing principal's ARN. */
  key: string;
  /** Present when the request was signed with Cognito identity credentials. */
  cognitoIdentityId?: string;
}

export interface BindingLimits {
  mode: IdentityBinding;
  maxSessionsPerIdentity: number;
  maxTabsPerSession: number;
  claimGraceSeconds: number;
}

/** One open tab (WebSocket connection) of a session. */
export interface TabState {
  connectionId: string;
  protocol: Protocol;
  /** Epoch milliseconds. */
  connectedAt: number;
  /** Epoch seconds after which the tab is ignored. */
  ttl: number;
}

/** The session item, as stored (see session-table.ts for the attribute names). */
export interface SessionState {
  sessionId: string;
  /** Identity key of the owner; absent in OFF mode. */
  owner?: string;
  /** Epoch seconds until which the owner keeps the session id, tabs or not. */
  claimExpiresAt: number;
  /** Tabs, oldest first. May hold expired tabs; readers drop them. */
  tabs: TabState[];
  /** Epoch milliseconds of the newest `cancel` on any tab of the session. */
  cancelRequestedAt?: number;
  /** Optimistic-concurrency version; every write increments it. */
  version: number;
}

/** The identity item: the session ids an identity owns, with each claim's expiry (epoch seconds). */
export interface IdentityState {
  identity: string;
  claims: Record<string, number>;
  version: number;
}

export interface ConnectRequest {
  sessionId: string;
  connectionId: string;
  protocol: Protocol;
  /** Epoch milliseconds. */
  connectedAt: number;
  caller?: CallerIdentity;
}

/** A `$connect` the binding refuses; `statusCode` is what the client gets. */
export class BindingRefusal {
  constructor(
    readonly statusCode: 403,
    readonly reason: string,
  ) {}
}

/** What to write for an accepted `$connect`. */
export interface ConnectPlan {
  session: SessionState;
  /** The identity item to write, when the mode keeps one (OWNER). */
  identity?: IdentityState;
  /** The new tab. */
  tab: TabState;
}

const seconds = (ms: number): number => Math.floor(ms / 1000);

export function liveTabs(session: Pick<SessionState, 'tabs'> | undefined, nowMs: number): TabState[] {
  if (!session) return [];
  const now = seconds(nowMs);
  return session.tabs.filter((tab) => tab.ttl > now);
}

/** True while the session id belongs to its owner: a live tab, or a claim not yet lapsed. */
export function claimIsLive(session: SessionState | undefined, nowMs: number): boolean {
  if (!session) return false;
  return session.claimExpiresAt > seconds(nowMs) || liveTabs(session, nowMs).length > 0;
}

/**
 * The tab QnABot's and Lex Web UI's readers get from `GetItem {sessionId}` → `connectionId`: they
 * post raw text, so the newest text-protocol tab; else the newest tab; undefined with none.
 */
export function pointerTab(tabs: readonly TabState[]): TabState | undefined {
  const newestFirst = [...tabs].sort((a, b) => b.connectedAt - a.connectedAt);
  return newestFirst.find((tab) => tab.protocol === 'text') ?? newestFirst[0];
}

function liveClaims(identity: IdentityState | undefined, nowMs: number): Record<string, number> {
  const now = seconds(nowMs);
  const claims: Record<string, number> = {};
  for (const [sessionId, expiresAt] of Object.entries(identity?.claims ?? {})) {
    if (expiresAt > now) claims[sessionId] = expiresAt;
  }
  return claims;
}

function refuseByMode(request: ConnectRequest, limits: BindingLimits): BindingRefusal | undefined {
  const cognitoId = request.caller?.cognitoIdentityId;
  if (limits.mode === 'STRICT') {
    if (!cognitoId) {
      return new BindingRefusal(
        403,
        'this endpoint only accepts requests signed with Cognito identity credentials',
      );
    }
    if (cognitoId !== request.sessionId) {
      return new BindingRefusal(
        403,
        'sessionId must equal the Cognito identity id the request was signed with',
      );
    }
  }
  if (limits.mode === 'OWNER') {
    if (!request.caller) {
      return new BindingRefusal(403, 'the request carries no identity to bind the session to');
    }
    if (COGNITO_IDENTITY_ID_PATTERN.test(request.sessionId) && cognitoId !== request.sessionId) {
      return new BindingRefusal(
        403,
        'a sessionId shaped like a Cognito identity id can only be used by that identity',
      );
    }
  }
  return undefined;
}

/**
 * The identity whose cap on session ids a `$connect` counts against (its claims are read and
 * written with the session), or undefined. The cap is for visitors (Cognito identities, anonymous
 * ones included), who could otherwise claim a large share of Lex Web UI's 65,536 ids; IAM
 * principals of the account (servers, the CLI) own their sessions without a cap, and only OWNER
 * mode keeps claims.
 */
export function cappedIdentity(request: ConnectRequest, limits: BindingLimits): string | undefined {
  return limits.mode === 'OWNER' && request.caller?.cognitoIdentityId ? request.caller.key : undefined;
}

/**
 * Decides a `$connect` against the current session and identity items (either may be absent).
 * Tabs and claims that lapsed are dropped here, so a lapsed owner's leftovers never block anyone.
 */
export function planConnect(
  request: ConnectRequest,
  current: { session?: SessionState; identity?: IdentityState },
  limits: BindingLimits,
  ttlSeconds: number,
  nowMs: number,
): ConnectPlan | BindingRefusal {
  const refusal = refuseByMode(request, limits);
  if (refusal) return refusal;

  const owner = limits.mode === 'OFF' ? undefined : request.caller?.key;
  const { session } = current;
  const live = claimIsLive(session, nowMs);
  // A session without an owner (written in OFF mode, or by QnABot's own connect Lambda before the
  // upgrade) is free to claim; its tabs, whose identity is unknown, are not kept.
  if (live && limits.mode !== 'OFF' && session?.owner !== undefined && session.owner !== owner) {
    return new BindingRefusal(403, 'this sessionId is in use by another identity; start a new session');
  }
  const continuing = live && session?.owner === owner;
  const keptTabs = continuing ? liveTabs(session, nowMs) : [];
  if (keptTabs.length >= limits.maxTabsPerSession) {
    return new BindingRefusal(
      403,
      `this session already has ${keptTabs.length} open tabs (the limit is ${limits.maxTabsPerSession}); close one and retry`,
    );
  }
  const tab: TabState = {
    connectionId: request.connectionId,
    protocol: request.protocol,
    connectedAt: request.connectedAt,
    ttl: seconds(request.connectedAt) + ttlSeconds,
  };
  const claimExpiresAt = Math.max(continuing && session ? session.claimExpiresAt : 0, tab.ttl);
  const next: SessionState = {
    sessionId: request.sessionId,
    claimExpiresAt,
    tabs: [...keptTabs.filter((t) => t.connectionId !== tab.connectionId), tab],
    version: (session?.version ?? 0) + 1,
  };
  if (owner !== undefined) next.owner = owner;
  if (continuing && session?.cancelRequestedAt !== undefined)
    next.cancelRequestedAt = session.cancelRequestedAt;

  if (owner === undefined || cappedIdentity(request, limits) === undefined) return { session: next, tab };

  const claims = liveClaims(current.identity, nowMs);
  const held = Object.keys(claims).filter((id) => id !== request.sessionId).length;
  if (!(request.sessionId in claims) && held >= limits.maxSessionsPerIdentity) {
    return new BindingRefusal(
      403,
      `this identity already uses ${held} session ids (the limit is ${limits.maxSessionsPerIdentity}); close other chats or wait a few minutes`,
    );
  }
  claims[request.sessionId] = claimExpiresAt;
  return {
    session: next,
    tab,
    identity: { identity: owner, claims, version: (current.identity?.version ?? 0) + 1 },
  };
}

/**
 * The session after one of its tabs is gone (`$disconnect`, or a publisher's 410). When no live
 * tab remains, the claim is shortened to the grace period (never lengthened). Undefined when the
 * tab is not in the session (a doubled `$disconnect`): nothing to write.
 */
export function planRemoveTab(
  session: SessionState,
  connectionId: string,
  limits: Pick<BindingLimits, 'claimGraceSeconds'>,
  nowMs: number,
): SessionState | undefined {
  if (!session.tabs.some((tab) => tab.connectionId === connectionId)) return undefined;
  const remaining = liveTabs(session, nowMs).filter((tab) => tab.connectionId !== connectionId);
  const claimExpiresAt =
    remaining.length > 0
      ? session.claimExpiresAt
      : Math.min(session.claimExpiresAt, seconds(nowMs) + limits.claimGraceSeconds);
  return { ...session, tabs: remaining, claimExpiresAt, version: session.version + 1 };
}

/** The identity item after its claim on `sessionId` changed to `expiresAt` (or undefined: unchanged). */
export function planClaimUpdate(
  identity: IdentityState | undefined,
  sessionId: string,
  expiresAt: number,
  nowMs: number,
): IdentityState | undefined {
  if (!identity || !(sessionId in identity.claims) || identity.claims[sessionId] === expiresAt)
    return undefined;
  const claims = liveClaims(identity, nowMs);
  if (expiresAt > seconds(nowMs)) claims[sessionId] = expiresAt;
  else delete claims[sessionId];
  return { ...identity, claims, version: identity.version + 1 };
}

/** The identity item without its claim on `sessionId` (a `$connect` that lost the race). */
export function planClaimRelease(
  identity: IdentityState | undefined,
  sessionId: string,
  nowMs: number,
): IdentityState | undefined {
  if (!identity || !(sessionId in identity.claims)) return undefined;
  const claims = liveClaims(identity, nowMs);
  delete claims[sessionId];
  return { ...identity, claims, version: identity.version + 1 };
}
