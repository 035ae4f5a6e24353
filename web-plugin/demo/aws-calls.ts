/**
 * The three AWS calls the demo page makes, over `fetch` with no SDK client (keeps the bundle
 * small): Cognito Identity `GetId` and `GetCredentialsForIdentity` (awsJson1_1, unsigned, as on
 * AWS) and Lex V2 `RecognizeText` (the plugin's recognizeText: restJson1, SigV4 header auth).
 *
 * `fetch` is a parameter, so the same module runs in the browser and in Node tests.
 */
import type { ClientCredentials } from '../client';
import { LexRuntimeError, type RecognizeTextResult, recognizeText as recognizeLexText } from '../lex-runtime';
import type { SigningCredentials } from '../signer';
import { DemoError } from './errors';

export { answerText, type LexMessage, type RecognizeTextResult } from '../lex-runtime';

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

const COGNITO_TARGET_PREFIX = 'AWSCognitoIdentityService.';

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

/**
 * Lex V2 `RecognizeText` through the plugin's own helper (web-plugin/lex-runtime.ts, the one the
 * front-end guide shows); a refusal becomes a DemoError like the Cognito calls'.
 */
export async function recognizeText(options: RecognizeTextOptions): Promise<RecognizeTextResult> {
  const { bot } = options;
  try {
    return await recognizeLexText({
      region: bot.region,
      botId: bot.botId,
      botAliasId: bot.botAliasId,
      localeId: bot.localeId,
      endpoint: bot.endpoint,
      sessionId: options.sessionId,
      text: options.text,
      credentials: options.credentials,
      fetch: options.fetch,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    if (!(error instanceof LexRuntimeError)) throw error;
    throw new DemoError(error.message, {
      cause: error,
      ...(error.status !== undefined ? { status: error.status } : {}),
      ...(error.awsCode !== undefined ? { awsCode: error.awsCode } : {}),
    });
  }
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
