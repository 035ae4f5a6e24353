/**
 * SigV4 verification for the local AWS doubles, done the way AWS services do it: rebuild the
 * canonical request from what arrived on the wire, derive the signing key from the caller's secret
 * (looked up by access key in the CredentialStore), and compare signatures in constant time. The
 * checks around it follow AWS too: credential scope (date/region/service/aws4_request), `host` among
 * the signed headers, X-Amz-Expires 1..604800, clock skew, presigned-URL expiry, the session token of
 * temporary credentials, and the expiry of those credentials.
 *
 * Written against the SigV4 specification rather than by re-signing with @smithy/signature-v4, so a
 * bug in one is not silently mirrored by the other; the tests sign with @smithy/signature-v4 and with
 * the real AWS SDK clients.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { QnaStreamingError } from '../../functions/protocol/errors';
import type { CredentialStore, LocalIdentity } from './credentials';

export type SignatureErrorCode =
  | 'SignatureDoesNotMatch'
  | 'IncompleteSignature'
  | 'InvalidSignatureException'
  | 'ExpiredToken'
  | 'UnrecognizedClientException'
  | 'MissingAuthenticationToken';

/**
 * A request failed SigV4 verification. `code` is the AWS error code a service would return,
 * `statusCode` its HTTP status: 401 only when the request carries no authentication at all
 * (MissingAuthenticationToken, as API Gateway WebSocket `$connect` answers), 403 otherwise.
 */
export class SignatureError extends QnaStreamingError {
  readonly statusCode: 401 | 403;
  readonly code: SignatureErrorCode;

  constructor(code: SignatureErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'SignatureError';
    this.code = code;
    this.statusCode = code === 'MissingAuthenticationToken' ? 401 : 403;
  }
}

export interface SignedRequestInput {
  method: string;
  /** Value of the Host header as sent (e.g. `127.0.0.1:8080`); used when `headers.host` is absent. */
  host: string;
  /** Path as it arrived on the wire: still percent-encoded, without the query string. */
  path: string;
  /** Decoded query parameters (`new URL(req.url, base).searchParams`). */
  query: URLSearchParams;
  /** Request headers; names in any case (Node gives them lower-case). */
  headers: Record<string, string | string[] | undefined>;
  /** Raw body; absent means empty. */
  body?: Uint8Array;
}

export interface VerifyOptions {
  credentials: CredentialStore;
  /** Signing name of the service, e.g. `execute-api`, `lex`, `bedrock`, `cognito-identity`. */
  service: string;
  region: string;
  /** Clock in epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Allowed difference between the request date and the clock. @default 300 */
  maxSkewSeconds?: number;
  /**
   * Also accept a signature whose signed `host` is the Host header without its `:port`
   * (`127.0.0.1` for `127.0.0.1:4510`). Off by default; see {@link canonicalHostCandidates}.
   */
  acceptHostWithoutPort?: boolean;
}

export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** Longest lifetime of a presigned URL (7 days). */
export const MAX_PRESIGNED_EXPIRES_SECONDS = 604800;
const DEFAULT_MAX_SKEW_SECONDS = 300;
const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const AMZ_DATE_PATTERN = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const HEX_SHA256_PATTERN = /^[0-9a-f]{64}$/;

