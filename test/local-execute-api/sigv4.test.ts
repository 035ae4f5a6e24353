import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { SignatureV4 } from '@smithy/signature-v4';
import {
  CredentialStore,
  DEV_CREDENTIALS,
  devIdentity,
  type LocalIdentity,
} from '../../cli/local-stack/credentials';
import {
  hostWithoutPort,
  SignatureError,
  type SignedRequestInput,
  signedRequestInput,
  verifyPresignedRequest,
  verifySignedRequest,
} from '../../cli/local-stack/sigv4';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const REGION = 'us-east-1';
const SIGNING_TIME = Date.UTC(2024, 4, 1, 12, 0, 0);
const HOST = '127.0.0.1:4510';

function temporaryIdentity(overrides: Partial<LocalIdentity> = {}): LocalIdentity {
  return {
    accessKeyId: 'ASIATEMPORARY0000001',
    secretAccessKey: 'temporary-secret',
    sessionToken: 'session-token-of-the-visitor',
    expiresAt: SIGNING_TIME + 3600_000,
    cognitoIdentityId: 'us-east-1:11111111-2222-3333-4444-555555555555',
    userArn: 'arn:aws:sts::000000000000:assumed-role/Unauth/CognitoIdentityCredentials',
    caller: 'AROAEXAMPLE:CognitoIdentityCredentials',
    accountId: '000000000000',
    ...overrides,
  };
}

async function presign(options: {
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  region?: string;
  service?: string;
  signingTime?: number;
  expiresIn?: number;
  query?: Record<string, string>;
  /** The `host` header value the signature covers. @default HOST (with the port) */
  signedHost?: string;
}): Promise<SignedRequestInput> {
  const signer = new SignatureV4({
    credentials: options.credentials ?? { ...DEV_CREDENTIALS },
    region: options.region ?? REGION,
    service: options.service ?? 'execute-api',
    sha256: Sha256,
  });
  const signed = await signer.presign(
    {
      method: 'GET',
      protocol: 'wss:',
      hostname: '127.0.0.1',
      port: 4510,
      path: '/Prod',
      headers: { host: options.signedHost ?? HOST },
      query: options.query ?? { sessionId: 'session-1', protocol: 'json' },
    },
    { signingDate: new Date(options.signingTime ?? SIGNING_TIME), expiresIn: options.expiresIn ?? 300 },
  );
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(signed.query ?? {})) {
    for (const item of Array.isArray(value) ? value : [value]) if (item !== null) query.append(key, item);
  }
  // What arrives on the wire: the ws client sends the query URL-encoded; the server decodes it.
  return {
    method: 'GET',
    host: HOST,
    path: '/Prod',
    query: new URLSearchParams(query.toString()),
    headers: { host: HOST, 'user-agent': 'test' },
  };
}

function options(store = new CredentialStore(), now = SIGNING_TIME + 1000) {
  return { credentials: store, service: 'execute-api', region: REGION, now: () => now };
}

async function rejection(promise: Promise<unknown>): Promise<SignatureError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof SignatureError) return error;
    throw error;
  }
  throw new Error('expected the request to be rejected');
}

