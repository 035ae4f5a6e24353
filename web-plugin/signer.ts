/**
 * SigV4 presigning of the streaming WebSocket URL (query-string auth, as browsers cannot set
 * headers on a WebSocket handshake). `sessionId` and `protocol` travel inside the signed query, so
 * nobody can swap them without breaking the signature; API Gateway checks it on `$connect`.
 *
 * Runs unchanged in browsers and Node: hashing is the pure-JS `@aws-crypto/sha256-js`.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest, QueryParameterBag } from '@smithy/types';
import { PROTOCOLS, type Protocol, SESSION_ID_PATTERN } from '../functions/protocol/websocket';
import { WebPluginError } from './errors';

/** API Gateway WebSocket APIs are signed for this service name. */
export const EXECUTE_API_SERVICE = 'execute-api';
/** Presigned URLs are used at once, so they live only briefly. */
export const DEFAULT_PRESIGN_EXPIRES_SECONDS = 60;

export interface SigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface StreamingEndpoint {
  /** `wss:` (AWS) or `ws:` (the local stack). */
  protocol: 'wss:' | 'ws:';
  /** Host with the port when it is not the default one. */
  host: string;
  hostname: string;
  /** The stage, first path segment (`Prod`). */
  stage: string;
  /** Path as given, without a trailing slash (`/Prod`). */
  path: string;
  /** Region from an `{api}.execute-api.{region}.amazonaws.com` host, when it is one. */
  region?: string;
}

const EXECUTE_API_HOST = /^[a-z0-9]+\.execute-api\.([a-z]{2}(?:-[a-z]+)+-\d+)\.amazonaws\.com(?:\.cn)?$/;

/** Region of an execute-api host name, or undefined for other hosts (custom domains, 127.0.0.1). */
export function regionFromHost(hostname: string): string | undefined {
  return EXECUTE_API_HOST.exec(hostname.toLowerCase())?.[1];
}

/** Validates a `wss://{host}/{stage}` endpoint; the message names the bad value. */
export function parseStreamingEndpoint(endpoint: string): StreamingEndpoint {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (error) {
    throw new WebPluginError('BAD_ENDPOINT', `endpoint must be a wss://…/<stage> URL, got "${endpoint}"`, {
      cause: error,
    });
  }
  if (url.protocol !== 'wss:' && url.protocol !== 'ws:') {
    throw new WebPluginError(
      'BAD_ENDPOINT',
      `endpoint must start with wss:// (or ws:// for a local stack), got "${endpoint}"`,
    );
  }
  if (url.search || url.hash) {
    throw new WebPluginError(
      'BAD_ENDPOINT',
      `endpoint must not carry a query or fragment, got "${endpoint}"`,
    );
  }
  const path = url.pathname.replace(/\/+$/, '');
  const stage = path.split('/').filter(Boolean)[0];
  if (!stage) {
    throw new WebPluginError(
      'BAD_ENDPOINT',
      `endpoint must name the stage, e.g. wss://{api-id}.execute-api.{region}.amazonaws.com/Prod, got "${endpoint}"`,
    );
  }
  const parsed: StreamingEndpoint = {
    protocol: url.protocol,
    host: url.host,
    hostname: url.hostname,
    stage,
    path,
  };
  const region = regionFromHost(url.hostname);
  if (region) parsed.region = region;
  return parsed;
}

export interface PresignUrlOptions {
  /** Absolute URL to sign; its query parameters are signed too. */
  url: string;
  credentials: SigningCredentials;
  region: string;
  service: string;
  /** @default 'GET' */
  method?: string;
  /** @default DEFAULT_PRESIGN_EXPIRES_SECONDS */
  expiresInSeconds?: number;
  /** @default now */
  signingDate?: Date;
}

