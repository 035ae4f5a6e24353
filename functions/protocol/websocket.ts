/**
 * The WebSocket API as clients see it: route keys, the two protocols, the session id a client may
 * name and API Gateway's limits. No Node or Lambda code here: the browser plugin imports it.
 */

/** API Gateway closes WebSocket connections after 2 hours. */
export const MAX_CONNECTION_SECONDS = 2 * 60 * 60;

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
