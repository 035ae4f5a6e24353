/**
 * The connection routes' pure parts (functions/connection/connection-routes.ts): what a `$connect`
 * query may hold and the reason a refused client reads, whose identity a request is bound to, and
 * which repeated cancels a container keeps away from the session table.
 */
import {
  ConnectRejection,
  callerIdentity,
  parseConnectQuery,
  RecentCancels,
} from '../../functions/connection/connection-routes';
import type { WebSocketEvent } from '../../functions/connection/websocket-event';
import { CANCEL_MIN_INTERVAL_MS } from '../../functions/shared/session-table';

function connectEvent(
  query: WebSocketEvent['queryStringParameters'],
  multi?: WebSocketEvent['multiValueQueryStringParameters'],
): WebSocketEvent {
  return {
    requestContext: { routeKey: '$connect', connectionId: 'c1=' },
    queryStringParameters: query,
    ...(multi === undefined ? {} : { multiValueQueryStringParameters: multi }),
  };
}

describe('parseConnectQuery', () => {
  it.each([
    ['no protocol', { sessionId: 'lex-web-ui-4f2a' }, 'text'],
    ['an empty protocol', { sessionId: 'lex-web-ui-4f2a', protocol: '' }, 'text'],
    ['protocol=text', { sessionId: 'lex-web-ui-4f2a', protocol: 'text' }, 'text'],
    ['protocol=json', { sessionId: 'lex-web-ui-4f2a', protocol: 'json' }, 'json'],
  ])('accepts %s', (_name, query, protocol) => {
    expect(parseConnectQuery(connectEvent(query))).toEqual({ sessionId: 'lex-web-ui-4f2a', protocol });
  });

  it.each<[string, WebSocketEvent['queryStringParameters'], string]>([
    ['no query string', null, 'query parameter "sessionId" is required (the Lex session id)'],
    [
      'a sessionId API Gateway passed as null',
      { sessionId: null as unknown as string },
      'query parameter "sessionId" is required (the Lex session id)',
    ],
    ['an empty sessionId', { sessionId: '' }, 'query parameter "sessionId" is required (the Lex session id)'],
    [
      'a sessionId with a space',
      { sessionId: 'a b' },
      'query parameter "sessionId" must be 2-100 characters of 0-9 a-z A-Z . _ : - (got 3 characters)',
    ],
    [
      'an unknown protocol, quoted to 20 characters',
      { sessionId: 'ab', protocol: `${'x'.repeat(20)}-and-more` },
      `query parameter "protocol" must be one of text, json (got "${'x'.repeat(20)}")`,
    ],
  ])('refuses %s with 400 and the reason', (_name, query, reason) => {
    // Act
    const parsed = parseConnectQuery(connectEvent(query));

    // Assess
    expect(parsed).toBeInstanceOf(ConnectRejection);
    expect(parsed).toEqual({ statusCode: 400, reason });
  });

  it.each([
    [
      'sessionId',
      { sessionId: ['aa', 'bb'] },
      'query parameter "sessionId" must be given once, got 2 values',
    ],
    [
      'protocol',
      { sessionId: ['aa'], protocol: ['json', 'text', 'json'] },
      'query parameter "protocol" must be given once, got 3 values',
    ],
  ])('refuses a %s given more than once (which one would count is ambiguous)', (_name, multi, reason) => {
    // Act
    const parsed = parseConnectQuery(connectEvent({ sessionId: 'aa', protocol: 'json' }, multi));

    // Assess
    expect(parsed).toEqual({ statusCode: 400, reason });
  });

  it('accepts parameters API Gateway lists once in the multi-value map', () => {
    expect(
      parseConnectQuery(
        connectEvent({ sessionId: 'aa', protocol: 'json' }, { sessionId: ['aa'], protocol: ['json'] }),
      ),
    ).toEqual({ sessionId: 'aa', protocol: 'json' });
  });
});

describe('callerIdentity', () => {
  const ARN = 'arn:aws:iam::123456789012:user/server';
  const COGNITO = 'us-east-1:11111111-2222-3333-4444-555555555555';

  it.each<[string, Parameters<typeof callerIdentity>[0], ReturnType<typeof callerIdentity>]>([
    [
      'a Cognito identity (its id, also as the key)',
      { cognitoIdentityId: COGNITO, userArn: ARN },
      { key: COGNITO, cognitoIdentityId: COGNITO },
    ],
    [
      'an IAM user (its ARN)',
      { cognitoIdentityId: null, userArn: ARN, caller: 'AIDA', accessKey: 'AKIA' },
      { key: ARN },
    ],
    ['an empty Cognito id (the signer instead)', { cognitoIdentityId: '', userArn: ARN }, { key: ARN }],
    [
      'a caller id without ARN',
      { userArn: null, caller: 'AIDAEXAMPLE', accessKey: 'AKIA' },
      { key: 'AIDAEXAMPLE' },
    ],
    ['only an access key', { userArn: null, caller: null, accessKey: 'AKIAEXAMPLE' }, { key: 'AKIAEXAMPLE' }],
    [
      'nothing that names a signer',
      { cognitoIdentityId: null, userArn: null, caller: null, accessKey: null },
      undefined,
    ],
    ['no identity at all', undefined, undefined],
  ])('binds %s', (_name, identity, expected) => {
    expect(callerIdentity(identity)).toEqual(expected);
  });
});

describe('RecentCancels', () => {
  it('counts a socket’s cancel as recent for CANCEL_MIN_INTERVAL_MS after it went to the table', () => {
    // Prepare
    const recent = new RecentCancels();
    recent.remember('c1=', 10_000);

    // Act
    const checks = [10_000, 10_000 + CANCEL_MIN_INTERVAL_MS - 1, 10_000 + CANCEL_MIN_INTERVAL_MS].map((at) =>
      recent.isRecent('c1=', at),
    );

    // Assess
    expect(checks).toEqual([true, true, false]);
    expect(recent.intervalMs).toBe(CANCEL_MIN_INTERVAL_MS);
  });

  it('does not count another socket’s cancel, nor one the clock now puts in the future', () => {
    // Prepare
    const recent = new RecentCancels(250);
    recent.remember('c1=', 10_000);

    // Act + Assess
    expect(recent.isRecent('c2=', 10_000)).toBe(false);
    expect(recent.isRecent('c1=', 9_999)).toBe(false);
  });

  it('forgets every socket once it holds maxEntries of them, so a container’s memory stays bounded', () => {
    // Prepare
    const recent = new RecentCancels(250, 2);
    recent.remember('c1=', 1_000);
    recent.remember('c2=', 1_000);

    // Act
    recent.remember('c3=', 1_000);

    // Assess
    expect(['c1=', 'c2=', 'c3='].map((id) => recent.isRecent(id, 1_000))).toEqual([false, false, true]);
  });

  it('keeps up to 10,000 sockets by default', () => {
    // Prepare
    const recent = new RecentCancels();
    for (let index = 0; index < 10_000; index += 1) recent.remember(`c${index}=`, 1_000);

    // Act
    const firstKept = recent.isRecent('c0=', 1_000);
    recent.remember('one-more=', 1_000);

    // Assess
    expect(recent.maxEntries).toBe(10_000);
    expect([firstKept, recent.isRecent('c0=', 1_000), recent.isRecent('one-more=', 1_000)]).toEqual([
      true,
      false,
      true,
    ]);
  });
});