describe('verifyPresignedRequest', () => {
  it('accepts a URL presigned by @smithy/signature-v4 and returns the identity', async () => {
    // Prepare
    const input = await presign({});

    // Act
    const identity = await verifyPresignedRequest(input, options());

    // Assess
    expect(identity.accessKeyId).toBe(DEV_CREDENTIALS.accessKeyId);
    expect(identity.userArn).toBe(devIdentity().userArn);
  });

  it('accepts temporary credentials with their session token', async () => {
    const identity = temporaryIdentity();
    const input = await presign({ credentials: identity });

    const verified = await verifyPresignedRequest(input, options(new CredentialStore([identity])));

    expect(verified.cognitoIdentityId).toBe(identity.cognitoIdentityId);
  });

  it('accepts query values that need encoding (spaces, unicode, reserved characters)', async () => {
    const input = await presign({ query: { sessionId: 'a b+c/d=é~*', 'weird key!': "'()" } });

    await expect(verifyPresignedRequest(input, options())).resolves.toBeDefined();
  });

  it.each([
    [
      'a tampered query value',
      'SignatureDoesNotMatch',
      (input: SignedRequestInput) => input.query.set('sessionId', 'someone-else'),
    ],
    [
      'an added query parameter',
      'SignatureDoesNotMatch',
      (input: SignedRequestInput) => input.query.append('protocol', 'text'),
    ],
    [
      'a different path',
      'SignatureDoesNotMatch',
      (input: SignedRequestInput) => {
        input.path = '/Dev';
      },
    ],
    [
      'a different host',
      'SignatureDoesNotMatch',
      (input: SignedRequestInput) => {
        input.headers.host = '127.0.0.1:4511';
      },
    ],
    [
      'a forged signature',
      'SignatureDoesNotMatch',
      (input: SignedRequestInput) => input.query.set('X-Amz-Signature', '0'.repeat(64)),
    ],
    [
      'a longer expiry than signed',
      'SignatureDoesNotMatch',
      (input: SignedRequestInput) => input.query.set('X-Amz-Expires', '600'),
    ],
    [
      'no signed host',
      'IncompleteSignature',
      (input: SignedRequestInput) => input.query.set('X-Amz-SignedHeaders', 'x-amz-date'),
    ],
    [
      'a missing signature',
      'IncompleteSignature',
      (input: SignedRequestInput) => input.query.delete('X-Amz-Signature'),
    ],
    [
      'an expiry over 7 days',
      'IncompleteSignature',
      (input: SignedRequestInput) => input.query.set('X-Amz-Expires', '604801'),
    ],
    [
      'a zero expiry',
      'IncompleteSignature',
      (input: SignedRequestInput) => input.query.set('X-Amz-Expires', '0'),
    ],
    [
      'a malformed date',
      'IncompleteSignature',
      (input: SignedRequestInput) => input.query.set('X-Amz-Date', '2024-05-01T12:00:00Z'),
    ],
    [
      'another algorithm',
      'IncompleteSignature',
      (input: SignedRequestInput) => input.query.set('X-Amz-Algorithm', 'AWS4-HMAC-SHA1'),
    ],
  ])('rejects %s with 403 %s', async (_name, code, tamper) => {
    // Prepare
    const input = await presign({});
    tamper(input);

    // Act
    const error = await rejection(verifyPresignedRequest(input, options()));

    // Assess
    expect(error.code).toBe(code);
    expect(error.statusCode).toBe(403);
  });

  it('rejects a wrong secret key', async () => {
    const input = await presign({
      credentials: { accessKeyId: DEV_CREDENTIALS.accessKeyId, secretAccessKey: 'guess' },
    });

    const error = await rejection(verifyPresignedRequest(input, options()));

    expect(error.code).toBe('SignatureDoesNotMatch');
  });

  it('rejects an unknown access key', async () => {
    const input = await presign({ credentials: { accessKeyId: 'AKIAUNKNOWN', secretAccessKey: 'x' } });

    const error = await rejection(verifyPresignedRequest(input, options()));

    expect(error.code).toBe('UnrecognizedClientException');
  });

  it.each([
    ['region', { region: 'eu-west-1' }],
    ['service', { service: 'lex' }],
  ])('rejects a signature scoped to the wrong %s', async (_name, scope) => {
    const input = await presign(scope);

    const error = await rejection(verifyPresignedRequest(input, options()));

    expect(error.code).toBe('InvalidSignatureException');
    expect(error.statusCode).toBe(403);
  });

  it('rejects the URL once X-Amz-Date + X-Amz-Expires has passed (no replay after expiry)', async () => {
    // Prepare
    const input = await presign({ expiresIn: 60 });
    await expect(
      verifyPresignedRequest(input, options(undefined, SIGNING_TIME + 59_000)),
    ).resolves.toBeDefined();

    // Act
    const error = await rejection(verifyPresignedRequest(input, options(undefined, SIGNING_TIME + 61_000)));

    // Assess
    expect(error.code).toBe('InvalidSignatureException');
    expect(error.message).toMatch(/Signature expired/);
  });

  it('rejects a URL dated further in the future than the allowed clock skew', async () => {
    const input = await presign({ signingTime: SIGNING_TIME + 301_000 });

    const error = await rejection(verifyPresignedRequest(input, options(undefined, SIGNING_TIME)));

    expect(error.message).toMatch(/not yet current/);
  });

  it('accepts a URL dated within the allowed clock skew', async () => {
    const input = await presign({ signingTime: SIGNING_TIME + 200_000 });

    await expect(verifyPresignedRequest(input, options(undefined, SIGNING_TIME))).resolves.toBeDefined();
  });

  it('rejects temporary credentials used without their session token', async () => {
    const identity = temporaryIdentity();
    const input = await presign({
      credentials: { accessKeyId: identity.accessKeyId, secretAccessKey: identity.secretAccessKey },
    });

    const error = await rejection(verifyPresignedRequest(input, options(new CredentialStore([identity]))));

    expect(error.code).toBe('UnrecognizedClientException');
  });

  it('rejects expired temporary credentials', async () => {
    const identity = temporaryIdentity({ expiresAt: SIGNING_TIME + 500 });
    const input = await presign({ credentials: identity });

    const error = await rejection(verifyPresignedRequest(input, options(new CredentialStore([identity]))));

    expect(error.code).toBe('ExpiredToken');
  });

  it('answers 401 MissingAuthenticationToken when there is no signature at all', async () => {
    const input: SignedRequestInput = {
      method: 'GET',
      host: HOST,
      path: '/Prod',
      query: new URLSearchParams({ sessionId: 'session-1' }),
      headers: { host: HOST },
    };

    const error = await rejection(verifyPresignedRequest(input, options()));

    expect(error).toMatchObject({ code: 'MissingAuthenticationToken', statusCode: 401 });
  });
});

