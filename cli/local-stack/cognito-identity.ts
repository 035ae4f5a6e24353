/**
 * Local Cognito Identity: the two calls a browser makes to turn an identity pool id into AWS
 * credentials (`GetId`, then `GetCredentialsForIdentity`), spoken in `awsJson1_1` exactly as the
 * `@aws-sdk/client-cognito-identity` client sends them. Both are unsigned on AWS and here.
 *
 * Every credential issued is registered in the shared {@link CredentialStore}, so a request the
 * browser later signs with it (the `$connect` presign, Lex `RecognizeText`) is attributed to the
 * Cognito identity, as API Gateway does in `requestContext.identity.cognitoIdentityId`.
 *
 * Decisions a user might notice:
 * - `Logins` tokens are not verified (there is no identity provider locally). A JWT's `sub` (or
 *   the opaque token itself) names the user, so the same login gets the same identity id.
 * - Without `Logins` every `GetId` creates a new unauthenticated identity, as Cognito does.
 * - The pool id is fixed by default so a browser config survives restarts of the local stack.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { ConfigurationError } from '../../functions/shared/errors';
import { createLogger, type Logger } from '../../functions/shared/logger';
import { type CredentialStore, DEV_ACCOUNT_ID, type LocalIdentity } from './credentials';
import {
  isRecord,
  isStringMap,
  LocalAwsError,
  type LocalRequest,
  type LocalResponse,
  newRequestId,
  parseJsonObject,
  readBody,
  sendJson,
  startLocalServer,
} from './http';

export const COGNITO_TARGET_PREFIX = 'AWSCognitoIdentityService.';
/** Identity pool id used when none is given: `<region>:` + this. */
export const DEFAULT_IDENTITY_POOL_SUFFIX = '00000000-0000-4000-8000-00000000c0de';
export const DEFAULT_IDENTITY_POOL_NAME = 'qna_streaming_local';

/** Identity (pool) ids: `<region>:<uuid>` (Cognito's `[\w-]+:[0-9a-f-]+`). */
const IDENTITY_ID_PATTERN = /^[\w-]+:[0-9a-f-]+$/;

export interface LocalCognitoIdentityOptions {
  /** Where issued credentials are registered, so the other doubles accept them. */
  credentials: CredentialStore;
  /** @default 'us-east-1' */
  region?: string;
  /** @default `${region}:${DEFAULT_IDENTITY_POOL_SUFFIX}` */
  identityPoolId?: string;
  /** Used in the role names of the issued credentials' ARN. @default DEFAULT_IDENTITY_POOL_NAME */
  identityPoolName?: string;
  /** @default DEV_ACCOUNT_ID */
  accountId?: string;
  /** Lifetime of issued credentials. @default 3600 */
  credentialLifetimeSeconds?: number;
  /** Cognito's "allow unauthenticated identities" pool setting. @default true */
  allowUnauthenticatedIdentities?: boolean;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** @default a JSON logger named `local-cognito-identity` */
  logger?: Logger;
  /** Clock, for tests of expiry. @default Date.now */
  now?: () => number;
}

/** One credential handed out, as a test or the local stack's console sees it. */
export interface IssuedCredentials {
  identityId: string;
  accessKeyId: string;
  /** Epoch milliseconds. */
  expiresAt: number;
  authenticationType: 'authenticated' | 'unauthenticated';
}

export interface LocalCognitoIdentity {
  /** `http://127.0.0.1:<port>`, for `new CognitoIdentityClient({ endpoint })`. */
  endpoint: string;
  port: number;
  identityPoolId: string;
  region: string;
  /** Every credential issued so far, oldest first. */
  issued(): IssuedCredentials[];
  stop(): Promise<void>;
}

interface IdentityRecord {
  identityId: string;
  /** provider name → user (JWT `sub` or the opaque token). Empty for unauthenticated identities. */
  logins: Map<string, string>;
}

export async function startLocalCognitoIdentity(
  options: LocalCognitoIdentityOptions,
): Promise<LocalCognitoIdentity> {
  const region = options.region ?? 'us-east-1';
  const identityPoolId = options.identityPoolId ?? `${region}:${DEFAULT_IDENTITY_POOL_SUFFIX}`;
  if (!IDENTITY_ID_PATTERN.test(identityPoolId)) {
    throw new ConfigurationError(`identityPoolId must look like <region>:<uuid>, got "${identityPoolId}"`);
  }
  const lifetimeSeconds = options.credentialLifetimeSeconds ?? 3600;
  if (!Number.isInteger(lifetimeSeconds) || lifetimeSeconds < 1) {
    throw new ConfigurationError(
      `credentialLifetimeSeconds must be a positive integer, got ${lifetimeSeconds}`,
    );
  }
  const service = new CognitoIdentityService({
    credentials: options.credentials,
    region,
    identityPoolId,
    identityPoolName: options.identityPoolName ?? DEFAULT_IDENTITY_POOL_NAME,
    accountId: options.accountId ?? DEV_ACCOUNT_ID,
    lifetimeSeconds,
    allowUnauthenticated: options.allowUnauthenticatedIdentities ?? true,
    now: options.now ?? Date.now,
  });
  const logger = options.logger ?? createLogger({ service: 'local-cognito-identity' });

  const server = await startLocalServer(
    (request, response) => {
      handle(service, request, response).catch((error: unknown) => {
        logger.error('unexpected failure', { error });
        if (!response.headersSent) sendAwsJsonError(response, newRequestId(), internalError(error));
        else response.destroy();
      });
    },
    options.host ?? '127.0.0.1',
    options.port ?? 0,
  );
  logger.debug('listening', { endpoint: server.endpoint, identityPoolId });
  return {
    endpoint: server.endpoint,
    port: server.port,
    identityPoolId,
    region,
    issued: () => service.issued.map((entry) => ({ ...entry })),
    stop: () => server.close(),
  };
}