/** RFC 3986 encoding, as SigV4 canonicalises (unreserved: A–Z a–z 0–9 - . _ ~). */
export function encodeRfc3986(value: string): string {
  return encodeURIComponent(value).replace(
    /[!'()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
}

function serializeQuery(query: QueryParameterBag): string {
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    const values = Array.isArray(value) ? value : [value];
    for (const item of values) {
      parts.push(item === null ? encodeRfc3986(key) : `${encodeRfc3986(key)}=${encodeRfc3986(item)}`);
    }
  }
  return parts.join('&');
}

/**
 * Presigns any URL with SigV4 query-string authentication (the general form; the AWS SigV4 test
 * suite's `query-signed-request` vectors check it). Returns the URL with the `X-Amz-*` parameters.
 */
export async function presignUrl(options: PresignUrlOptions): Promise<string> {
  const url = new URL(options.url);
  const query: QueryParameterBag = {};
  for (const [key, value] of url.searchParams) {
    const existing = query[key];
    if (existing === undefined || existing === null) query[key] = value;
    else query[key] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  }
  // The signer escapes the path itself, so hand it the decoded form.
  const path = url.pathname
    .split('/')
    .map((segment) => decodeURIComponent(segment))
    .join('/');
  const request: HttpRequest = {
    method: options.method ?? 'GET',
    protocol: url.protocol,
    hostname: url.hostname,
    path,
    query,
    headers: { host: url.host },
  };
  if (url.port) request.port = Number(url.port);
  const signer = new SignatureV4({
    service: options.service,
    region: options.region,
    credentials: { ...options.credentials },
    sha256: Sha256,
    uriEscapePath: true,
  });
  const signed = await signer.presign(request, {
    expiresIn: options.expiresInSeconds ?? DEFAULT_PRESIGN_EXPIRES_SECONDS,
    signingDate: options.signingDate ?? new Date(),
  });
  const signedPath = signed.path
    .split('/')
    .map((segment) => encodeRfc3986(segment))
    .join('/');
  return `${url.protocol}//${url.host}${signedPath}?${serializeQuery(signed.query ?? {})}`;
}

export interface PresignWebSocketOptions {
  /** `wss://{api-id}.execute-api.{region}.amazonaws.com/Prod` (the `StreamingWebSocketEndpoint` output). */
  endpoint: string;
  /** Lex session id; with Cognito credentials it must equal the Cognito identity id. */
  sessionId: string;
  /** @default 'json' */
  protocol?: Protocol;
  credentials: SigningCredentials;
  /** @default parsed from an execute-api host; required for other hosts */
  region?: string;
  /** @default DEFAULT_PRESIGN_EXPIRES_SECONDS */
  expiresInSeconds?: number;
  /** @default now */
  signingDate?: Date;
}

/** Throws BAD_OPTION unless `sessionId` is a valid Lex (and streaming) session id. */
export function checkSessionId(sessionId: string | undefined): void {
  if (!SESSION_ID_PATTERN.test(sessionId ?? '')) {
    throw new WebPluginError(
      'BAD_OPTION',
      `sessionId must be 2-100 characters of [0-9a-zA-Z._:-], got "${sessionId}"`,
    );
  }
}

/** The keys of `credentials` (nothing else: no expiration); MISSING_CREDENTIALS without both keys. */
export function signingKeys(credentials: SigningCredentials | undefined): SigningCredentials {
  const { accessKeyId, secretAccessKey, sessionToken } = credentials ?? ({} as Partial<SigningCredentials>);
  if (!accessKeyId || !secretAccessKey) {
    throw new WebPluginError('MISSING_CREDENTIALS', 'credentials must have accessKeyId and secretAccessKey');
  }
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/** Presigns the streaming WebSocket URL with `sessionId` and `protocol` inside the signature. */
export async function presignWebSocketUrl(options: PresignWebSocketOptions): Promise<string> {
  const endpoint = parseStreamingEndpoint(options.endpoint);
  checkSessionId(options.sessionId);
  const protocol = options.protocol ?? 'json';
  if (!PROTOCOLS.includes(protocol)) {
    throw new WebPluginError(
      'BAD_OPTION',
      `protocol must be one of ${PROTOCOLS.join(', ')}, got "${protocol}"`,
    );
  }
  const region = options.region ?? endpoint.region;
  if (!region) {
    throw new WebPluginError(
      'BAD_OPTION',
      `region is required: it cannot be read from the host "${endpoint.hostname}" (not an execute-api host)`,
    );
  }
  const credentials = signingKeys(options.credentials);
  const query = `sessionId=${encodeRfc3986(options.sessionId)}&protocol=${protocol}`;
  return presignUrl({
    url: `${endpoint.protocol}//${endpoint.host}${endpoint.path}?${query}`,
    credentials,
    region,
    service: EXECUTE_API_SERVICE,
    expiresInSeconds: options.expiresInSeconds ?? DEFAULT_PRESIGN_EXPIRES_SECONDS,
    signingDate: options.signingDate ?? new Date(),
  });
}