/** Verifies a presigned request (X-Amz-* in the query, as in a presigned `wss://` URL). */
export async function verifyPresignedRequest(
  input: SignedRequestInput,
  options: VerifyOptions,
): Promise<LocalIdentity> {
  const { query } = input;
  const algorithm = query.get('X-Amz-Algorithm');
  const credential = query.get('X-Amz-Credential');
  const signature = query.get('X-Amz-Signature');
  const amzDate = query.get('X-Amz-Date');
  const signedHeadersValue = query.get('X-Amz-SignedHeaders');
  const expiresValue = query.get('X-Amz-Expires');
  if (
    algorithm === null &&
    credential === null &&
    signature === null &&
    !headerValue(input, 'authorization')
  ) {
    throw new SignatureError('MissingAuthenticationToken', 'Missing Authentication Token');
  }
  const missing = [
    ['X-Amz-Algorithm', algorithm],
    ['X-Amz-Credential', credential],
    ['X-Amz-Signature', signature],
    ['X-Amz-Date', amzDate],
    ['X-Amz-SignedHeaders', signedHeadersValue],
    ['X-Amz-Expires', expiresValue],
  ]
    .filter(([, value]) => value === null || value === '')
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new SignatureError(
      'IncompleteSignature',
      `Presigned request is missing the query parameter(s) ${missing.join(', ')}`,
    );
  }
  checkAlgorithm(algorithm as string);
  const scope = parseCredential(credential as string, options);
  const dateMs = parseAmzDate(amzDate as string);
  checkScopeDate(scope, amzDate as string);
  const signedHeaders = parseSignedHeaders(signedHeadersValue as string);
  const expires = Number(expiresValue);
  if (!/^\d+$/.test(expiresValue as string) || expires < 1 || expires > MAX_PRESIGNED_EXPIRES_SECONDS) {
    throw new SignatureError(
      'IncompleteSignature',
      `X-Amz-Expires must be an integer from 1 to ${MAX_PRESIGNED_EXPIRES_SECONDS} seconds, got "${expiresValue}"`,
    );
  }

  const identity = lookupIdentity(scope.accessKeyId, query.get('X-Amz-Security-Token'), options);
  const now = (options.now ?? Date.now)();
  const skewMs = (options.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS) * 1000;
  if (dateMs - skewMs > now) {
    throw new SignatureError(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + skewMs)} (${formatAmzDate(now)} + ${skewMs / 1000} sec.)`,
    );
  }
  if (now > dateMs + expires * 1000) {
    throw new SignatureError(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - expires * 1000)} (${formatAmzDate(now)} - ${expires} sec.)`,
    );
  }

  const explicitPayloadHash = query.get('X-Amz-Content-Sha256');
  const payloadHashes = explicitPayloadHash
    ? [explicitPayloadHash]
    : [sha256Hex(input.body), UNSIGNED_PAYLOAD];
  const canonicalQuery = canonicalQueryString(query, 'X-Amz-Signature');
  checkSignature(
    input,
    identity,
    scope,
    amzDate as string,
    signedHeaders,
    canonicalQuery,
    payloadHashes,
    signature as string,
    canonicalHostCandidates(input, signedHeaders, options.acceptHostWithoutPort === true),
  );
  return identity;
}

/** Verifies a request signed in the Authorization header (what the AWS SDK clients send). */
export async function verifySignedRequest(
  input: SignedRequestInput,
  options: VerifyOptions,
): Promise<LocalIdentity> {
  const authorization = headerValue(input, 'authorization');
  if (!authorization) {
    if (input.query.get('X-Amz-Signature') !== null) return verifyPresignedRequest(input, options);
    throw new SignatureError('MissingAuthenticationToken', 'Missing Authentication Token');
  }
  const parsed = parseAuthorization(authorization);
  const scope = parseCredential(parsed.credential, options);
  const amzDate = headerValue(input, 'x-amz-date') ?? fromHttpDate(headerValue(input, 'date'));
  if (!amzDate) {
    throw new SignatureError(
      'IncompleteSignature',
      "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.",
    );
  }
  const dateMs = parseAmzDate(amzDate);
  checkScopeDate(scope, amzDate);
  const signedHeaders = parseSignedHeaders(parsed.signedHeaders);

  const identity = lookupIdentity(
    scope.accessKeyId,
    headerValue(input, 'x-amz-security-token') ?? null,
    options,
  );
  const now = (options.now ?? Date.now)();
  const skewMs = (options.maxSkewSeconds ?? DEFAULT_MAX_SKEW_SECONDS) * 1000;
  if (dateMs + skewMs < now) {
    throw new SignatureError(
      'InvalidSignatureException',
      `Signature expired: ${amzDate} is now earlier than ${formatAmzDate(now - skewMs)} (${formatAmzDate(now)} - ${skewMs / 60000} min.)`,
    );
  }
  if (dateMs - skewMs > now) {
    throw new SignatureError(
      'InvalidSignatureException',
      `Signature not yet current: ${amzDate} is still later than ${formatAmzDate(now + skewMs)} (${formatAmzDate(now)} + ${skewMs / 60000} min.)`,
    );
  }

  const contentSha256 = headerValue(input, 'x-amz-content-sha256');
  let payloadHashes: string[];
  if (contentSha256 === undefined) {
    // @smithy/signature-v4 signs streamed bodies as UNSIGNED-PAYLOAD without sending the header.
    payloadHashes = [sha256Hex(input.body), UNSIGNED_PAYLOAD];
  } else {
    if (HEX_SHA256_PATTERN.test(contentSha256) && contentSha256 !== sha256Hex(input.body)) {
      throw new SignatureError(
        'SignatureDoesNotMatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
      );
    }
    payloadHashes = [contentSha256];
  }
  const canonicalQuery = canonicalQueryString(input.query);
  checkSignature(
    input,
    identity,
    scope,
    amzDate,
    signedHeaders,
    canonicalQuery,
    payloadHashes,
    parsed.signature,
    canonicalHostCandidates(input, signedHeaders, options.acceptHostWithoutPort === true),
  );
  return identity;
}

