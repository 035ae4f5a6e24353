/**
 * Lex V2 `RecognizeText` from a page, without the AWS SDK: the question goes to the bot with the
 * visitor's Cognito credentials (SigV4 header auth, service `lex`, signed with the same
 * `@smithy/signature-v4` and `@aws-crypto/sha256-js` as the socket URL, so it adds little to the
 * bundle), and the answer comes back as Lex returns it. Use the Cognito identity id as `sessionId`:
 * it is the session whose answers stream over the socket.
 *
 * The request is the documented one: `POST {endpoint}/bots/{botId}/botAliases/{botAliasId}
 * /botLocales/{localeId}/sessions/{sessionId}/text` with `{ text, sessionState?, requestAttributes? }`;
 * the answer is `{ messages, sessionState, interpretations, requestAttributes, sessionId }`.
 *
 * `fetch` is an option (default `globalThis.fetch`), so the same module runs in browsers and Node.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { HttpRequest } from '@smithy/types';
import { QnaStreamingError } from '../functions/protocol/errors';
import type { ProviderCredentials } from './client-types';
import { WebPluginError } from './errors';
import { checkSessionId, encodeRfc3986, type SigningCredentials, signingKeys } from './signer';

/** The service name Lex V2 runtime requests are signed for. */
export const LEX_SIGNING_SERVICE = 'lex';

/** The Lex V2 runtime endpoint of an AWS region. */
export function lexRuntimeEndpoint(region: string): string {
  return `https://runtime-v2-lex.${region}.amazonaws.com`;
}

/** A Lex call that failed: Lex (or the network) said no. */
export class LexRuntimeError extends QnaStreamingError {
  /** HTTP status of Lex's answer; absent when nothing answered. */
  readonly status?: number;
  /** Lex's error name (`ResourceNotFoundException`, `AccessDeniedException`, …), when it sent one. */
  readonly awsCode?: string;

  constructor(message: string, options?: { cause?: unknown; status?: number; awsCode?: string }) {
    super(message, options);
    this.name = 'LexRuntimeError';
    if (options?.status !== undefined) this.status = options.status;
    if (options?.awsCode !== undefined) this.awsCode = options.awsCode;
  }
}

export type LexFetch = (url: string, init: RequestInit) => Promise<Response>;

/** The parts of Lex V2's session state a page usually reads or sets; the rest passes through. */
export interface LexSessionState {
  sessionAttributes?: Record<string, string>;
  dialogAction?: { type: string; slotToElicit?: string };
  intent?: { name: string; state?: string; confirmationState?: string; slots?: Record<string, unknown> };
  activeContexts?: unknown[];
  originatingRequestId?: string;
  [field: string]: unknown;
}

export interface LexMessage {
  /** `PlainText`, `SSML`, `CustomPayload` or `ImageResponseCard`. */
  contentType: string;
  content?: string;
  imageResponseCard?: Record<string, unknown>;
}

export interface RecognizeTextOptions {
  /** AWS region of the bot; it signs the request and picks the default endpoint. */
  region: string;
  botId: string;
  botAliasId: string;
  /** e.g. `en_US`. */
  localeId: string;
  /** The Lex session; use the visitor's Cognito identity id (the streaming session id). */
  sessionId: string;
  /** What the visitor typed (1 to 1024 characters). */
  text: string;
  /** The visitor's credentials, or the function the StreamingClient gets them from. */
  credentials: SigningCredentials | (() => Promise<ProviderCredentials>);
  sessionState?: LexSessionState;
  requestAttributes?: Record<string, string>;
  /**
   * Where Lex runs: the local stack's `lexRuntime` (`http://127.0.0.1:<port>`), a VPC endpoint, …
   * @default lexRuntimeEndpoint(region)
   */
  endpoint?: string;
  /** @default globalThis.fetch */
  fetch?: LexFetch;
  /** Aborts the request (the widget's Stop does not: the answer still arrives, marked as stopped). */
  signal?: AbortSignal;
}

export interface RecognizeTextResult {
  sessionId: string;
  /** What the bot says, in order (QnABot sends one message). */
  messages: LexMessage[];
  sessionState?: LexSessionState;
  interpretations?: Record<string, unknown>[];
  requestAttributes?: Record<string, string>;
}

/** A failed answer as a LexRuntimeError naming the status and Lex's error. */
async function failure(response: Response): Promise<LexRuntimeError> {
  const body = (await response.json().catch(() => ({}))) as { message?: unknown; __type?: unknown };
  const awsCode = String(response.headers.get('x-amzn-errortype') ?? body.__type ?? '')
    .split(':')[0]
    ?.split('#')
    .pop();
  const detail = [awsCode, typeof body.message === 'string' ? body.message : ''].filter(Boolean).join(': ');
  return new LexRuntimeError(
    `Lex RecognizeText failed with HTTP ${response.status}${detail ? ` (${detail})` : ''}`,
    { status: response.status, ...(awsCode ? { awsCode } : {}) },
  );
}

/**
 * Sends the visitor's text to the bot and resolves with Lex's answer. Rejects with a
 * WebPluginError for a missing option or credentials, and a LexRuntimeError when Lex refuses
 * (its status and error name) or cannot be reached.
 */
export async function recognizeText(options: RecognizeTextOptions): Promise<RecognizeTextResult> {
  const { region, sessionId } = options;
  for (const name of ['region', 'botId', 'botAliasId', 'localeId', 'text'] as const) {
    if (!options[name] || typeof options[name] !== 'string') {
      throw new WebPluginError(
        'BAD_OPTION',
        `recognizeText needs ${name}, got ${JSON.stringify(options[name])}`,
      );
    }
  }
  checkSessionId(sessionId);
  const endpoint = options.endpoint ?? lexRuntimeEndpoint(region);
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch (error) {
    throw new WebPluginError('BAD_OPTION', `endpoint must be an http(s) URL, got "${endpoint}"`, {
      cause: error,
    });
  }
  const given = options.credentials;
  const credentials = signingKeys(typeof given === 'function' ? await given() : given);
  const path = `${url.pathname.replace(/\/+$/, '')}${['bots', options.botId, 'botAliases', options.botAliasId, 'botLocales', options.localeId, 'sessions', sessionId, 'text'].map((part) => `/${encodeRfc3986(part)}`).join('')}`;
  const body = JSON.stringify({
    text: options.text,
    sessionState: options.sessionState,
    requestAttributes: options.requestAttributes,
  });
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
  const signed = await new SignatureV4({
    service: LEX_SIGNING_SERVICE,
    region,
    credentials,
    sha256: Sha256,
  }).sign(request);
  // Browsers set `host` themselves (to the same value) and refuse it from a page.
  delete signed.headers.host;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url.origin + path, {
      method: 'POST',
      headers: signed.headers,
      body,
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (error) {
    throw new LexRuntimeError(
      `Lex RecognizeText could not reach ${url.origin}: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (!response.ok) throw await failure(response);
  const output = (await response.json()) as Partial<RecognizeTextResult>;
  return { ...output, sessionId: output.sessionId ?? sessionId, messages: output.messages ?? [] };
}

/** The answer a chat shows: the text of every message with content, in order, a blank line apart. */
export function answerText(result: Pick<RecognizeTextResult, 'messages'>): string {
  return result.messages
    .map((message) => message.content ?? '')
    .filter((content) => content.trim() !== '')
    .join('\n\n');
}
