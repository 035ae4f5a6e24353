/**
 * What logs say instead of session ids and identities.
 *
 * A Cognito identity id of an identity pool that allows unauthenticated access is a bearer secret:
 * `GetCredentialsForIdentity` with it alone returns that visitor's AWS credentials. It is also the
 * session id whenever a client uses it as one (the plugin's default, Lex Web UI's when its
 * credentials carry one, every session id in STRICT mode). So logs never carry raw session ids,
 * Cognito identity ids or signing principals (user and role ARNs); they carry `sessionRef` /
 * `identityRef`: the first 12 hex digits (48 bits) of HMAC-SHA256(key, value). The same value gives
 * the same ref under one key, so lines of one session can still be followed; a ref cannot be turned
 * back into the id, and without the key it cannot even be confirmed against a guessed id (which
 * matters for short ids such as Lex Web UI's `lex-web-ui-` + 4 hex digits).
 *
 * The key is STREAMING_LOG_HASH_KEY (functions/shared/config.ts `readLogHashKey`). When it is unset,
 * each container draws a random key at cold start: nothing in the logs can be tied to an id by anyone,
 * but refs only match within one container's lines, so a session's `$connect` (connection Lambda)
 * and its answers (publisher Lambda) carry different refs. Set the key, the same value on the
 * connection, ask and publisher Lambdas, to follow a session across containers and functions; whoever
 * holds it can compute the ref of an id they already know (`logRef(id)` with that key), which is the
 * point (an admin looking up a visitor's lines), so keep it as private as the logs.
 *
 * The logger (logger.ts) applies the same refs to the context keys in LOG_REF_KEYS, so a raw id passed
 * under one of those names by mistake still never reaches a log line.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { readLogHashKey } from './config';

/** Hex digits of a ref: 48 bits, enough to tell apart the sessions of one log group. */
export const LOG_REF_HEX_DIGITS = 12;

const containerKey: string | Buffer = readLogHashKey() ?? randomBytes(32);

/** The keyed hash that stands for `value` in logs. */
export function logRef(value: string, key: string | Buffer = containerKey): string {
  return createHmac('sha256', key).update(value, 'utf8').digest('hex').slice(0, LOG_REF_HEX_DIGITS);
}

/** `{ sessionRef }` for a session id (nothing when there is none), to spread into a log context. */
export function sessionRefOf(sessionId: string | undefined): { sessionRef?: string } {
  return sessionId === undefined ? {} : { sessionRef: logRef(sessionId) };
}

/**
 * Context keys whose values are never logged raw, and the key their ref is logged under. A value that
 * is not a string (an identity object, say) is logged as REDACTED.
 */
export const LOG_REF_KEYS: Readonly<Record<string, string>> = {
  sessionId: 'sessionRef',
  identityId: 'identityRef',
  cognitoIdentityId: 'identityRef',
  identity: 'identityRef',
  userArn: 'identityRef',
  owner: 'identityRef',
};

export const REDACTED = '[redacted]';

/** The logged form of one context entry: its ref under the ref key, or the entry unchanged. */
export function logSafeEntry(key: string, value: unknown): [string, unknown] {
  const refKey = Object.hasOwn(LOG_REF_KEYS, key) ? LOG_REF_KEYS[key] : undefined;
  if (refKey === undefined || value === undefined) return [key, value];
  return typeof value === 'string' ? [refKey, logRef(value)] : [key, REDACTED];
}