describe('verifyPresignedRequest with acceptHostWithoutPort (Lex Web UI signs the hostname only)', () => {
  const lenient = (store = new CredentialStore()) => ({ ...options(store), acceptHostWithoutPort: true });

  it('accepts a signature over the hostname without the port', async () => {
    const input = await presign({ signedHost: '127.0.0.1' });

    await expect(verifyPresignedRequest(input, lenient())).resolves.toMatchObject({
      accessKeyId: DEV_CREDENTIALS.accessKeyId,
    });
  });

  it('still accepts a signature over the host with the port', async () => {
    const input = await presign({});

    await expect(verifyPresignedRequest(input, lenient())).resolves.toBeDefined();
  });

  it('refuses the port-less signature when the option is off (the default)', async () => {
    const input = await presign({ signedHost: '127.0.0.1' });

    const error = await rejection(verifyPresignedRequest(input, options()));

    expect(error.code).toBe('SignatureDoesNotMatch');
    expect(error.statusCode).toBe(403);
  });

  it.each([
    ['another hostname', 'localhost'],
    ['another hostname with the same port', 'localhost:4510'],
    ['another port', '127.0.0.1:4511'],
    ['another address', '127.0.0.2'],
  ])('refuses a signature over %s (%s)', async (_name, signedHost) => {
    const input = await presign({ signedHost });

    const error = await rejection(verifyPresignedRequest(input, lenient()));

    expect(error.code).toBe('SignatureDoesNotMatch');
    expect(error.statusCode).toBe(403);
  });

  it('forgives only the host: a tampered query is still refused', async () => {
    const input = await presign({ signedHost: '127.0.0.1' });
    input.query.set('sessionId', 'someone-else');

    const error = await rejection(verifyPresignedRequest(input, lenient()));

    expect(error.code).toBe('SignatureDoesNotMatch');
  });
});

describe('hostWithoutPort', () => {
  it.each([
    ['127.0.0.1:4510', '127.0.0.1'],
    ['localhost:80', 'localhost'],
    ['[::1]:4510', '[::1]'],
    ['abc.execute-api.us-east-1.amazonaws.com', 'abc.execute-api.us-east-1.amazonaws.com'],
    ['[::1]', '[::1]'],
    ['host:notaport', 'host:notaport'],
  ])('%s → %s', (host, expected) => {
    expect(hostWithoutPort(host)).toBe(expected);
  });
});