async function handle(
  service: CognitoIdentityService,
  request: LocalRequest,
  response: LocalResponse,
): Promise<void> {
  const requestId = newRequestId();
  try {
    if (request.method !== 'POST') {
      throw new LocalAwsError(404, 'UnknownOperationException', `${request.method} is not supported`);
    }
    const target = request.headers['x-amz-target'];
    const operation =
      typeof target === 'string' && target.startsWith(COGNITO_TARGET_PREFIX)
        ? target.slice(COGNITO_TARGET_PREFIX.length)
        : undefined;
    const input = parseJsonObject(await readBody(request), 'SerializationException');
    let output: unknown;
    if (operation === 'GetId') output = service.getId(input);
    else if (operation === 'GetCredentialsForIdentity') output = service.getCredentialsForIdentity(input);
    else {
      throw new LocalAwsError(
        400,
        'UnknownOperationException',
        `operation ${String(target)} is not supported by the local Cognito Identity`,
      );
    }
    sendJson(response, 200, output, awsJsonHeaders(requestId));
  } catch (error) {
    sendAwsJsonError(response, requestId, error instanceof LocalAwsError ? error : internalError(error));
  }
}

function awsJsonHeaders(requestId: string): Record<string, string> {
  return { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': requestId };
}

/** awsJson1_1 errors: the SDK reads the error name from `__type`. */
function sendAwsJsonError(response: LocalResponse, requestId: string, error: LocalAwsError): void {
  sendJson(
    response,
    error.statusCode,
    { __type: error.code, message: error.message },
    awsJsonHeaders(requestId),
  );
}

function internalError(error: unknown): LocalAwsError {
  return new LocalAwsError(500, 'InternalErrorException', 'internal error in the local Cognito Identity', {
    cause: error,
  });
}

interface ServiceSettings {
  credentials: CredentialStore;
  region: string;
  identityPoolId: string;
  identityPoolName: string;
  accountId: string;
  lifetimeSeconds: number;
  allowUnauthenticated: boolean;
  now: () => number;
}

/** The pool's state and the two operations, free of HTTP. */
class CognitoIdentityService {
  readonly issued: IssuedCredentials[] = [];
  private readonly identities = new Map<string, IdentityRecord>();
  /** `provider\nuser` → identity id, so the same login finds the same identity. */
  private readonly loginIndex = new Map<string, string>();

  constructor(private readonly settings: ServiceSettings) {}

  getId(input: Record<string, unknown>): { IdentityId: string } {
    const poolId = requireIdentifier(input, 'IdentityPoolId');
    if (poolId !== this.settings.identityPoolId) {
      throw new LocalAwsError(400, 'ResourceNotFoundException', `IdentityPool '${poolId}' not found.`);
    }
    const logins = readLogins(input);
    if (logins.size === 0) {
      if (!this.settings.allowUnauthenticated) {
        throw new LocalAwsError(
          400,
          'NotAuthorizedException',
          'Unauthenticated access is not supported for this identity pool.',
        );
      }
      return { IdentityId: this.createIdentity(new Map()).identityId };
    }
    const owners = this.ownersOf(logins);
    if (owners.size > 1) {
      throw new LocalAwsError(400, 'ResourceConflictException', 'The logins belong to different identities.');
    }
    const [existing] = owners;
    const record = existing ? this.identities.get(existing) : undefined;
    if (record) {
      this.link(record, logins);
      return { IdentityId: record.identityId };
    }
    return { IdentityId: this.createIdentity(logins).identityId };
  }

  getCredentialsForIdentity(input: Record<string, unknown>): {
    IdentityId: string;
    Credentials: { AccessKeyId: string; SecretKey: string; SessionToken: string; Expiration: number };
  } {
    const identityId = requireIdentifier(input, 'IdentityId');
    const record = this.identities.get(identityId);
    if (!record)
      throw new LocalAwsError(400, 'ResourceNotFoundException', `Identity '${identityId}' not found.`);
    const logins = readLogins(input);
    const owners = this.ownersOf(logins);
    if (owners.size > 1 || (owners.size === 1 && !owners.has(identityId))) {
      throw new LocalAwsError(
        400,
        'NotAuthorizedException',
        "Logins don't match. Please include at least one valid login for this identity or identity pool.",
      );
    }
    // An authenticated identity gets credentials only when the caller proves one of its logins.
    if (record.logins.size > 0 && owners.size === 0) {
      throw new LocalAwsError(
        400,
        'NotAuthorizedException',
        `Access to Identity '${identityId}' is forbidden.`,
      );
    }
    this.link(record, logins);
    return { IdentityId: identityId, Credentials: this.issue(record) };
  }

  private issue(record: IdentityRecord) {
    const { accountId, identityPoolId, identityPoolName, lifetimeSeconds } = this.settings;
    const authenticated = record.logins.size > 0;
    const authenticationType = authenticated ? 'authenticated' : 'unauthenticated';
    const roleName = `${identityPoolName}-${authenticated ? 'auth' : 'unauth'}-role`;
    const accessKeyId = `ASIA${randomCharacters(16)}`;
    const secretAccessKey = randomBytes(30).toString('base64');
    const sessionToken = randomBytes(96).toString('base64');
    // Whole seconds: the wire carries epoch seconds, and the SDK refreshes by that value.
    const expiresAt = Math.floor(this.settings.now() / 1000) * 1000 + lifetimeSeconds * 1000;
    const [provider, user] = [...record.logins.entries()][0] ?? [];
    const identity: LocalIdentity = {
      accessKeyId,
      secretAccessKey,
      sessionToken,
      expiresAt,
      cognitoIdentityId: record.identityId,
      cognitoIdentityPoolId: identityPoolId,
      cognitoAuthenticationType: authenticationType,
      // API Gateway's format for user-pool logins: "<provider>,<provider>:CognitoSignIn:<sub>".
      ...(provider ? { cognitoAuthenticationProvider: `${provider},${provider}:CognitoSignIn:${user}` } : {}),
      userArn: `arn:aws:sts::${accountId}:assumed-role/${roleName}/CognitoIdentityCredentials`,
      caller: `${roleId(roleName)}:CognitoIdentityCredentials`,
      accountId,
    };
    this.settings.credentials.register(identity);
    this.issued.push({ identityId: record.identityId, accessKeyId, expiresAt, authenticationType });
    return {
      AccessKeyId: accessKeyId,
      SecretKey: secretAccessKey,
      SessionToken: sessionToken,
      Expiration: expiresAt / 1000,
    };
  }

  private createIdentity(logins: Map<string, string>): IdentityRecord {
    const record: IdentityRecord = {
      identityId: `${this.settings.region}:${randomUUID()}`,
      logins: new Map(),
    };
    this.identities.set(record.identityId, record);
    this.link(record, logins);
    return record;
  }

  private link(record: IdentityRecord, logins: Map<string, string>): void {
    for (const [provider, user] of logins) {
      record.logins.set(provider, user);
      this.loginIndex.set(loginKey(provider, user), record.identityId);
    }
  }

  private ownersOf(logins: Map<string, string>): Set<string> {
    const owners = new Set<string>();
    for (const [provider, user] of logins) {
      const owner = this.loginIndex.get(loginKey(provider, user));
      if (owner) owners.add(owner);
    }
    return owners;
  }
}

function requireIdentifier(input: Record<string, unknown>, field: string): string {
  const value = input[field];
  if (typeof value !== 'string' || value === '') {
    throw new LocalAwsError(400, 'InvalidParameterException', `${field} is required`);
  }
  if (value.length > 55 || !IDENTITY_ID_PATTERN.test(value)) {
    throw new LocalAwsError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${value}' at '${field.charAt(0).toLowerCase()}${field.slice(1)}' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w-]+:[0-9a-f-]+`,
    );
  }
  return value;
}

