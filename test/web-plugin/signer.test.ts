import {
  DEFAULT_PRESIGN_EXPIRES_SECONDS,
  parseStreamingEndpoint,
  presignUrl,
  presignWebSocketUrl,
  regionFromHost,
} from '../../web-plugin/signer';
import { verifyPresignedUrl } from './sigv4-reference';
import { QUERY_VECTORS, SUITE_CONTEXT } from './sigv4-vectors';

describe('presignUrl against the AWS SigV4 test suite (query-signed vectors)', () => {
  it.each(QUERY_VECTORS)('$name', async (vector) => {
    // Prepare
    const credentials = vector.sessionToken
      ? { ...SUITE_CONTEXT.credentials, sessionToken: vector.sessionToken }
      : SUITE_CONTEXT.credentials;

    // Act
    const signed = new URL(
      await presignUrl({
        url: vector.url,
        method: vector.method,
        credentials,
        region: SUITE_CONTEXT.region,
        service: SUITE_CONTEXT.service,
        expiresInSeconds: SUITE_CONTEXT.expiresInSeconds,
        signingDate: SUITE_CONTEXT.signingDate,
      }),
    );

    // Assess
    const params = Object.fromEntries(signed.searchParams);
    const { 'X-Amz-Signature': signature, ...rest } = params;
    expect(signature).toBe(vector.signature);
    expect(rest).toEqual(vector.params);
    expect(signed.pathname).toBe(new URL(vector.url).pathname);
  });
});

describe('presignWebSocketUrl', () => {
  const credentials = {
    accessKeyId: 'ASIAEXAMPLEEXAMPLE01',
    secretAccessKey: 'example/secret+key/0000000000000000000000',
    sessionToken: 'IQoJb3JpZ2luX2VjEXAMPLE/token+with=chars',
  };
  const signingDate = new Date('2025-01-02T03:04:05Z');

  it('signs sessionId, protocol and the session token into a short-lived wss URL (fixed-date vector)', async () => {
    // Act
    const url = await presignWebSocketUrl({
      endpoint: 'wss://abc123defg.execute-api.eu-west-2.amazonaws.com/Prod',
      sessionId: 'eu-west-2:11111111-2222-3333-4444-555555555555',
      credentials,
      signingDate,
    });

    // Assess
    expect(url.startsWith('wss://abc123defg.execute-api.eu-west-2.amazonaws.com/Prod?')).toBe(true);
    const result = verifyPresignedUrl(url, {
      secretAccessKey: credentials.secretAccessKey,
      service: 'execute-api',
      region: 'eu-west-2',
      nowMs: signingDate.getTime(),
    });
    expect(result).toEqual({
      valid: true,
      params: {
        sessionId: 'eu-west-2:11111111-2222-3333-4444-555555555555',
        protocol: 'json',
        'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
        'X-Amz-Credential': 'ASIAEXAMPLEEXAMPLE01/20250102/eu-west-2/execute-api/aws4_request',
        'X-Amz-Date': '20250102T030405Z',
        'X-Amz-Expires': String(DEFAULT_PRESIGN_EXPIRES_SECONDS),
        'X-Amz-SignedHeaders': 'host',
        'X-Amz-Security-Token': credentials.sessionToken,
        // Pinned, and recomputed independently by verifyPresignedUrl above.
        'X-Amz-Signature': '19bbe6fde93bc3dfecd6dbc05a70a0eb655c295c318bb0a850315a8f4fff56b9',
      },
    });
  });

  it('produces a URL that stops being valid after the expiry', async () => {
    // Act
    const url = await presignWebSocketUrl({
      endpoint: 'wss://abc123defg.execute-api.us-east-1.amazonaws.com/Prod/',
      sessionId: 'session-1',
      protocol: 'text',
      credentials,
      signingDate,
    });

    // Assess
    const verify = (nowMs: number) =>
      verifyPresignedUrl(url, {
        secretAccessKey: credentials.secretAccessKey,
        service: 'execute-api',
        region: 'us-east-1',
        nowMs,
      });
    expect(verify(signingDate.getTime() + 59_000).valid).toBe(true);
    expect(verify(signingDate.getTime() + 61_000).reason).toBe('expired');
    expect(verify(signingDate.getTime()).params.protocol).toBe('text');
  });

  it('keeps a local ws:// host with its port in the signature and needs the region there', async () => {
    // Act
    const url = await presignWebSocketUrl({
      endpoint: 'ws://127.0.0.1:40123/Prod',
      sessionId: 'local-session',
      credentials,
      region: 'us-east-1',
      signingDate,
    });

    // Assess
    expect(url.startsWith('ws://127.0.0.1:40123/Prod?')).toBe(true);
    expect(
      verifyPresignedUrl(url, {
        secretAccessKey: credentials.secretAccessKey,
        service: 'execute-api',
        region: 'us-east-1',
        nowMs: signingDate.getTime(),
      }).valid,
    ).toBe(true);
    await expect(
      presignWebSocketUrl({ endpoint: 'ws://127.0.0.1:40123/Prod', sessionId: 'local-session', credentials }),
    ).rejects.toThrow('region is required: it cannot be read from the host "127.0.0.1"');
  });

  it('refuses bad endpoints, session ids and credentials with the bad value in the message', async () => {
    const base = { sessionId: 'session-1', credentials, region: 'us-east-1' };
    await expect(presignWebSocketUrl({ ...base, endpoint: 'https://x.example/Prod' })).rejects.toThrow(
      'endpoint must start with wss:// (or ws:// for a local stack), got "https://x.example/Prod"',
    );
    await expect(presignWebSocketUrl({ ...base, endpoint: 'wss://x.example' })).rejects.toThrow(
      'endpoint must name the stage',
    );
    await expect(presignWebSocketUrl({ ...base, endpoint: 'not a url' })).rejects.toMatchObject({
      code: 'BAD_ENDPOINT',
    });
    await expect(
      presignWebSocketUrl({ ...base, endpoint: 'wss://x.example/Prod', sessionId: 'a b' }),
    ).rejects.toThrow('sessionId must be 2-100 characters of [0-9a-zA-Z._:-], got "a b"');
    await expect(
      presignWebSocketUrl({
        ...base,
        endpoint: 'wss://x.example/Prod',
        credentials: { accessKeyId: '', secretAccessKey: '' },
      }),
    ).rejects.toMatchObject({ code: 'MISSING_CREDENTIALS' });
  });
});

describe('endpoint parsing', () => {
  it('reads the stage and the region of an execute-api host', () => {
    expect(
      parseStreamingEndpoint('wss://a1b2c3.execute-api.ap-southeast-2.amazonaws.com/Prod'),
    ).toMatchObject({
      stage: 'Prod',
      region: 'ap-southeast-2',
      path: '/Prod',
    });
    expect(regionFromHost('a1b2c3.execute-api.cn-north-1.amazonaws.com.cn')).toBe('cn-north-1');
    expect(regionFromHost('chat.example.com')).toBeUndefined();
  });
});