describe('verifySignedRequest', () => {
  it('matches the published AWS example (IAM ListUsers, 20150830T123600Z)', async () => {
    // Prepare: the worked example of the AWS "Create a signed AWS API request" documentation.
    const store = new CredentialStore([
      {
        accessKeyId: 'AKIDEXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
        userArn: 'arn:aws:iam::000000000000:user/example',
        caller: 'AKIDEXAMPLE',
        accountId: '000000000000',
      },
    ]);
    const input: SignedRequestInput = {
      method: 'GET',
      host: 'iam.amazonaws.com',
      path: '/',
      query: new URLSearchParams('Action=ListUsers&Version=2010-05-08'),
      headers: {
        host: 'iam.amazonaws.com',
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        'x-amz-date': '20150830T123600Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7',
      },
    };

    // Act
    const identity = await verifySignedRequest(input, {
      credentials: store,
      service: 'iam',
      region: 'us-east-1',
      now: () => Date.UTC(2015, 7, 30, 12, 36, 0),
    });

    // Assess
    expect(identity.accessKeyId).toBe('AKIDEXAMPLE');
  });

  describe('with requests sent by the real AWS SDK clients', () => {
    let server: Server;
    let endpoint: string;
    const store = new CredentialStore([devIdentity(), temporaryIdentity({ expiresAt: undefined })]);
    const outcomes: (LocalIdentity | SignatureError)[] = [];
    let service = 'dynamodb';

    beforeAll(async () => {
      server = createServer((request, response) => {
        const chunks: Buffer[] = [];
        request.on('data', (chunk: Buffer) => chunks.push(chunk));
        request.on('end', () => {
          verifySignedRequest(signedRequestInput(request, Buffer.concat(chunks)), {
            credentials: store,
            service,
            region: REGION,
          }).then(
            (identity) => {
              outcomes.push(identity);
              response.writeHead(200, { 'content-type': 'application/json' }).end('{"TableNames":[]}');
            },
            (error: SignatureError) => {
              outcomes.push(error);
              response
                .writeHead(error.statusCode, {
                  'x-amzn-errortype': error.code,
                  'content-type': 'application/json',
                })
                .end(JSON.stringify({ message: error.message }));
            },
          );
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });

    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    beforeEach(() => {
      outcomes.length = 0;
    });

    it('verifies a DynamoDB JSON request (body hashed)', async () => {
      service = 'dynamodb';
      const client = new DynamoDBClient({
        endpoint,
        region: REGION,
        credentials: { ...DEV_CREDENTIALS },
        maxAttempts: 1,
      });

      await client.send(new ListTablesCommand({ Limit: 5 }));
      client.destroy();

      expect(outcomes).toHaveLength(1);
      expect(outcomes[0]).toMatchObject({ accessKeyId: DEV_CREDENTIALS.accessKeyId });
    });

    it('verifies an @connections post with temporary credentials and an id that needs encoding', async () => {
      service = 'execute-api';
      const identity = temporaryIdentity();
      const client = new ApiGatewayManagementApiClient({
        endpoint: `${endpoint}/Prod`,
        region: REGION,
        credentials: {
          accessKeyId: identity.accessKeyId,
          secretAccessKey: identity.secretAccessKey,
          sessionToken: identity.sessionToken,
        },
        maxAttempts: 1,
      });

      await client.send(
        new PostToConnectionCommand({
          ConnectionId: 'L0SM9cOF+vH/cCIhw=',
          Data: new Uint8Array([0, 255, 1]),
        }),
      );
      client.destroy();

      expect(outcomes[0]).toMatchObject({ accessKeyId: identity.accessKeyId });
    });

    it('rejects an SDK request signed with the wrong secret', async () => {
      service = 'dynamodb';
      const client = new DynamoDBClient({
        endpoint,
        region: REGION,
        credentials: { accessKeyId: DEV_CREDENTIALS.accessKeyId, secretAccessKey: 'wrong' },
        maxAttempts: 1,
      });

      await expect(client.send(new ListTablesCommand({}))).rejects.toMatchObject({
        name: 'SignatureDoesNotMatch',
      });
      client.destroy();

      expect(outcomes[0]).toBeInstanceOf(SignatureError);
    });
  });

  it('rejects a header-signed request older than the clock skew', async () => {
    const signer = new SignatureV4({
      credentials: { ...DEV_CREDENTIALS },
      region: REGION,
      service: 'execute-api',
      sha256: Sha256,
    });
    const signed = await signer.sign(
      {
        method: 'GET',
        protocol: 'http:',
        hostname: '127.0.0.1',
        port: 4510,
        path: '/Prod/@connections/abc%3D',
        headers: { host: HOST },
      },
      { signingDate: new Date(SIGNING_TIME) },
    );
    const input: SignedRequestInput = {
      method: 'GET',
      host: HOST,
      path: signed.path,
      query: new URLSearchParams(),
      headers: signed.headers,
    };
    await expect(
      verifySignedRequest(input, options(undefined, SIGNING_TIME + 299_000)),
    ).resolves.toBeDefined();

    const error = await rejection(verifySignedRequest(input, options(undefined, SIGNING_TIME + 301_000)));

    expect(error.code).toBe('InvalidSignatureException');
  });

  it('rejects a body that differs from the signed one', async () => {
    const signer = new SignatureV4({
      credentials: { ...DEV_CREDENTIALS },
      region: REGION,
      service: 'execute-api',
      sha256: Sha256,
    });
    const signed = await signer.sign(
      {
        method: 'POST',
        protocol: 'http:',
        hostname: '127.0.0.1',
        path: '/Prod/@connections/abc',
        headers: { host: HOST },
        body: 'hello',
      },
      { signingDate: new Date(SIGNING_TIME) },
    );
    const input: SignedRequestInput = {
      method: 'POST',
      host: HOST,
      path: signed.path,
      query: new URLSearchParams(),
      headers: signed.headers,
      body: new TextEncoder().encode('hellO'),
    };

    const error = await rejection(verifySignedRequest(input, options()));

    expect(error.code).toBe('SignatureDoesNotMatch');
  });
});
