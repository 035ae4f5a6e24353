/**
 * The three AWS calls the demo page makes, over `fetch` with no SDK client (keeps the bundle
 * small): Cognito Identity `GetId` and `GetCredentialsForIdentity` (awsJson1_1, unsigned, as on
 * AWS) and Lex V2 `RecognizeText` (restJson1, SigV4 header auth with service `lex`).
 *
 * `fetch` is a parameter, so the same module runs in the browser and in Node tests.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import type { ClientCredentials } from '../client';
import type { SigningCredentials } from '../signer';
import { DemoError } from './errors';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

const COGNITO_TARGET_PREFIX = 'AWSCognitoIdentityService.';
/** The service name Lex V2 runtime requests are signed for. */
export const LEX_SIGNING_SERVICE = 'lex';

/** Credentials of one Cognito identity. */
export interface IdentityCredentials extends ClientCredentials {
  identityId: string;
  sessionToken: string;
  expiration: Date;
}

/** A failed response as a DemoError that names the call, the status and the AWS error. */
async function failure(call: string, response: Response): Promise<DemoError> {
  let message = '';
  let awsCode = response.headers.get('x-amzn-errortype') ?? undefined;
  try {
    const body = (await response.json()) as { message?: unknown; Message?: unknown; __type?: unknown };
    const text = body.message ?? body.Message;
    if (typeof text === 'string') message = text;
    if (!awsCode && typeof body.__type === 'string') awsCode = body.__type;
  } catch {
    // Not JSON: the status says enough.
  }
  awsCode = awsCode?.split(':')[0]?.split('#').pop();
  const detail = [awsCode, message].filter(Boolean).join(': ');
  return new DemoError(`${call} failed with HTTP ${response.status}${detail ? ` (${detail})` : ''}`, {
    status: response.status,
    ...(awsCode ? { awsCode } : {}),
  });
}

