/**
 * The session table: which WebSocket connections (tabs) belong to which Lex session, and which
 * identity owns each session id. The rules of ownership are in session-binding.ts; this module
 * stores what they decide.
 *
 * ## Layout
 * One key, the partition key `sessionId` (S), as in QnABot's own streaming table, so the readers
 * that exist today work unchanged: QnABot 7's fulfillment (`GetItem {sessionId}` →
 * `Item.connectionId.S`, upstream source/lambda/es-proxy-layer/lib/getConnectionId.js) and the
 * Lambdas Lex Web UI's README tells users to write (`get_item(Key={'sessionId': …})`). Three kinds of
 * item share the key; the prefixes contain `#`, which no session id can (SESSION_ID_PATTERN, and
 * Lex's own session id alphabet), so they never collide with a session:
 *
 * | key | kind | attributes |
 * | --- | --- | --- |
 * | `<sessionId>` | session | `connectionId` (the pointer: the newest live text tab, else the newest live tab; absent when none), `tabs` (map connectionId → {protocol, connectedAt ms, ttl s}), `owner` (identity key; absent in OFF mode), `claimExpiresAt` (s), `cancelRequestedAt` (ms), `version`, `ttl` |
 * | `c#<connectionId>` | connection | `session` (its session id), `protocol`, `connectedAt`, `ttl`: how `$disconnect`, `cancel`, `$default` and the ask route find the session from the connection alone |
 * | `i#<identity>` | identity | `claims` (map sessionId → claim expiry s), `version`, `ttl`: the per-identity cap of OWNER mode |
 * | `a#i#<identity>`, `a#s#<sessionId>` | ask limits | `leases` (map leaseId → {session, startedAt ms, expiresAt ms}: answers in flight), `asks` (list of ms: questions admitted in the last minute), `version`, `ttl`: the direct-ask route's limits per owner identity, or per session when it has no owner (below, "Ask limits") |
 *
 * `ttl` is the TTL attribute (connect time + 2 h + margin for tabs; the later of the claim and the
 * tabs for a session). DynamoDB deletes expired items late (and dynalite never), so every reader here
 * drops expired tabs and claims itself.
 *
 * ## Writes
 * Session and identity items are written whole with a condition on `version` (optimistic
 * concurrency), re-read and re-decided on conflict. A `$connect` writes, in this order: the identity
 * item (its claim, so the cap holds under concurrent connects), the connection item, then the session
 * item, the commit point: the claim and the tab land in that one conditional write, so of two
 * identities racing for one session id exactly one wins. The loser removes what it wrote before
 * (its connection item and its claim) and gets 403. No TransactWriteItems: dynalite, the local
 * DynamoDB, lacks it, and the order above keeps every invariant with single-item conditions; a
 * Lambda that dies between the writes leaves at worst a connection item that points at no tab
 * (ignored) or a claim that lapses on its own.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Protocol } from '../protocol/websocket';
import { BINDING_DEFAULTS, TABLE } from './constants';
import { SessionTableError } from './errors';
import {
  type BindingLimits,
  BindingRefusal,
  type ConnectRequest,
  cappedIdentity,
  type IdentityState,
  liveTabs,
  planClaimRelease,
  planClaimUpdate,
  planConnect,
  planRemoveTab,
  pointerTab,
  type SessionState,
  type TabState,
} from './session-binding';

/** One live tab of a session, as publishers and the connection routes see it. */
export interface ConnectionRecord {
  sessionId: string;
  connectionId: string;
  protocol: Protocol;
  /** Epoch milliseconds. */
  connectedAt: number;
  /** Epoch seconds after which the tab is to be ignored. */
  ttl: number;
  /** Epoch milliseconds of the session's latest `cancel`, from any of its tabs. */
  cancelRequestedAt?: number;
}

export interface SessionTableOptions {
  /** A DynamoDB client (wrapped in a document client here). */
  client: DynamoDBClient;
  tableName: string;
  /** Seconds a tab item lives after connect. */
  ttlSeconds: number;
  /** Seconds the owner keeps a session id after its last tab closed. @default BINDING_DEFAULTS.claimGraceSeconds */
  claimGraceSeconds?: number;
  /** Returns [0, 1): the jitter of the pause after a lost race (raceBackoff). @default Math.random */
  random?: () => number;
  /** Waits `ms` milliseconds (the pause after a lost race). @default setTimeout */
  pause?: (ms: number) => Promise<void>;
}