/** The SignedRequestInput of a Node HTTP request (`req.url` kept raw, as it was signed). */
export function signedRequestInput(request: IncomingMessage, body?: Uint8Array): SignedRequestInput {
  const rawUrl = request.url ?? '/';
  const queryStart = rawUrl.indexOf('?');
  const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart);
  const query = new URLSearchParams(queryStart === -1 ? '' : rawUrl.slice(queryStart + 1));
  return {
    method: request.method ?? 'GET',
    host: request.headers.host ?? '',
    path,
    query,
    headers: request.headers,
    body,
  };
}

interface CredentialScope {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  /** `date/region/service/aws4_request` */
  scope: string;
}

function checkAlgorithm(algorithm: string): void {
  if (algorithm !== SIGV4_ALGORITHM) {
    throw new SignatureError(
      'IncompleteSignature',
      `Unsupported signing algorithm "${algorithm}"; only ${SIGV4_ALGORITHM} is accepted`,
    );
  }
}

function parseCredential(credential: string, options: VerifyOptions): CredentialScope {
  const parts = credential.split('/');
  const [accessKeyId, date, region, service, terminator] = parts;
  if (parts.length !== 5 || !accessKeyId || !date || !region || !service || !terminator) {
    throw new SignatureError(
      'IncompleteSignature',
      `Credential must have the form <access key>/<date>/<region>/<service>/aws4_request, got "${credential}"`,
    );
  }
  if (terminator !== 'aws4_request') {
    throw new SignatureError(
      'InvalidSignatureException',
      `Credential should be scoped with a valid terminator: 'aws4_request', not '${terminator}'.`,
    );
  }
  if (region !== options.region) {
    throw new SignatureError(
      'InvalidSignatureException',
      `Credential should be scoped to a valid region, not '${region}'. Expected '${options.region}'.`,
    );
  }
  if (service !== options.service) {
    throw new SignatureError(
      'InvalidSignatureException',
      `Credential should be scoped to correct service: '${options.service}'.`,
    );
  }
  return { accessKeyId, date, region, service, scope: `${date}/${region}/${service}/aws4_request` };
}

function checkScopeDate(scope: CredentialScope, amzDate: string): void {
  if (scope.date !== amzDate.slice(0, 8)) {
    throw new SignatureError(
      'InvalidSignatureException',
      `Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '${scope.date}' != '${amzDate.slice(0, 8)}'`,
    );
  }
}

function parseSignedHeaders(value: string): string[] {
  const names = value.split(';');
  if (names.some((name) => name === '' || name !== name.toLowerCase())) {
    throw new SignatureError(
      'IncompleteSignature',
      `SignedHeaders must be lower-case names separated by ';', got "${value}"`,
    );
  }
  // HTTP/1.1 clients sign `host`; over HTTP/2 the AWS SDK signs the `:authority` pseudo-header.
  if (!names.includes('host') && !names.includes(':authority')) {
    throw new SignatureError(
      'IncompleteSignature',
      "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.",
    );
  }
  return names;
}

function parseAuthorization(value: string): { credential: string; signedHeaders: string; signature: string } {
  const space = value.indexOf(' ');
  const algorithm = space === -1 ? value : value.slice(0, space);
  checkAlgorithm(algorithm);
  const fields = new Map<string, string>();
  for (const part of value.slice(space + 1).split(',')) {
    const equals = part.indexOf('=');
    if (equals > 0) fields.set(part.slice(0, equals).trim(), part.slice(equals + 1).trim());
  }
  const credential = fields.get('Credential');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  const missing = [
    ['Credential', credential],
    ['SignedHeaders', signedHeaders],
    ['Signature', signature],
  ]
    .filter(([, field]) => !field)
    .map(([name]) => name);
  if (missing.length > 0 || !credential || !signedHeaders || !signature) {
    throw new SignatureError(
      'IncompleteSignature',
      `Authorization header requires ${missing.map((name) => `'${name}'`).join(', ')} parameter(s). Authorization=${value}`,
    );
  }
  return { credential, signedHeaders, signature };
}