async function send(fetchImpl: FetchLike, call: string, url: string, init: RequestInit): Promise<unknown> {
  let response: Response;
  try {
    response = await fetchImpl(url, init);
  } catch (error) {
    throw new DemoError(`${call} could not reach ${url}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok) throw await failure(call, response);
  return response.json();
}

async function cognito(
  fetchImpl: FetchLike,
  endpoint: string,
  operation: 'GetId' | 'GetCredentialsForIdentity',
  input: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const output = await send(fetchImpl, `Cognito ${operation}`, endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `${COGNITO_TARGET_PREFIX}${operation}`,
    },
    body: JSON.stringify(input),
  });
  return (output ?? {}) as Record<string, unknown>;
}

/** Cognito `GetId` without logins: a new unauthenticated identity of the pool. */
export async function getCognitoIdentityId(
  fetchImpl: FetchLike,
  endpoint: string,
  identityPoolId: string,
): Promise<string> {
  const output = await cognito(fetchImpl, endpoint, 'GetId', { IdentityPoolId: identityPoolId });
  if (typeof output.IdentityId !== 'string') {
    throw new DemoError('Cognito GetId answered without an IdentityId');
  }
  return output.IdentityId;
}

/** Cognito `GetCredentialsForIdentity`: temporary AWS credentials of the identity. */
export async function getCognitoCredentials(
  fetchImpl: FetchLike,
  endpoint: string,
  identityId: string,
): Promise<IdentityCredentials> {
  const output = await cognito(fetchImpl, endpoint, 'GetCredentialsForIdentity', { IdentityId: identityId });
  const credentials = output.Credentials as Record<string, unknown> | undefined;
  const { AccessKeyId, SecretKey, SessionToken, Expiration } = credentials ?? {};
  if (
    typeof AccessKeyId !== 'string' ||
    typeof SecretKey !== 'string' ||
    typeof SessionToken !== 'string' ||
    typeof Expiration !== 'number'
  ) {
    throw new DemoError('Cognito GetCredentialsForIdentity answered without complete Credentials');
  }
  return {
    identityId,
    accessKeyId: AccessKeyId,
    secretAccessKey: SecretKey,
    sessionToken: SessionToken,
    // awsJson1_1 timestamps are epoch seconds.
    expiration: new Date(Expiration * 1000),
  };
}

export interface LexBot {
  /** `http://127.0.0.1:<port>` locally, `https://runtime-v2-lex.<region>.amazonaws.com` on AWS. */
  endpoint: string;
  region: string;
  botId: string;
  botAliasId: string;
  localeId: string;
}

export interface RecognizeTextOptions {
  fetch: FetchLike;
  bot: LexBot;
  sessionId: string;
  text: string;
  credentials: SigningCredentials;
  signal?: AbortSignal;
}

export interface LexMessage {
  content?: string;
  contentType?: string;
}

export interface RecognizeTextResult {
  sessionId: string;
  messages: LexMessage[];
  sessionState?: Record<string, unknown>;
}

/** Lex V2 `RecognizeText`, SigV4-signed as the SDK signs it (path labels encoded, then signed). */
export async function recognizeText(options: RecognizeTextOptions): Promise<RecognizeTextResult> {
  const { bot, sessionId } = options;
  const url = new URL(bot.endpoint);
  const label = (value: string) => encodeURIComponent(value);
  const basePath = url.pathname.replace(/\/+$/, '');
  const path =
    `${basePath}/bots/${label(bot.botId)}/botAliases/${label(bot.botAliasId)}` +
    `/botLocales/${label(bot.localeId)}/sessions/${label(sessionId)}/text`;
  const body = JSON.stringify({ text: options.text });
  const request: HttpRequest = {
    method: 'POST',
    protocol: url.protocol,
    hostname: url.hostname,
    path,
    query: {},
    headers: { host: url.host, 'content-type': 'application/json' },
    body,
  };
  if (url.port) request.port = Number(url.port);
  const signer = new SignatureV4({
    service: LEX_SIGNING_SERVICE,
    region: bot.region,
    credentials: { ...options.credentials },
    sha256: Sha256,
  });
  const signed = await signer.sign(request);
  // Browsers set `host` themselves (to the same value); it may not be passed to fetch.
  const headers = Object.fromEntries(
    Object.entries(signed.headers).filter(([name]) => name.toLowerCase() !== 'host'),
  );
  const output = (await send(options.fetch, 'Lex RecognizeText', `${url.origin}${path}`, {
    method: 'POST',
    headers,
    body,
    ...(options.signal ? { signal: options.signal } : {}),
  })) as Partial<RecognizeTextResult> | null;
  return {
    sessionId: output?.sessionId ?? sessionId,
    messages: Array.isArray(output?.messages) ? output.messages : [],
    ...(output?.sessionState ? { sessionState: output.sessionState } : {}),
  };
}

/** The answer a chat shows: the text of every message, in order (QnABot sends one). */
export function answerText(result: RecognizeTextResult): string {
  return result.messages
    .map((message) => message.content ?? '')
    .filter((content) => content.trim() !== '')
    .join('\n\n');
}

/**
 * One credentials source for the socket and Lex: fetched once, again shortly before expiry, and
 * concurrent callers share one request.
 */
export function cachedCredentials(
  load: () => Promise<IdentityCredentials>,
  options: { refreshMarginMs?: number; now?: () => number } = {},
): () => Promise<IdentityCredentials> {
  const margin = options.refreshMarginMs ?? 5 * 60 * 1000;
  const now = options.now ?? Date.now;
  let current: IdentityCredentials | undefined;
  let loading: Promise<IdentityCredentials> | undefined;
  return () => {
    if (current && current.expiration.getTime() - now() > margin) return Promise.resolve(current);
    loading ??= load().then(
      (fresh) => {
        current = fresh;
        loading = undefined;
        return fresh;
      },
      (error: unknown) => {
        loading = undefined;
        throw error;
      },
    );
    return loading;
  };
}
