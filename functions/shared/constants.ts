/**
 * Names and limits shared by the templates, the Lambdas, the local stack and the browser plugin.
 * A value here is a contract: the template sets these variables, the code reads them.
 */

/** Environment variables the templates set on the Lambdas (read only through config.ts). */
export const ENV = {
  /** Name of the session table. */
  tableName: 'STREAMING_TABLE_NAME',
  /** `https://…/Prod` base URL of the `@connections` API (ApiGatewayManagementApi endpoint). */
  callbackUrl: 'STREAMING_CALLBACK_URL',
  /** `wss://…/Prod` URL browsers connect to; lets the publisher recognise a matching session attribute. */
  webSocketEndpoint: 'STREAMING_WEBSOCKET_ENDPOINT',
  /** `WHEN_PRESENT` (default) or `REQUIRED`: how `$connect` binds a session to a Cognito identity. */
  identityBinding: 'STREAMING_IDENTITY_BINDING',
  /** Seconds a connection item lives (API Gateway closes sockets after 2 h). */
  sessionTtlSeconds: 'STREAMING_SESSION_TTL_SECONDS',
  logLevel: 'LOG_LEVEL',
  /** Publisher: milliseconds text is coalesced after the first post (see functions/streaming/coalescer.ts). */
  coalesceWindowMs: 'STREAMING_COALESCE_WINDOW_MS',
  /** Publisher: buffered UTF-8 bytes that trigger a post before the window ends. */
  coalesceMaxBytes: 'STREAMING_COALESCE_MAX_BYTES',
  /** Publisher: milliseconds between re-reads of the session's connections (new tabs, cancel). */
  sessionPollMs: 'STREAMING_SESSION_POLL_MS',
  /** Example Lambdas: Bedrock model id (or inference profile) used when the hook names none. */
  modelId: 'STREAMING_MODEL_ID',
  /** Example Lambdas: system prompt used when the hook names none. */
  systemPrompt: 'STREAMING_SYSTEM_PROMPT',
  /** Example Lambdas: maximum output tokens of one answer. */
  maxTokens: 'STREAMING_MAX_TOKENS',
} as const;

/** Session table layout. */
export const TABLE = {
  partitionKey: 'sessionId',
  sortKey: 'connectionId',
  ttlAttribute: 'ttl',
  /** GSI keyed by `connectionId`, so `$disconnect` (which has no query string) finds the session. */
  connectionIndex: 'ConnectionIdIndex',
} as const;

/** API Gateway closes WebSocket connections after 2 hours. */
export const MAX_CONNECTION_SECONDS = 2 * 60 * 60;
/** Connection items outlive the socket by this margin so readers never lose a live connection. */
export const TTL_MARGIN_SECONDS = 10 * 60;
export const DEFAULT_SESSION_TTL_SECONDS = MAX_CONNECTION_SECONDS + TTL_MARGIN_SECONDS;

/** API Gateway WebSocket limits. */
export const MAX_FRAME_BYTES = 32 * 1024;
export const MAX_MESSAGE_BYTES = 128 * 1024;
/** Idle connections are closed after 10 minutes; clients ping every 9. */
export const IDLE_TIMEOUT_SECONDS = 10 * 60;
export const PING_INTERVAL_SECONDS = 9 * 60;

/** `sessionId` query parameter: the Lex session id. */
export const SESSION_ID_PATTERN = /^[0-9a-zA-Z._:-]{2,100}$/;

export const PROTOCOLS = ['text', 'json'] as const;
export type Protocol = (typeof PROTOCOLS)[number];

export const IDENTITY_BINDINGS = ['WHEN_PRESENT', 'REQUIRED'] as const;
export type IdentityBinding = (typeof IDENTITY_BINDINGS)[number];

/** Route keys of the WebSocket API (route selection `$request.body.action`). */
export const ROUTES = {
  connect: '$connect',
  disconnect: '$disconnect',
  default: '$default',
  ping: 'ping',
  cancel: 'cancel',
  /** Direct ask (apps without Lex; streaming template with EnableDirectAsk=TRUE): `{"action":"ask","question":"…"}`. */
  ask: 'ask',
} as const;