/** `Logins` as provider → user. The token is trusted: a JWT names its user by `sub`. */
function readLogins(input: Record<string, unknown>): Map<string, string> {
  const logins = input.Logins;
  if (logins === undefined || logins === null) return new Map();
  if (!isStringMap(logins) || Object.values(logins).some((token) => token === '')) {
    throw new LocalAwsError(400, 'InvalidParameterException', 'Logins must map provider names to tokens');
  }
  return new Map(Object.entries(logins).map(([provider, token]) => [provider, userOfToken(token)]));
}

function userOfToken(token: string): string {
  const parts = token.split('.');
  if (parts.length === 3 && parts[1]) {
    try {
      const claims: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
      if (isRecord(claims) && typeof claims.sub === 'string' && claims.sub) return claims.sub;
    } catch {
      // Not a JWT after all: the token itself names the user.
    }
  }
  return token;
}

function loginKey(provider: string, user: string): string {
  return `${provider}\n${user}`;
}

const KEY_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function randomCharacters(count: number): string {
  return [...randomBytes(count)].map((byte) => KEY_ALPHABET[byte % KEY_ALPHABET.length]).join('');
}

/** A stable `AROA…` role id per role name, as `requestContext.identity.caller` shows it. */
function roleId(roleName: string): string {
  let hash = 0;
  const out: string[] = [];
  for (let index = 0; index < 17; index += 1) {
    hash = (hash * 31 + roleName.charCodeAt(index % roleName.length) + index) >>> 0;
    out.push(KEY_ALPHABET[hash % KEY_ALPHABET.length] as string);
  }
  return `AROA${out.join('')}`;
}
