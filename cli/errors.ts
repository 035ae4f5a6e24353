/**
 * Errors of the `qna-streaming` CLI. A `CliError` carries the exit code and a message that says
 * what to do; `UsageError` (exit 2) is a wrong command line.
 */
import { QnaStreamingError } from '../functions/protocol/errors';

/** Exit codes of every command. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export class CliError extends QnaStreamingError {
  readonly exitCode: ExitCode;

  constructor(message: string, options?: { cause?: unknown; exitCode?: ExitCode }) {
    super(message, options);
    this.name = 'CliError';
    this.exitCode = options?.exitCode ?? EXIT.failure;
  }
}

/** The command line is wrong (unknown flag, missing value): exit code 2 and the command's usage. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, { exitCode: EXIT.usage });
    this.name = 'UsageError';
  }
}

/** Name of an AWS SDK (or other) error, for matching specific failures. */
export function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

/** True when the SDK could not find credentials anywhere in its default chain. */
export function isMissingCredentials(error: unknown): boolean {
  const name = errorName(error);
  return (
    name === 'CredentialsProviderError' ||
    (error instanceof Error && /Could not load credentials|Unable to locate credentials/i.test(error.message))
  );
}

/** What to do when no credentials are found (shared by publish, ask and doctor). */
export const MISSING_CREDENTIALS_HELP =
  'no AWS credentials found: set AWS_PROFILE (after `aws configure` or `aws sso login`), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (plus AWS_SESSION_TOKEN for temporary credentials)';

/**
 * Codes of a request that never reached the service: DNS, TCP, TLS, or the SDK's own timeout.
 * Node puts them on the error (`code`), sometimes on its `cause`.
 */
const NETWORK_CODE =
  /^(ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|ECONNABORTED|UND_ERR_\w+|CERT_\w+|UNABLE_TO_\w+|SELF_SIGNED_CERT_IN_CHAIN|DEPTH_ZERO_SELF_SIGNED_CERT|ERR_TLS_\w+)$/;

/** The network code of an error (or of its causes), or `TimeoutError` for an SDK timeout. */
export function networkErrorCode(error: unknown): string | undefined {
  let current = error as { code?: unknown; name?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; current && typeof current === 'object' && depth < 5; depth += 1) {
    if (typeof current.code === 'string' && NETWORK_CODE.test(current.code)) return current.code;
    if (current.name === 'TimeoutError') return current.name;
    current = current.cause as typeof current;
  }
  return undefined;
}

export interface NetworkFailureContext {
  /** What the command was doing, e.g. `uploading to s3://b/p/`. */
  readonly doing: string;
  /** The service: `S3`, `CloudFormation`, `DynamoDB` (upper-cased, it names AWS_ENDPOINT_URL_<SERVICE>). */
  readonly service: string;
  /** The region the client used, when known. */
  readonly region?: string;
  /** The environment the SDK read (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>). */
  readonly env: Readonly<Record<string, string | undefined>>;
}

/** What went wrong underneath a network failure, in words (the SDK's message stays in `cause`). */
function networkDetail(error: unknown): string {
  const code = networkErrorCode(error);
  const { hostname, message } = error as { hostname?: unknown; message?: unknown };
  if (code === 'ENOTFOUND' && typeof hostname === 'string')
    return `the host name ${hostname} does not resolve`;
  if (code === 'ECONNREFUSED') return `nothing listens at the endpoint (${String(message)})`;
  if (code === 'TimeoutError') return 'the request timed out';
  return `the connection failed (${code}: ${String(message)})`;
}

/**
 * A request that never reached AWS: what failed underneath, and what to check (an endpoint
 * override, the region, the network and proxy). The SDK's error stays as `cause`.
 */
export function networkFailure(error: unknown, context: NetworkFailureContext): CliError {
  const serviceVariable = `AWS_ENDPOINT_URL_${context.service.toUpperCase()}`;
  const override = [serviceVariable, 'AWS_ENDPOINT_URL'].find((name) => context.env[name]);
  const endpoint = override
    ? `the endpoint: ${override}=${context.env[override]} sends the request there (unset it to reach AWS)`
    : `the endpoint (none of AWS_ENDPOINT_URL, ${serviceVariable} is set; an endpoint_url in your AWS profile also counts)`;
  const region = context.region
    ? `the region (${context.region}; --region sets it), `
    : 'the region (--region), ';
  return new CliError(
    `${context.doing} failed: could not reach ${context.service}: ${networkDetail(error)}. Check ${endpoint}, ${region}and the network (and its proxy, if it needs one)`,
    { cause: error },
  );
}

/** Credentials that come over the network (SSO, an assumed role, instance metadata) could not be had. */
export function credentialsUnreachable(error: unknown): CliError {
  return new CliError(
    `could not load AWS credentials: ${networkDetail(error)}. The profile's credentials come over the network (SSO, an assumed role, instance metadata): check the network (and its proxy, if it needs one) and the profile's region and sso_region`,
    { cause: error },
  );
}
