/**
 * An independent SigV4 query-string verifier written from the AWS specification with node:crypto,
 * used to check presigned URLs in tests (it shares no code with the signer under test).
 */
import { createHash, createHmac } from 'node:crypto';

export interface VerifyOptions {
  secretAccessKey: string;
  service: string;
  region: string;
  method?: string;
  /** Checks expiry against this instant. @default Date.now() */
  nowMs?: number;
}

export interface VerifyResult {
  valid: boolean;
  reason?: string;
  /** Decoded query parameters of the URL. */
  params: Record<string, string>;
}

const encode = (value: string): string =>
  encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256Hex = (value: string): string => createHash('sha256').update(value, 'utf8').digest('hex');
const hmac = (key: Buffer | string, value: string): Buffer =>
  createHmac('sha256', key).update(value, 'utf8').digest();

export function verifyPresignedUrl(rawUrl: string, options: VerifyOptions): VerifyResult {
  const url = new URL(rawUrl.replace(/^ws/, 'http'));
  const params: Record<string, string> = {};
  for (const [key, value] of url.searchParams) params[key] = value;
  const fail = (reason: string): VerifyResult => ({ valid: false, reason, params });

  if (params['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256') return fail('algorithm');
  const credential = params['X-Amz-Credential']?.split('/') ?? [];
  const [, day, region, service, terminator] = credential;
  if (region !== options.region || service !== options.service || terminator !== 'aws4_request') {
    return fail(`credential scope ${params['X-Amz-Credential']}`);
  }
  const amzDate = params['X-Amz-Date'] ?? '';
  const signedAt = Date.parse(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const expires = Number(params['X-Amz-Expires']);
  if (!Number.isFinite(signedAt) || !Number.isInteger(expires)) return fail('date or expiry');
  if ((options.nowMs ?? Date.now()) > signedAt + expires * 1000) return fail('expired');

  const canonicalUri = url.pathname
    .split('/')
    .map((segment) => encode(decodeURIComponent(segment)))
    .join('/');
  const canonicalQuery = Object.entries(params)
    .filter(([key]) => key !== 'X-Amz-Signature')
    .map(([key, value]) => [encode(key), encode(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([key, value]) => `${key}=${value}`)
    .join('&');
  const signedHeaders = params['X-Amz-SignedHeaders'];
  if (signedHeaders !== 'host') return fail(`signed headers ${signedHeaders}`);
  const canonicalRequest = [
    options.method ?? 'GET',
    canonicalUri,
    canonicalQuery,
    `host:${url.host}\n`,
    'host',
    sha256Hex(''),
  ].join('\n');
  const scope = `${day}/${region}/${service}/aws4_request`;
  const stringToSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  const key = hmac(
    hmac(hmac(hmac(`AWS4${options.secretAccessKey}`, day ?? ''), region), service),
    'aws4_request',
  );
  const expected = createHmac('sha256', key).update(stringToSign, 'utf8').digest('hex');
  return expected === params['X-Amz-Signature'] ? { valid: true, params } : fail('signature mismatch');
}
