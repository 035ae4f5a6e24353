/**
 * The local gateway accepts the presigned socket URL exactly as a stock Lex Web UI 0.24.1 makes it.
 *
 * `lexWebUiSignUrl` below is our own signer, written from reading Lex Web UI's `signUrl`
 * (aws-samples/aws-lex-web-ui v0.24.1, lex-web-ui/src/store/sigv4-handlers.js): it signs the
 * `wss:`/`ws:` URL as `https:`, with `@smithy/signature-v4` + `@aws-crypto/sha256-js`, the
 * URL's query as the request query, `host` = the URL's hostname WITHOUT the port, service
 * `execute-api`, `presign` with `expiresIn` 3600 s; then it rebuilds the URL with
 * `searchParams.set` for every signed query parameter and puts the socket scheme back.
 */
import type { LocalExecuteApi } from '../../cli/local-stack/execute-api';
import { lexWebUiSignUrl } from '../compat/lex-web-ui-sign-url';
import {
  closed,
  cognitoIdentity,
  openSocket,
  REGION,
  type recordingLambda,
  startTestGateway,
} from './helpers';

describe('local execute-api: $connect with a URL presigned the way Lex Web UI 0.24.1 does', () => {
  let gateway: LocalExecuteApi;
  let lambda: ReturnType<typeof recordingLambda>;

  beforeAll(async () => {
    ({ gateway, lambda } = await startTestGateway());
  });

  afterAll(async () => {
    await gateway.stop();
  });

  beforeEach(() => {
    lambda.events.length = 0;
  });

  /** Lex Web UI opens `endpoint + '?sessionId=' + userId`; the default userId is `lex-web-ui-` + 4 hex. */
  function endpointWithSession(sessionId: string): string {
    return `${gateway.webSocketUrl}?sessionId=${sessionId}`;
  }

  it('signs host without the port, 3600 s, execute-api (what the URL carries)', async () => {
    const url = new URL(
      await lexWebUiSignUrl(endpointWithSession('lex-web-ui-a1b2'), cognitoIdentity, {
        region: REGION,
        service: 'execute-api',
      }),
    );

    expect(url.protocol).toBe('ws:');
    expect(url.port).not.toBe('');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('3600');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
    expect(url.searchParams.get('X-Amz-Credential')).toMatch(/\/us-east-1\/execute-api\/aws4_request$/);
    expect(url.searchParams.get('sessionId')).toBe('lex-web-ui-a1b2');
  });

  it('is accepted by $connect, with the Cognito identity and the session id in the event', async () => {
    // Prepare
    const url = await lexWebUiSignUrl(endpointWithSession('lex-web-ui-a1b2'), cognitoIdentity, {
      region: REGION,
      service: 'execute-api',
    });

    // Act
    const result = await openSocket(url);

    // Assess
    expect(result.status).toBeUndefined();
    expect(lambda.routes()).toEqual(['$connect']);
    expect(lambda.events[0]).toMatchObject({
      queryStringParameters: { sessionId: 'lex-web-ui-a1b2' },
      requestContext: { identity: { cognitoIdentityId: cognitoIdentity.cognitoIdentityId } },
    });
    result.socket?.close();
    if (result.socket) await closed(result.socket);
  });

  it('is accepted when the session id is the Cognito identity id (a `:` in the query)', async () => {
    const sessionId = cognitoIdentity.cognitoIdentityId as string;
    const url = await lexWebUiSignUrl(endpointWithSession(sessionId), cognitoIdentity, {
      region: REGION,
      service: 'execute-api',
    });

    const result = await openSocket(url);

    expect(result.status).toBeUndefined();
    expect(lambda.events[0]?.queryStringParameters?.sessionId).toBe(sessionId);
    result.socket?.close();
    if (result.socket) await closed(result.socket);
  });

  it.each([
    ['another hostname', 'localhost'],
    ['another address', '127.0.0.2'],
    ['a real API Gateway host', 'abcdef1234.execute-api.us-east-1.amazonaws.com'],
  ])('refuses a signature over %s with 403 and no Lambda call', async (_name, signedHost) => {
    const url = await lexWebUiSignUrl(endpointWithSession('lex-web-ui-a1b2'), cognitoIdentity, {
      region: REGION,
      service: 'execute-api',
      signedHost,
    });

    const result = await openSocket(url);

    expect(result.status).toBe(403);
    expect(lambda.events).toHaveLength(0);
  });

  it('refuses a signature over the right hostname but another port with 403', async () => {
    const port = Number(new URL(gateway.webSocketUrl).port);
    const url = await lexWebUiSignUrl(endpointWithSession('lex-web-ui-a1b2'), cognitoIdentity, {
      region: REGION,
      service: 'execute-api',
      signedHost: `127.0.0.1:${port + 1}`,
    });

    const result = await openSocket(url);

    expect(result.status).toBe(403);
    expect(lambda.events).toHaveLength(0);
  });
});