function lookupIdentity(
  accessKeyId: string,
  sessionToken: string | null,
  options: VerifyOptions,
): LocalIdentity {
  const identity = options.credentials.lookup(accessKeyId);
  if (!identity) {
    throw new SignatureError(
      'UnrecognizedClientException',
      'The security token included in the request is invalid.',
    );
  }
  if (identity.sessionToken !== undefined || sessionToken !== null) {
    if (
      identity.sessionToken === undefined ||
      sessionToken === null ||
      !safeEqual(identity.sessionToken, sessionToken)
    ) {
      throw new SignatureError(
        'UnrecognizedClientException',
        'The security token included in the request is invalid.',
      );
    }
  }
  if (identity.expiresAt !== undefined && (options.now ?? Date.now)() >= identity.expiresAt) {
    throw new SignatureError('ExpiredToken', 'The security token included in the request is expired');
  }
  return identity;
}

function checkSignature(
  input: SignedRequestInput,
  identity: LocalIdentity,
  scope: CredentialScope,
  amzDate: string,
  signedHeaders: string[],
  canonicalQuery: string,
  payloadHashes: string[],
  signature: string,
  hostCandidates: (string | undefined)[],
): void {
  const signingKey = deriveSigningKey(identity.secretAccessKey, scope.date, scope.region, scope.service);
  let matched = false;
  for (const host of hostCandidates) {
    const headerBlock = signedHeaders
      .map((name) => {
        const value = name === 'host' && host !== undefined ? host : canonicalHeaderValue(input, name);
        return `${name}:${value}\n`;
      })
      .join('');
    for (const payloadHash of payloadHashes) {
      const canonicalRequest = [
        input.method.toUpperCase(),
        canonicalUri(input.path),
        canonicalQuery,
        headerBlock,
        signedHeaders.join(';'),
        payloadHash,
      ].join('\n');
      const stringToSign = [SIGV4_ALGORITHM, amzDate, scope.scope, sha256Hex(canonicalRequest)].join('\n');
      const expected = createHmac('sha256', signingKey).update(stringToSign, 'utf8').digest('hex');
      // Evaluate every candidate, so the time taken does not tell which one matched.
      matched = safeEqual(expected, signature) || matched;
    }
  }
  if (!matched) {
    throw new SignatureError(
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
    );
  }
}

/**
 * The values of the signed `host` header the signature may have been computed over: the Host
 * header as it arrived (`undefined` = take it from the request), and, when `withoutPort` is set and
 * `host` is signed, the same host without its `:port`.
 *
 * Why the second one exists: Lex Web UI 0.24.1 presigns the socket URL with `host` set to the URL's
 * hostname, never the port (lex-web-ui/src/store/sigv4-handlers.js, `signUrl`: headers
 * `{ host: url.hostname }`). Real API Gateway is reached on 443 with no port in the Host header, so
 * that signature is valid there; the local gateway listens on a port, the browser sends
 * `Host: 127.0.0.1:<port>`, and a strict comparison would refuse a stock Lex Web UI. Only the port
 * is forgiven: the hostname, every other signed header, the path, the query, the scope, the dates
 * and the credentials are checked exactly as before.
 */
function canonicalHostCandidates(
  input: SignedRequestInput,
  signedHeaders: string[],
  withoutPort: boolean,
): (string | undefined)[] {
  if (!withoutPort || !signedHeaders.includes('host')) return [undefined];
  const sent = canonicalHeaderValue(input, 'host');
  const portless = hostWithoutPort(sent);
  return portless === sent ? [undefined] : [undefined, portless];
}

/** `127.0.0.1:4510` → `127.0.0.1`, `[::1]:4510` → `[::1]`; a host without a port is returned as is. */
export function hostWithoutPort(host: string): string {
  const match = /^(\[[^\]]*\]|[^:]*):\d+$/.exec(host);
  return match ? (match[1] as string) : host;
}