export type ConnectOutcome =
  | { accepted: true; tab: TabState; session: SessionState }
  | { accepted: false; refusal: BindingRefusal };

/**
 * A session records at most one cancel per this many milliseconds (`requestCancel`). The first cancel
 * of a flood stops the running answer (publishers see it within their poll, under 1 s); the rest
 * have nothing left to stop. Short enough that a visitor who stops an answer, asks again and stops
 * the new answer at once still has the second cancel recorded (a new answer starts after Lex or the
 * ask route has taken the question: more than this later in practice); a flood still costs at most
 * four writes a second per session.
 */
export const CANCEL_MIN_INTERVAL_MS = 250;

/** How often a write is re-decided after losing a race before the request gives up. */
const MAX_ATTEMPTS = 16;

/** The longest pause after a lost race, in milliseconds. */
const MAX_RACE_PAUSE_MS = 160;

/**
 * The pause before re-deciding after a lost race: random, growing by 10 ms per attempt up to
 * MAX_RACE_PAUSE_MS, so many writers on one hot item (a flood of connects to one session) spread
 * out instead of colliding again in lockstep. Undefined for the first attempt, which never waits.
 */
export function racePauseMs(attempt: number, random: () => number): number | undefined {
  if (attempt === 0) return undefined;
  return random() * Math.min(MAX_RACE_PAUSE_MS, 10 * attempt);
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function isExpired(record: Pick<ConnectionRecord, 'ttl'>, nowMs: number): boolean {
  return record.ttl > 0 && record.ttl * 1000 <= nowMs;
}

export const connectionKey = (connectionId: string): string => `${TABLE.connectionKeyPrefix}${connectionId}`;
export const identityKey = (identity: string): string => `${TABLE.identityKeyPrefix}${identity}`;

function isConditionFailure(error: unknown): boolean {
  return (error as { name?: string } | undefined)?.name === 'ConditionalCheckFailedException';
}

/** A stored item and the condition that a write based on it must meet. */
interface Stored<T> {
  value: T | undefined;
  /** false: no item; 0: an item without `version` (e.g. written by QnABot's connect Lambda). */
  version: number | false;
}

function versionCondition(version: number | false): {
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
} {
  if (version === false) {
    return {
      ConditionExpression: 'attribute_not_exists(#k)',
      ExpressionAttributeNames: { '#k': TABLE.partitionKey },
    };
  }
  if (version === 0) {
    return {
      ConditionExpression: 'attribute_exists(#k) AND attribute_not_exists(#v)',
      ExpressionAttributeNames: { '#k': TABLE.partitionKey, '#v': 'version' },
    };
  }
  return {
    ConditionExpression: '#v = :v',
    ExpressionAttributeNames: { '#v': 'version' },
    ExpressionAttributeValues: { ':v': version },
  };
}

function toTab(connectionId: string, raw: unknown): TabState {
  const tab = (raw ?? {}) as Record<string, unknown>;
  return {
    connectionId,
    protocol: tab.protocol === 'json' ? 'json' : 'text',
    connectedAt: Number(tab.connectedAt ?? 0),
    ttl: Number(tab.ttl ?? 0),
  };
}

/** QnABot's own connect Lambda (upstream source/lambda/streaming/index.js) stores `ttl` = connect + 2 h. */
const QNABOT_ITEM_TTL_SECONDS = 2 * 60 * 60;

function toSession(item: Record<string, unknown>): SessionState {
  const tabs = Object.entries((item.tabs ?? {}) as Record<string, unknown>)
    .map(([connectionId, raw]) => toTab(connectionId, raw))
    .sort((a, b) => a.connectedAt - b.connectedAt);
  if (item.tabs === undefined && typeof item[TABLE.pointerAttribute] === 'string') {
    // An item QnABot's connect Lambda wrote before this stack replaced it: its socket still streams
    // (as a text tab without an owner) until it closes or the page reconnects.
    const ttl = Number(item[TABLE.ttlAttribute] ?? 0);
    tabs.push({
      connectionId: item[TABLE.pointerAttribute] as string,
      protocol: 'text',
      connectedAt: (ttl - QNABOT_ITEM_TTL_SECONDS) * 1000,
      ttl,
    });
  }
  const session: SessionState = {
    sessionId: String(item.sessionId),
    claimExpiresAt: Number(item.claimExpiresAt ?? 0),
    tabs,
    version: Number(item.version ?? 0),
  };
  if (typeof item.owner === 'string') session.owner = item.owner;
  if (item.cancelRequestedAt !== undefined) session.cancelRequestedAt = Number(item.cancelRequestedAt);
  return session;
}

function fromSession(session: SessionState, nowMs: number): Record<string, unknown> {
  const tabs: Record<string, unknown> = {};
  for (const tab of session.tabs) {
    tabs[tab.connectionId] = { protocol: tab.protocol, connectedAt: tab.connectedAt, ttl: tab.ttl };
  }
  const pointer = pointerTab(liveTabs(session, nowMs));
  return {
    [TABLE.partitionKey]: session.sessionId,
    kind: 'session',
    [TABLE.pointerAttribute]: pointer?.connectionId,
    tabs,
    owner: session.owner,
    claimExpiresAt: session.claimExpiresAt,
    cancelRequestedAt: session.cancelRequestedAt,
    version: session.version,
    [TABLE.ttlAttribute]: Math.max(session.claimExpiresAt, ...session.tabs.map((tab) => tab.ttl)),
  };
}

function toIdentity(identity: string, item: Record<string, unknown>): IdentityState {
  const claims: Record<string, number> = {};
  for (const [sessionId, expiresAt] of Object.entries((item.claims ?? {}) as Record<string, unknown>)) {
    claims[sessionId] = Number(expiresAt);
  }
  return { identity, claims, version: Number(item.version ?? 0) };
}

function fromIdentity(identity: IdentityState): Record<string, unknown> {
  return {
    [TABLE.partitionKey]: identityKey(identity.identity),
    kind: 'identity',
    claims: identity.claims,
    version: identity.version,
    [TABLE.ttlAttribute]: Math.max(0, ...Object.values(identity.claims)),
  };
}

// --- Ask limits (the direct-ask route only) ------------------------------------------------------
// The ask Lambda admits a question by a version-conditioned write of one `a#…` item: a lease per
// answer in flight (expiring at the Lambda's deadline, so a crashed Lambda cannot block a session
// for longer) and the times of recent questions. The decisions are functions/ask/ask-limits.ts's;
// this module only stores them. No other writer touches these items.

/** One answer in flight. */
export interface AskLease {
  /** The session it streams to. */
  session: string;
  /** Epoch milliseconds. */
  startedAt: number;
  /** Epoch milliseconds after which the lease no longer counts (the Lambda's deadline). */
  expiresAt: number;
}

/** What an `a#…` item holds. */
export interface AskLimitState {
  /** The item's key (askLimitKey). */
  key: string;
  leases: Record<string, AskLease>;
  /** Epoch milliseconds of the questions admitted recently, oldest first. */
  asks: number[];
}

/** The ask-limit item of a session: its owner's (all of the owner's sessions share it), else its own. */
export function askLimitKey(owner: string | undefined, sessionId: string): string {
  return owner === undefined
    ? `${TABLE.askKeyPrefix}s#${sessionId}`
    : `${TABLE.askKeyPrefix}${TABLE.identityKeyPrefix}${owner}`;
}

function toAskLimits(key: string, item: Record<string, unknown>): AskLimitState {
  const leases: Record<string, AskLease> = {};
  for (const [leaseId, raw] of Object.entries((item.leases ?? {}) as Record<string, unknown>)) {
    const lease = (raw ?? {}) as Record<string, unknown>;
    leases[leaseId] = {
      session: String(lease.session ?? ''),
      startedAt: Number(lease.startedAt ?? 0),
      expiresAt: Number(lease.expiresAt ?? 0),
    };
  }
  const asks = (Array.isArray(item.asks) ? item.asks : []).map(Number).sort((a, b) => a - b);
  return { key, leases, asks };
}

function fromAskLimits(state: AskLimitState, version: number, windowEndsMs: number): Record<string, unknown> {
  const expiries = Object.values(state.leases).map((lease) => lease.expiresAt);
  return {
    [TABLE.partitionKey]: state.key,
    kind: 'ask-limits',
    leases: state.leases,
    asks: state.asks,
    version,
    [TABLE.ttlAttribute]: Math.ceil(Math.max(windowEndsMs, ...expiries) / 1000),
  };
}

export class SessionTable {
  private readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  private readonly ttlSeconds: number;
  private readonly claimGraceSeconds: number;
  private readonly random: () => number;
  private readonly pause: (ms: number) => Promise<void>;

  constructor(options: SessionTableOptions) {
    if (!options.tableName) throw new SessionTableError('tableName is required');
    this.documents = DynamoDBDocumentClient.from(options.client, {
      marshallOptions: { removeUndefinedValues: true },
    });
    this.tableName = options.tableName;
    this.ttlSeconds = options.ttlSeconds;
    this.claimGraceSeconds = options.claimGraceSeconds ?? BINDING_DEFAULTS.claimGraceSeconds;
    this.random = options.random ?? Math.random;
    this.pause = options.pause ?? sleep;
  }

  /** Waits before re-deciding a write after `attempt` lost races (racePauseMs). */
  private async raceBackoff(attempt: number): Promise<void> {
    const ms = racePauseMs(attempt, this.random);
    if (ms !== undefined) await this.pause(ms);
  }

  private async getItem(key: string, what: string): Promise<Record<string, unknown> | undefined> {
    try {
      const result = await this.documents.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { [TABLE.partitionKey]: key },
          ConsistentRead: true,
        }),
      );
      return result.Item;
    } catch (error) {
      throw new SessionTableError(`could not read ${what}`, { cause: error });
    }
  }

  /** Writes `item` when the stored version is still `version`; false when another writer won. */
  private async putIf(
    item: Record<string, unknown>,
    version: number | false,
    what: string,
  ): Promise<boolean> {
    try {
      await this.documents.send(
        new PutCommand({ TableName: this.tableName, Item: item, ...versionCondition(version) }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new SessionTableError(`could not write ${what}`, { cause: error });
    }
  }

  private async deleteItem(key: string, what: string): Promise<void> {
    try {
      await this.documents.send(
        new DeleteCommand({ TableName: this.tableName, Key: { [TABLE.partitionKey]: key } }),
      );
    } catch (error) {
      throw new SessionTableError(`could not delete ${what}`, { cause: error });
    }
  }

  private async readSession(sessionId: string): Promise<Stored<SessionState>> {
    const item = await this.getItem(sessionId, 'a session');
    if (!item) return { value: undefined, version: false };
    // An item without `version` (QnABot's connect Lambda's) reads as version 0.
    const session = toSession(item);
    return { value: session, version: session.version };
  }

  private async readIdentity(identity: string): Promise<Stored<IdentityState>> {
    const item = await this.getItem(identityKey(identity), 'an identity');
    if (!item) return { value: undefined, version: false };
    const state = toIdentity(identity, item);
    return { value: state, version: state.version };
  }

  /** The session item, or undefined when there is none. Tabs may include expired ones. */
  async getSession(sessionId: string): Promise<SessionState | undefined> {
    return (await this.readSession(sessionId)).value;
  }

  /** Session ids an identity holds a claim on, with each expiry (epoch seconds); {} when none. */
  async getClaims(identity: string): Promise<Record<string, number>> {
    return (await this.readIdentity(identity)).value?.claims ?? {};
  }

  // --- Ask limits (see "Ask limits" above the class) ---------------------------------------------

  /** The ask-limit item under `key` (askLimitKey) and the version a write based on it must meet. */
  async getAskLimits(key: string): Promise<{ state: AskLimitState | undefined; version: number | false }> {
    const item = await this.getItem(key, 'the ask limits');
    if (!item) return { state: undefined, version: false };
    return { state: toAskLimits(key, item), version: Number(item.version ?? 0) };
  }

  /**
   * Writes the ask limits when the stored item is still at `version` (false: no item yet); false when
   * another ask won the race. `windowEndsMs`: until when the recent questions matter (for `ttl`).
   */
  async putAskLimits(state: AskLimitState, version: number | false, windowEndsMs: number): Promise<boolean> {
    return this.putIf(fromAskLimits(state, Number(version) + 1, windowEndsMs), version, 'the ask limits');
  }

  /** Ends an answer's lease (one write, no read); false when it was gone already (expired and dropped). */
  async releaseAskLease(key: string, leaseId: string): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [TABLE.partitionKey]: key },
          UpdateExpression: 'REMOVE #leases.#id ADD #v :one',
          ConditionExpression: 'attribute_exists(#leases.#id)',
          ExpressionAttributeNames: { '#leases': 'leases', '#id': leaseId, '#v': 'version' },
          ExpressionAttributeValues: { ':one': 1 },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new SessionTableError('could not release an answer lease', { cause: error });
    }
  }

  /**
   * Registers a `$connect` under the identity binding `limits`: either the tab is stored (and the
   * session's claim with it) or the refusal says why, and nothing of this connection is left.
   */
  async connect(request: ConnectRequest, limits: BindingLimits, nowMs: number): Promise<ConnectOutcome> {
    const claimant = cappedIdentity(request, limits);
    const noIdentity: Stored<IdentityState> = { value: undefined, version: false };
    let wroteConnection = false;
    let identity = noIdentity;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      await this.raceBackoff(attempt);
      let session: Stored<SessionState>;
      [session, identity] = await Promise.all([
        this.readSession(request.sessionId),
        claimant === undefined ? noIdentity : this.readIdentity(claimant),
      ]);
      const plan = planConnect(
        request,
        { session: session.value, identity: identity.value },
        limits,
        this.ttlSeconds,
        nowMs,
      );
      if (plan instanceof BindingRefusal) {
        await this.undoConnect(request, identity, wroteConnection, nowMs);
        return { accepted: false, refusal: plan };
      }
      // The claim and the connection item go together (the connection item alone is harmless: it
      // points at no tab until the session write below commits).
      const [claimed] = await Promise.all([
        plan.identity ? this.putIf(fromIdentity(plan.identity), identity.version, 'an identity claim') : true,
        wroteConnection ? undefined : this.putConnectionItem(request.sessionId, plan.tab),
      ]);
      wroteConnection = true;
      if (!claimed) continue;
      if (await this.putIf(fromSession(plan.session, nowMs), session.version, 'a session')) {
        return { accepted: true, tab: plan.tab, session: plan.session };
      }
    }
    // Rivals won every round: take back this connection's item and claim, as a refusal would.
    await this.undoConnect(request, identity, wroteConnection, nowMs);
    throw new SessionTableError(`gave up registering a connection after ${MAX_ATTEMPTS} concurrent writes`);
  }

  /** A refused `$connect` takes back what an earlier attempt of it wrote. */
  private async undoConnect(
    request: ConnectRequest,
    identity: Stored<IdentityState>,
    wroteConnection: boolean,
    nowMs: number,
  ): Promise<void> {
    if (wroteConnection) await this.deleteItem(connectionKey(request.connectionId), 'a connection');
    let current = identity;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      await this.raceBackoff(attempt);
      const released = planClaimRelease(current.value, request.sessionId, nowMs);
      if (!released) return;
      // Release only a claim this identity does not really hold (the session is someone else's).
      const session = (await this.readSession(request.sessionId)).value;
      if (session?.owner === current.value?.identity) return;
      if (await this.putIf(fromIdentity(released), current.version, 'an identity claim')) return;
      const identityKeyValue = current.value?.identity;
      if (identityKeyValue === undefined) return;
      current = await this.readIdentity(identityKeyValue);
    }
  }

  private async putConnectionItem(sessionId: string, tab: TabState): Promise<void> {
    try {
      await this.documents.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            [TABLE.partitionKey]: connectionKey(tab.connectionId),
            kind: 'connection',
            session: sessionId,
            protocol: tab.protocol,
            connectedAt: tab.connectedAt,
            [TABLE.ttlAttribute]: tab.ttl,
          },
        }),
      );
    } catch (error) {
      throw new SessionTableError('could not store a connection', { cause: error });
    }
  }

  /** The live tab a connection id is, with its session; undefined when unknown or expired. */
  async findConnection(
    connectionId: string,
    nowMs: number = Date.now(),
  ): Promise<ConnectionRecord | undefined> {
    const item = await this.getItem(connectionKey(connectionId), 'a connection');
    if (!item || typeof item.session !== 'string') return undefined;
    const record: ConnectionRecord = {
      sessionId: item.session,
      connectionId,
      protocol: item.protocol === 'json' ? 'json' : 'text',
      connectedAt: Number(item.connectedAt ?? 0),
      ttl: Number(item[TABLE.ttlAttribute] ?? 0),
    };
    return isExpired(record, nowMs) ? undefined : record;
  }

  /** Live tabs of a session, oldest first, each with the session's latest cancel request. */
  async listConnections(sessionId: string, nowMs: number = Date.now()): Promise<ConnectionRecord[]> {
    const session = await this.getSession(sessionId);
    if (!session) return [];
    return liveTabs(session, nowMs).map((tab) => {
      const record: ConnectionRecord = { sessionId, ...tab };
      if (session.cancelRequestedAt !== undefined) record.cancelRequestedAt = session.cancelRequestedAt;
      return record;
    });
  }

  /**
   * Forgets one tab of a session (`$disconnect`, or a publisher's 410 Gone): removes it from the
   * session, moves the pointer to another live tab, shortens the claim when it was the last, and
   * deletes the connection item. Returns false when the tab was not (or no longer) in the session.
   */
  async deleteConnection(
    sessionId: string,
    connectionId: string,
    nowMs: number = Date.now(),
  ): Promise<boolean> {
    let removed = false;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      await this.raceBackoff(attempt);
      const stored = await this.readSession(sessionId);
      const next =
        stored.value &&
        planRemoveTab(stored.value, connectionId, { claimGraceSeconds: this.claimGraceSeconds }, nowMs);
      if (!next) break;
      if (await this.putIf(fromSession(next, nowMs), stored.version, 'a session')) {
        removed = true;
        if (next.owner !== undefined && next.claimExpiresAt !== stored.value?.claimExpiresAt) {
          await this.updateClaim(next.owner, sessionId, next.claimExpiresAt, nowMs);
        }
        break;
      }
    }
    await this.deleteItem(connectionKey(connectionId), 'a connection');
    return removed;
  }

  private async updateClaim(
    identity: string,
    sessionId: string,
    expiresAt: number,
    nowMs: number,
  ): Promise<void> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt += 1) {
      await this.raceBackoff(attempt);
      const stored = await this.readIdentity(identity);
      const next = planClaimUpdate(stored.value, sessionId, expiresAt, nowMs);
      if (!next) return;
      if (await this.putIf(fromIdentity(next), stored.version, 'an identity claim')) return;
    }
  }

  /**
   * Marks a cancel request on the session of a tab. Publishers re-read the session while they stream
   * and stop when it carries a cancel newer than their answer's start. Returns false, writing nothing,
   * when the tab is no longer in its session (nothing to cancel, nothing resurrected) or when the
   * session already recorded a cancel less than `minIntervalMs` before `atMs`: the running answer is
   * stopping already, so a flood of `cancel` messages changes the item at most once per interval
   * (no new version for concurrent `$connect`/`$disconnect` writes to lose against). DynamoDB still
   * bills a refused conditional write as a write; the connection routes skip repeats of one socket
   * before they reach the table (connection-routes.ts RecentCancels).
   */
  async requestCancel(
    sessionId: string,
    connectionId: string,
    atMs: number,
    minIntervalMs: number = CANCEL_MIN_INTERVAL_MS,
  ): Promise<boolean> {
    try {
      await this.documents.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { [TABLE.partitionKey]: sessionId },
          UpdateExpression: 'SET #at = :t ADD #v :one',
          ConditionExpression: 'attribute_exists(#tabs.#c) AND (attribute_not_exists(#at) OR #at <= :since)',
          ExpressionAttributeNames: {
            '#at': 'cancelRequestedAt',
            '#v': 'version',
            '#tabs': 'tabs',
            '#c': connectionId,
          },
          ExpressionAttributeValues: { ':t': atMs, ':one': 1, ':since': atMs - minIntervalMs },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw new SessionTableError('could not record a cancel', { cause: error });
    }
  }
}

/** Latest cancel request among a session's connections, if any came after `sinceMs`. */
export function cancelRequestedSince(
  records: readonly ConnectionRecord[],
  sinceMs: number,
): number | undefined {
  let latest: number | undefined;
  for (const record of records) {
    const at = record.cancelRequestedAt;
    if (at !== undefined && at >= sinceMs && (latest === undefined || at > latest)) latest = at;
  }
  return latest;
}
