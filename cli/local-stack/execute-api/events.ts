/**
 * Lambda-proxy events of an API Gateway WebSocket API, in the shape AWS sends them: `$connect`
 * carries headers and query string, messages carry the body, `$disconnect` the close status, and
 * every event carries `requestContext.identity` (filled from the SigV4 caller on AWS_IAM routes).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { LocalIdentity } from '../credentials';

export interface WebSocketEventIdentity {
  cognitoIdentityPoolId: string | null;
  cognitoIdentityId: string | null;
  principalOrgId: string | null;
  cognitoAuthenticationType: string | null;
  userArn: string | null;
  userAgent: string | null;
  accountId: string | null;
  caller: string | null;
  sourceIp: string | null;
  accessKey: string | null;
  cognitoAuthenticationProvider: string | null;
  user: string | null;
}

export interface WebSocketRequestContext {
  routeKey: string;
  eventType: 'CONNECT' | 'MESSAGE' | 'DISCONNECT';
  messageId?: string;
  extendedRequestId: string;
  requestTime: string;
  messageDirection: 'IN';
  stage: string;
  connectedAt: number;
  requestTimeEpoch: number;
  identity: WebSocketEventIdentity;
  requestId: string;
  domainName: string;
  connectionId: string;
  apiId: string;
  disconnectStatusCode?: number;
  disconnectReason?: string;
}

export interface WebSocketProxyEvent {
  requestContext: WebSocketRequestContext;
  headers?: Record<string, string>;
  multiValueHeaders?: Record<string, string[]>;
  queryStringParameters?: Record<string, string>;
  multiValueQueryStringParameters?: Record<string, string[]>;
  body?: string;
  isBase64Encoded: boolean;
}

/** A Lambda as the gateway invokes it: a plain async handler, or a wrapper around a LocalLambda. */
export type WebSocketLambda = (event: WebSocketProxyEvent, context: Context) => Promise<unknown>;

/** Where the connection came from; the same on every event of the connection. */
export interface ConnectionOrigin {
  connectionId: string;
  connectedAt: number;
  sourceIp: string;
  userAgent: string | null;
  /** The SigV4 caller on AWS_IAM `$connect`; absent when the route has no authorization. */
  caller?: LocalIdentity;
}

export interface ApiInfo {
  apiId: string;
  stage: string;
  domainName: string;
}

export function eventIdentity(origin: ConnectionOrigin): WebSocketEventIdentity {
  const caller = origin.caller;
  return {
    cognitoIdentityPoolId: caller?.cognitoIdentityPoolId ?? null,
    cognitoIdentityId: caller?.cognitoIdentityId ?? null,
    principalOrgId: null,
    cognitoAuthenticationType: caller?.cognitoAuthenticationType ?? null,
    userArn: caller?.userArn ?? null,
    userAgent: origin.userAgent,
    accountId: caller?.accountId ?? null,
    caller: caller?.caller ?? null,
    sourceIp: origin.sourceIp,
    accessKey: caller?.accessKeyId ?? null,
    cognitoAuthenticationProvider: caller?.cognitoAuthenticationProvider ?? null,
    user: caller?.caller ?? null,
  };
}

/** API Gateway request ids look like `ZrxZ0FxvIAMFQ0g=`. */
export function newRequestId(): string {
  return randomBytes(10).toString('base64');
}

function requestContext(
  api: ApiInfo,
  origin: ConnectionOrigin,
  routeKey: string,
  eventType: WebSocketRequestContext['eventType'],
  now: number,
): WebSocketRequestContext {
  const requestId = newRequestId();
  return {
    routeKey,
    eventType,
    extendedRequestId: requestId,
    requestTime: formatRequestTime(now),
    messageDirection: 'IN',
    stage: api.stage,
    connectedAt: origin.connectedAt,
    requestTimeEpoch: now,
    identity: eventIdentity(origin),
    requestId,
    domainName: api.domainName,
    connectionId: origin.connectionId,
    apiId: api.apiId,
  };
}

