/**
 * SigV4 header auth of the Bedrock doubles through the shared verifier (scripts/local/sigv4.ts),
 * plus one bridge: over HTTP/2 the AWS SDK signs the `:authority` pseudo-header instead of `host`
 * (as AWS accepts), and the shared verifier only accepts `host` so far. For such a request this
 * module checks the `:authority` signature itself (re-signing with the caller's secret through
 * @smithy/signature-v4) and then hands the shared verifier the same request signed over `host`,
 * so every other check (scope, region, service, clock skew, session token, expiry) stays in one
 * place. When sigv4.ts accepts `:authority`, this bridge can go.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { LocalIdentity } from '../credentials';
import {
  parseAmzDate,
  SignatureError,
  type SignedRequestInput,
  type VerifyOptions,
  verifySignedRequest,
} from '../sigv4';

const AUTHORITY = ':authority';

interface ParsedAuthorization {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
}

function header(input: SignedRequestInput, name: string): string | undefined {
  const value = input.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

function parseAuthorization(value: string | undefined): ParsedAuthorization | undefined {
  const match =
    /^AWS4-HMAC-SHA256 Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(
      value?.trim() ?? '',
    );
  if (!match) return undefined;
  const [accessKeyId, date, region, service] = (match[1] as string).split('/');
  if (!accessKeyId || !date || !region || !service) return undefined;
  return {
    accessKeyId,
    date,
    region,
    service,
    signedHeaders: (match[2] as string).split(';'),
    signature: match[3] as string,
  };
}

/** The signature @smithy/signature-v4 computes over exactly `signedHeaders` of `input`. */
async function signatureOver(
  input: SignedRequestInput,
  headers: Record<string, string>,
  parsed: ParsedAuthorization,
  secretAccessKey: string,
  amzDate: string,
): Promise<string> {
  const sessionToken = header(input, 'x-amz-security-token');
  const signer = new SignatureV4({
    credentials: { accessKeyId: parsed.accessKeyId, secretAccessKey, sessionToken },
    region: parsed.region,
    service: parsed.service,
    sha256: Sha256,
  });
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(input.query.keys())) {
    const values = input.query.getAll(key);
    query[key] = values.length === 1 ? (values[0] as string) : values;
  }
  const signed = await signer.sign(
    {
      method: input.method,
      protocol: 'http:',
      hostname: input.host,
      path: input.path,
      query,
      headers,
      body: input.body,
    },
    { signingDate: new Date(parseAmzDate(amzDate)) },
  );
  const authorization = signed.headers.authorization ?? '';
  return /Signature=([0-9a-f]+)/.exec(authorization)?.[1] ?? '';
}

function pickHeaders(input: SignedRequestInput, names: readonly string[]): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const name of names) picked[name] = header(input, name) ?? '';
  return picked;
}

/** Verifies a SigV4-signed Bedrock request; resolves to the caller, throws SignatureError. */
export async function verifyBedrockRequest(
  input: SignedRequestInput,
  options: VerifyOptions,
): Promise<LocalIdentity> {
  const parsed = parseAuthorization(header(input, 'authorization'));
  if (!parsed?.signedHeaders.includes(AUTHORITY) || parsed.signedHeaders.includes('host')) {
    return verifySignedRequest(input, options);
  }
  const authority = header(input, AUTHORITY) ?? input.host;
  const amzDate = header(input, 'x-amz-date');
  const identity = options.credentials.lookup(parsed.accessKeyId);
  const hostNames = parsed.signedHeaders.map((name) => (name === AUTHORITY ? 'host' : name)).sort();
  const hostHeaders = { ...input.headers, host: authority };
  let hostAuthorization = `AWS4-HMAC-SHA256 Credential=${parsed.accessKeyId}/${parsed.date}/${parsed.region}/${parsed.service}/aws4_request, SignedHeaders=${hostNames.join(';')}, Signature=${'0'.repeat(64)}`;
  if (identity && amzDate) {
    const expected = await signatureOver(
      input,
      pickHeaders(input, parsed.signedHeaders),
      parsed,
      identity.secretAccessKey,
      amzDate,
    );
    if (expected !== parsed.signature) {
      throw new SignatureError(
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      );
    }
    const hostInput = { ...input, headers: hostHeaders };
    const signature = await signatureOver(
      hostInput,
      pickHeaders(hostInput, hostNames),
      parsed,
      identity.secretAccessKey,
      amzDate,
    );
    hostAuthorization = hostAuthorization.replace(/Signature=0+$/, `Signature=${signature}`);
  }
  // Unknown key or missing date: the shared verifier reports it with AWS's wording.
  return verifySignedRequest(
    { ...input, headers: { ...hostHeaders, authorization: hostAuthorization } },
    options,
  );
}