function deriveSigningKey(secretAccessKey: string, date: string, region: string, service: string): Buffer {
  const kDate = createHmac('sha256', `AWS4${secretAccessKey}`).update(date, 'utf8').digest();
  const kRegion = createHmac('sha256', kDate).update(region, 'utf8').digest();
  const kService = createHmac('sha256', kRegion).update(service, 'utf8').digest();
  return createHmac('sha256', kService).update('aws4_request', 'utf8').digest();
}

/** Constant-time comparison of two strings (length is not secret). */
function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  return left.length === right.length && timingSafeEqual(left, right);
}

function sha256Hex(data: string | Uint8Array | undefined): string {
  if (data === undefined || data.length === 0) return EMPTY_SHA256;
  return createHash('sha256').update(data).digest('hex');
}

const textEncoder = new TextEncoder();

/** RFC 3986 percent-encoding of everything but unreserved characters (UTF-8, upper-case hex). */
export function uriEncode(value: string, keepSlash = false): string {
  let out = '';
  for (const byte of textEncoder.encode(value)) {
    const isUnreserved =
      (byte >= 0x41 && byte <= 0x5a) ||
      (byte >= 0x61 && byte <= 0x7a) ||
      (byte >= 0x30 && byte <= 0x39) ||
      byte === 0x2d ||
      byte === 0x2e ||
      byte === 0x5f ||
      byte === 0x7e;
    if (isUnreserved || (keepSlash && byte === 0x2f)) out += String.fromCharCode(byte);
    else out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/**
 * Canonical URI of every service but S3: the wire path with `.`/`..` and empty segments removed,
 * then percent-encoded once more (so `%3D` on the wire is `%253D` in the canonical request).
 */
export function canonicalUri(path: string): string {
  const segments: string[] = [];
  for (const segment of path.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const leading = path.startsWith('/') ? '/' : '';
  const trailing = segments.length > 0 && path.endsWith('/') ? '/' : '';
  return uriEncode(`${leading}${segments.join('/')}${trailing}`, true) || '/';
}

/** Sorted `key=value` pairs, each side RFC 3986-encoded; `exclude` drops the signature itself. */
export function canonicalQueryString(query: URLSearchParams, exclude?: string): string {
  const pairs: [string, string][] = [];
  for (const [key, value] of query) {
    if (exclude !== undefined && key === exclude) continue;
    pairs.push([uriEncode(key), uriEncode(value)]);
  }
  pairs.sort(([keyA, valueA], [keyB, valueB]) =>
    keyA < keyB ? -1 : keyA > keyB ? 1 : valueA < valueB ? -1 : valueA > valueB ? 1 : 0,
  );
  return pairs.map(([key, value]) => `${key}=${value}`).join('&');
}

function headerValue(input: SignedRequestInput, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(input.headers)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    return Array.isArray(value) ? value.join(',') : value;
  }
  if (wanted === 'host' || wanted === ':authority') return input.host;
  return undefined;
}

function canonicalHeaderValue(input: SignedRequestInput, name: string): string {
  return (headerValue(input, name) ?? '').replace(/\s+/g, ' ').trim();
}

/** Epoch milliseconds of an ISO 8601 basic date (`20240101T000000Z`). */
export function parseAmzDate(value: string): number {
  const match = AMZ_DATE_PATTERN.exec(value);
  const time = match
    ? Date.UTC(
        Number(match[1]),
        Number(match[2]) - 1,
        Number(match[3]),
        Number(match[4]),
        Number(match[5]),
        Number(match[6]),
      )
    : Number.NaN;
  if (!match || Number.isNaN(time) || formatAmzDate(time) !== value) {
    throw new SignatureError(
      'IncompleteSignature',
      `Date must be in ISO-8601 'basic format'. Got '${value}'. See http://en.wikipedia.org/wiki/ISO_8601`,
    );
  }
  return time;
}

export function formatAmzDate(epochMs: number): string {
  return new Date(epochMs)
    .toISOString()
    .replace(/\.\d{3}Z$/, 'Z')
    .replace(/[-:]/g, '');
}

function fromHttpDate(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const time = Date.parse(value);
  return Number.isNaN(time) ? value : formatAmzDate(time);
}