export function connectEvent(
  api: ApiInfo,
  origin: ConnectionOrigin,
  rawHeaders: readonly string[],
  query: URLSearchParams,
  now: number,
): WebSocketProxyEvent {
  const multiValueHeaders: Record<string, string[]> = {};
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index] as string;
    appendValue(multiValueHeaders, name, rawHeaders[index + 1] as string);
  }
  multiValueHeaders['X-Forwarded-For'] ??= [origin.sourceIp];
  multiValueHeaders['X-Forwarded-Proto'] ??= ['http'];
  const headers = lastValues(multiValueHeaders);
  const event: WebSocketProxyEvent = {
    headers,
    multiValueHeaders,
    requestContext: requestContext(api, origin, '$connect', 'CONNECT', now),
    isBase64Encoded: false,
  };
  const multiValueQuery: Record<string, string[]> = {};
  for (const [key, value] of query) appendValue(multiValueQuery, key, value);
  if (Object.keys(multiValueQuery).length > 0) {
    event.queryStringParameters = lastValues(multiValueQuery);
    event.multiValueQueryStringParameters = multiValueQuery;
  }
  return event;
}

export function messageEvent(
  api: ApiInfo,
  origin: ConnectionOrigin,
  routeKey: string,
  data: Buffer,
  isBinary: boolean,
  now: number,
): WebSocketProxyEvent {
  const context = requestContext(api, origin, routeKey, 'MESSAGE', now);
  context.messageId = newRequestId();
  return {
    requestContext: context,
    body: isBinary ? data.toString('base64') : data.toString('utf8'),
    isBase64Encoded: isBinary,
  };
}

export function disconnectEvent(
  api: ApiInfo,
  origin: ConnectionOrigin,
  statusCode: number,
  reason: string,
  now: number,
): WebSocketProxyEvent {
  const context = requestContext(api, origin, '$disconnect', 'DISCONNECT', now);
  context.disconnectStatusCode = statusCode;
  context.disconnectReason = reason;
  return { requestContext: context, isBase64Encoded: false };
}

/** The context object a Lambda handler receives. */
export function lambdaContext(
  functionName: string,
  region: string,
  accountId: string,
  timeoutMs: number,
): Context {
  const deadline = Date.now() + timeoutMs;
  const day = new Date().toISOString().slice(0, 10).replace(/-/g, '/');
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:${region}:${accountId}:function:${functionName}`,
    memoryLimitInMB: '128',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: `${day}/[$LATEST]${randomBytes(16).toString('hex')}`,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `09/Feb/2021:18:31:29 +0000`, the CLF time API Gateway puts in `requestTime`. */
export function formatRequestTime(epochMs: number): string {
  const date = new Date(epochMs);
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

function lastValues(multi: Record<string, string[]>): Record<string, string> {
  const single: Record<string, string> = {};
  for (const [key, values] of Object.entries(multi)) single[key] = values[values.length - 1] as string;
  return single;
}

function appendValue(multi: Record<string, string[]>, key: string, value: string): void {
  const values = multi[key];
  if (values) values.push(value);
  else multi[key] = [value];
}

/** What a Lambda-proxy integration answered: status (default 200), string body, lower-cased headers. */
export function proxyResult(result: unknown): {
  statusCode: number;
  body?: string;
  headers: Record<string, string>;
} {
  if (!result || typeof result !== 'object') {
    return typeof result === 'string'
      ? { statusCode: 200, body: result, headers: {} }
      : { statusCode: 200, headers: {} };
  }
  const { statusCode, body, headers } = result as { statusCode?: unknown; body?: unknown; headers?: unknown };
  const lowerHeaders: Record<string, string> = {};
  if (headers && typeof headers === 'object') {
    for (const [name, value] of Object.entries(headers))
      if (typeof value === 'string') lowerHeaders[name.toLowerCase()] = value;
  }
  return {
    statusCode: typeof statusCode === 'number' ? statusCode : 200,
    body: typeof body === 'string' ? body : undefined,
    headers: lowerHeaders,
  };
}
