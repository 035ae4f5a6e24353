/**
 * Names and limits shared by the templates, the Lambdas and the local stack. A value here is a
 * contract: the template sets these variables, the code reads them. What the browser also needs
 * (routes, protocols, limits of the socket) is in functions/protocol/websocket.ts.
 */
import { MAX_CONNECTION_SECONDS } from '../protocol/websocket';

/** Environment variables the templates set on the Lambdas (read only through config.ts). */
export const ENV = {
  /** Name of the session table. */
  tableName: 'STREAMING_TABLE_NAME',
  /** `https://…/Prod` base URL of the `@connections` API (ApiGatewayManagementApi endpoint). */
  callbackUrl: 'STREAMING_CALLBACK_URL',
  /** `wss://…/Prod` URL browsers connect to; lets the publisher recognise a matching session attribute. */
  webSocketEndpoint: 'STREAMING_WEBSOCKET_ENDPOINT',
  /** `OWNER` (default), `STRICT` or `OFF`: how `$connect` binds a session id to an identity (IDENTITY_BINDINGS). */
  identityBinding: 'STREAMING_IDENTITY_BINDING',
  /** OWNER binding: session ids one identity may own at once (403 past it). */
  maxSessionsPerIdentity: 'STREAMING_MAX_SESSIONS_PER_IDENTITY',
  /** Open tabs (connections) one session may have at once (403 past it). */
  maxTabsPerSession: 'STREAMING_MAX_TABS_PER_SESSION',
  /** Seconds a session stays claimed by its owner after its last tab closed (reconnect gap). */
  claimGraceSeconds: 'STREAMING_CLAIM_GRACE_SECONDS',
  /** Seconds a connection item lives (API Gateway closes sockets after 2 h). */
  sessionTtlSeconds: 'STREAMING_SESSION_TTL_SECONDS',
  logLevel: 'LOG_LEVEL',
  /**
   * Key (16+ characters) of the keyed hashes that stand for session and identity ids in logs
   * (functions/shared/log-safe.ts); unset: a random key per container. Same value on every Lambda.
   */
  logHashKey: 'STREAMING_LOG_HASH_KEY',
  /** Publisher: milliseconds text is coalesced after the first post (see functions/streaming/pipeline/coalescer.ts). */
  coalesceWindowMs: 'STREAMING_COALESCE_WINDOW_MS',
  /** Publisher: buffered UTF-8 bytes that trigger a post before the window ends. */
  coalesceMaxBytes: 'STREAMING_COALESCE_MAX_BYTES',
  /**
   * Publisher: milliseconds the answer waits before returning to Lex when a text-protocol tab got
   * text, so Lex Web UI's display shows the last words first (functions/streaming/pipeline/text-protocol.ts).
   */
  textHoldMs: 'STREAMING_TEXT_HOLD_MS',
  /** Publisher: milliseconds between re-reads of the session's connections (new tabs, cancel). */
  sessionPollMs: 'STREAMING_SESSION_POLL_MS',
  /**
   * Publisher next to a QnABot master (no STREAMING_CALLBACK_URL/STREAMING_TABLE_NAME of ours):
   * `true` also accepts a loopback `http://127.0.0.1:<port>/Prod` endpoint from the session
   * attributes, for the local stack only (session-attributes.ts `qnabotStreamingTarget`).
   */
  allowLocalEndpoints: 'STREAMING_ALLOW_LOCAL_ENDPOINTS',
  /** Example Lambdas: Bedrock model id (or inference profile) used when the hook names none. */
  modelId: 'STREAMING_MODEL_ID',
  /** Example Lambdas: system prompt used when the hook names none. */
  systemPrompt: 'STREAMING_SYSTEM_PROMPT',
  /** Example Lambdas: maximum output tokens of one answer. */
  maxTokens: 'STREAMING_MAX_TOKENS',
  /** Ask Lambda: answers one session may have running at once; one more ask gets a `Busy` error frame. */
  askAnswersInFlight: 'STREAMING_ASK_ANSWERS_IN_FLIGHT',
  /**
   * Ask Lambda: questions one identity (the session's owner; a session without one counts alone)
   * may ask per minute; past it a `RateLimited` error frame names when to ask again. 0 = no limit.
   */
  askQuestionsPerMinute: 'STREAMING_ASK_QUESTIONS_PER_MINUTE',
} as const;

/**
 * Session table layout (written down in full in functions/shared/session-table.ts): partition key
 * `sessionId` only, the key QnABot's and Lex Web UI's readers use (`GetItem {sessionId}`). Besides
 * the session items, the same key holds reverse-lookup items under prefixes that a session id can
 * never carry (`#` is outside SESSION_ID_PATTERN and Lex's session id alphabet).
 */
export const TABLE = {
  partitionKey: 'sessionId',
  ttlAttribute: 'ttl',
  /** Attribute of the session item naming its newest live tab (what QnABot reads). */
  pointerAttribute: 'connectionId',
  /** Key prefix of a connection's item (`c#<connectionId>` → its session), for `$disconnect`/`cancel`. */
  connectionKeyPrefix: 'c#',
  /** Key prefix of an identity's item (`i#<identity>` → the session ids it owns), for the per-identity cap. */
  identityKeyPrefix: 'i#',
  /**
   * Key prefix of the direct-ask limits (`a#i#<identity>` or `a#s#<sessionId>` → answers in flight and
   * recent questions), written by the ask Lambda only.
   */
  askKeyPrefix: 'a#',
} as const;

/** Defaults of the direct-ask limits (template parameters DirectAskAnswersInFlight, DirectAskQuestionsPerMinute). */
export const DIRECT_ASK_DEFAULTS = {
  answersInFlight: 1,
  questionsPerMinute: 10,
} as const;

/** Connection items outlive the socket by this margin so readers never lose a live connection. */
export const TTL_MARGIN_SECONDS = 10 * 60;
export const DEFAULT_SESSION_TTL_SECONDS = MAX_CONNECTION_SECONDS + TTL_MARGIN_SECONDS;

/**
 * How `$connect` binds a session id to the identity that signed the request:
 * - `OWNER` (default): the first identity to connect with a session id owns it while it has live
 *   tabs or an unexpired claim; a session id shaped like a Cognito identity id can only be owned by
 *   that identity; one identity owns at most STREAMING_MAX_SESSIONS_PER_IDENTITY session ids.
 *   Stock Lex Web UI (`lex-web-ui-` + 4 hex digits) passes.
 * - `STRICT`: `sessionId` must be the caller's Cognito identity id (the plugin's default).
 * - `OFF`: any signed caller may use any session id (QnABot's own behaviour).
 */
export const IDENTITY_BINDINGS = ['OWNER', 'STRICT', 'OFF'] as const;
export type IdentityBinding = (typeof IDENTITY_BINDINGS)[number];

/** Defaults of the binding limits (template parameters MaxSessionsPerIdentity, MaxTabsPerSession). */
export const BINDING_DEFAULTS = {
  identityBinding: 'OWNER',
  maxSessionsPerIdentity: 10,
  maxTabsPerSession: 10,
  claimGraceSeconds: 300,
} as const;

/** A Cognito identity id: `<region>:<uuid>`. Session ids of this shape belong to that identity only. */
export const COGNITO_IDENTITY_ID_PATTERN =
  /^[a-z]{2}(-[a-z]+)+-\d:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
