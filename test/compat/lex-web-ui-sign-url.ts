/**
 * Lex Web UI 0.24.1's socket signing, written from reading its source (never copied):
 * lex-web-ui/src/store/sigv4-handlers.js `signUrl`. The `wss:`/`ws:` URL is signed as `https:` for
 * the service `execute-api`, with the single header `host` = the URL's hostname WITHOUT the port,
 * the query taken from the URL, expiring in 3600 s; the signed query is then set back on the URL.
 * Only @smithy/signature-v4 and @aws-crypto/sha256-js, so it runs in Node tests and browser pages alike.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

export interface LexWebUiSigningCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface LexWebUiSignOptions {
  region: string;
  /** @default 'execute-api' */
  service?: string;
  /** Tests only: sign another host than Lex Web UI would, to prove the gateway refuses it. */
  signedHost?: string;
  /** @default 3600 */
  expiresInSeconds?: number;
}

export async function lexWebUiSignUrl(
  urlString: string,
  credentials: LexWebUiSigningCredentials,
  options: LexWebUiSignOptions,
): Promise<string> {
  const url = new URL(urlString);
  const isWebSocket = url.protocol === 'wss:' || url.protocol === 'ws:';
  const signer = new SignatureV4({
    credentials: {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    },
    region: options.region,
    service: options.service ?? 'execute-api',
    sha256: Sha256,
  });
  // Lex Web UI wraps these fields in @smithy/protocol-http's HttpRequest; the signer reads the same fields.
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: isWebSocket ? 'https:' : url.protocol,
      hostname: url.hostname,
      ...(url.port ? { port: Number(url.port) } : {}),
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { host: options.signedHost ?? url.hostname },
    },
    { expiresIn: options.expiresInSeconds ?? 3600 },
  );
  const result = new URL(`${url.protocol}//${url.host}${signed.path}`);
  for (const [key, value] of Object.entries(signed.query ?? {})) {
    if (typeof value === 'string') result.searchParams.set(key, value);
  }
  return result.toString();
}
