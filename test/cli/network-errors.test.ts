/**
 * What the CLI says when the network or the gateway stands in the way, as a user reads it on
 * stderr, with the exit code:
 *
 * - `ask` against the local stack and against places nothing answers: a host name that does not
 *   resolve and a closed port are "cannot reach" (check the endpoint), a signature for another
 *   region, an unknown secret or a clock 10 minutes behind are "refused the signature" (check the
 *   region, clock, credentials), a session id the connection Lambda refuses is "refused" with the
 *   Lambda's reason; a local stack without the ask route names `npm start -- --direct-ask`.
 * - `publish` and `doctor` with AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL_CLOUDFORMATION pointing at
 *   a host that does not resolve and at a closed port: what failed, and what to check; `publish` and
 *   `ask` with a profile whose role STS cannot be reached to assume.
 * - `publish` refuses a blank --prefix (exit 2).
 *
 * `publish` and `doctor` run as child processes (cli/bin.js): inside Jest's module sandbox, Node's
 * own network errors come from another realm, and the SDK wraps them into plain text, code lost.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ask } from '../../cli/ask';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { runCli } from '../../cli/main';
import { type CapturedIo, captureIo } from './capture-io';
import { type BinResult, runBin } from './run-bin';

/** The SDK reads credentials and endpoint variables from process.env; each run sets its own. */
const baseEnv: NodeJS.ProcessEnv = {
  AWS_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: undefined,
  AWS_PROFILE: undefined,
  AWS_REGION: 'us-east-1',
  AWS_ENDPOINT_URL: undefined,
  AWS_ENDPOINT_URL_S3: undefined,
  AWS_ENDPOINT_URL_CLOUDFORMATION: undefined,
  AWS_ENDPOINT_URL_DYNAMODB: undefined,
  AWS_EC2_METADATA_DISABLED: 'true',
};

async function run(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; io: CapturedIo }> {
  const saved = process.env;
  const merged = { ...saved, ...baseEnv, ...env };
  for (const [name, value] of Object.entries(merged)) if (value === undefined) delete merged[name];
  process.env = merged;
  const io = captureIo(merged);
  try {
    return { code: await runCli(argv, io), io };
  } finally {
    process.env = saved;
  }
}

/** The bin as a user runs it, with `env` over the base environment (undefined unsets). */
function runCommand(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<BinResult> {
  return runBin(argv, { ...baseEnv, ...env });
}

/** A port on 127.0.0.1 that nothing listens on (taken, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ask: why the socket did not open', () => {
  let stack: LocalStack;
  let endpoint: string;

  beforeAll(async () => {
    stack = await startLocalStack({ demo: false });
    endpoint = stack.endpoints.webSocketUrl;
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  test('a host name that does not resolve: cannot reach it, check the endpoint URL; exit 1', async () => {
    // Act
    const { code, io } = await run(['ask', '--endpoint', 'wss://nohost.invalid/Prod', 'What is QnABot?']);

    // Assess
    expect(code).toBe(1);
    expect(io.stderr()).toContain(
      'qna-streaming ask: could not connect to wss://nohost.invalid/Prod: cannot reach nohost.invalid (ENOTFOUND): check the endpoint URL, its region and the network\n' +
        'pass --endpoint with the StreamingWebSocketEndpoint output of the stack',
    );
    expect(io.stderr()).not.toMatch(/session id|Cognito|403/);
  });

  test('a local port nothing listens on: cannot reach it, is the local stack running; exit 1', async () => {
    // Prepare
    const port = await closedPort();

    // Act
    const { code, io } = await run(['ask', '--endpoint', `ws://127.0.0.1:${port}/Prod`, 'What is QnABot?']);

    // Assess
    expect(code).toBe(1);
    expect(io.stderr()).toContain(
      `cannot reach 127.0.0.1:${port} (ECONNREFUSED): check the endpoint URL, its region and the network`,
    );
    expect(io.stderr()).toContain('is the local stack running? `npm start` prints its endpoint');
    expect(io.stderr()).not.toMatch(/session id|Cognito|403/);
  });

  test('signed for another region: the gateway refused the signature, and says why; exit 1', async () => {
    // Act
    const { code, io } = await run([
      'ask',
      '--endpoint',
      endpoint,
      '--region',
      'eu-west-1',
      'What is QnABot?',
    ]);

    // Assess
    expect(code).toBe(1);
    expect(io.stderr()).toContain(
      "the gateway refused the signature (HTTP 403: InvalidSignatureException: Credential should be scoped to a valid region, not 'eu-west-1'. Expected 'us-east-1'.): check the region, the clock and the credentials",
    );
    expect(io.stderr()).toContain('sign with the dev credentials and the region `npm start` prints');
  });

  test('a secret the gateway does not know: the signature does not match; exit 1', async () => {
    // Act
    const { code, io } = await run(['ask', '--endpoint', endpoint, 'What is QnABot?'], {
      AWS_SECRET_ACCESS_KEY: 'not-the-secret',
    });

    // Assess
    expect(code).toBe(1);
    expect(io.stderr()).toContain(
      'the gateway refused the signature (HTTP 403: SignatureDoesNotMatch: The request signature we calculated does not match',
    );
  });

  test('a clock 10 minutes behind: the presigned URL has expired on arrival', async () => {
    // Prepare
    const io = captureIo({});
    const tenMinutesAgo = () => Date.now() - 10 * 60_000;

    // Act
    const attempt = ask({ endpoint, region: 'us-east-1', question: 'What is QnABot?' }, io, {
      credentials: async () => ({ ...DEV_CREDENTIALS }),
      now: tenMinutesAgo,
    });

    // Assess
    await expect(attempt).rejects.toThrow(
      /the gateway refused the signature \(HTTP 403: InvalidSignatureException: Signature expired: \d{8}T\d{6}Z is now earlier than/,
    );
  });

  test("a session id the connection Lambda refuses: refused, with the Lambda's reason; exit 1", async () => {
    // Prepare: IAM credentials may not take a session id shaped like a Cognito identity id.
    const cognitoShaped = 'us-east-1:11111111-2222-3333-4444-555555555555';

    // Act
    const { code, io } = await run([
      'ask',
      '--endpoint',
      endpoint,
      '--session-id',
      cognitoShaped,
      'What is QnABot?',
    ]);

    // Assess
    expect(code).toBe(1);
    expect(io.stderr()).toContain(
      'connection refused by the gateway (HTTP 403: a sessionId shaped like a Cognito identity id can only be used by that identity)\n' +
        'pass another --session-id (or none, for a new one) if another identity owns this one',
    );
    expect(io.stderr()).not.toContain('signature');
  });

  test('the local stack without the ask route: restart it with --direct-ask; exit 1', async () => {
    // Act
    const { code, io } = await run(['ask', '--endpoint', endpoint, 'What is QnABot?']);

    // Assess
    expect(code).toBe(1);
    expect(io.stderr()).toContain(
      'qna-streaming ask: this local stack has no direct-ask route: restart it with `npm start -- --direct-ask`, or ask through its demo page',
    );
    expect(io.stderr()).not.toContain('EnableDirectAsk');
  });
});

describe('publish and doctor: an AWS endpoint that cannot be reached', () => {
  let buildDir: string;
  let port: number;

  beforeAll(async () => {
    buildDir = mkdtempSync(path.join(os.tmpdir(), 'qna-streaming-network-'));
    port = await closedPort();
  });

  afterAll(() => {
    rmSync(buildDir, { recursive: true, force: true });
  });

  test('publish, S3 host that does not resolve: what failed and what to check, before packaging; exit 1', async () => {
    // Act
    const result = await runCommand(
      ['publish', '--bucket', 'my-artifacts', '--region', 'eu-west-1', '--build-dir', buildDir],
      { AWS_ENDPOINT_URL_S3: 'http://nohost.invalid' },
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'qna-streaming publish: reaching s3://my-artifacts/ failed: could not reach S3: the host name my-artifacts.nohost.invalid does not resolve. ' +
        'Check the endpoint: AWS_ENDPOINT_URL_S3=http://nohost.invalid sends the request there (unset it to reach AWS), the region (eu-west-1; --region sets it), and the network (and its proxy, if it needs one)\n',
    );
    expect(result.stdout).toBe('');
  });

  test('publish, nothing listening at AWS_ENDPOINT_URL: connection refused and what to check; exit 1', async () => {
    // Act
    const result = await runCommand(
      ['publish', '--bucket', 'my-artifacts', '--region', 'eu-west-1', '--build-dir', buildDir],
      { AWS_ENDPOINT_URL: `http://127.0.0.1:${port}` },
    );

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `could not reach S3: nothing listens at the endpoint (connect ECONNREFUSED 127.0.0.1:${port}). Check the endpoint: AWS_ENDPOINT_URL=http://127.0.0.1:${port} sends the request there`,
    );
    expect(result.stderr).not.toContain('packaging');
  });

  test('doctor, CloudFormation host that does not resolve: what failed and what to check; exit 1', async () => {
    // Act
    const result = await runCommand(['doctor', '--stack', 'my-bot', '--region', 'us-west-2'], {
      AWS_ENDPOINT_URL_CLOUDFORMATION: 'http://nohost.invalid',
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toBe(
      'qna-streaming doctor: reading stack my-bot failed: could not reach CloudFormation: the host name nohost.invalid does not resolve. ' +
        'Check the endpoint: AWS_ENDPOINT_URL_CLOUDFORMATION=http://nohost.invalid sends the request there (unset it to reach AWS), the region (us-west-2; --region sets it), and the network (and its proxy, if it needs one)\n',
    );
  });

  test('doctor, CloudFormation port closed: connection refused and what to check; exit 1', async () => {
    // Act
    const result = await runCommand(['doctor', '--stack', 'my-bot', '--region', 'us-west-2'], {
      AWS_ENDPOINT_URL_CLOUDFORMATION: `http://127.0.0.1:${port}`,
    });

    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `reading stack my-bot failed: could not reach CloudFormation: nothing listens at the endpoint (connect ECONNREFUSED 127.0.0.1:${port}). Check the endpoint: AWS_ENDPOINT_URL_CLOUDFORMATION=http://127.0.0.1:${port}`,
    );
  });

  test.each([
    ['publish', ['publish', '--bucket', 'my-artifacts']],
    [
      'ask',
      ['ask', '--endpoint', 'wss://abc123.execute-api.us-east-1.amazonaws.com/Prod', 'What is QnABot?'],
    ],
  ])(
    '%s, credentials of a role that STS cannot be reached to assume: says so, and what to check; exit 1',
    async (_name, argv) => {
      // Prepare: a profile that assumes a role; STS is sent to a host that does not resolve.
      writeFileSync(
        path.join(buildDir, 'config'),
        '[profile src]\naws_access_key_id = AKIASOURCE\naws_secret_access_key = source-secret\n' +
          '[profile deployer]\nrole_arn = arn:aws:iam::111122223333:role/deployer\nsource_profile = src\n',
      );
      writeFileSync(path.join(buildDir, 'credentials'), '');

      // Act
      const result = await runCommand(
        [...argv, ...(argv[0] === 'publish' ? ['--build-dir', buildDir] : [])],
        {
          AWS_ACCESS_KEY_ID: undefined,
          AWS_SECRET_ACCESS_KEY: undefined,
          AWS_PROFILE: 'deployer',
          AWS_CONFIG_FILE: path.join(buildDir, 'config'),
          AWS_SHARED_CREDENTIALS_FILE: path.join(buildDir, 'credentials'),
          AWS_ENDPOINT_URL_STS: 'http://nohost.invalid',
        },
      );

      // Assess
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `qna-streaming ${argv[0]}: could not load AWS credentials: the host name nohost.invalid does not resolve. ` +
          "The profile's credentials come over the network (SSO, an assumed role, instance metadata): check the network (and its proxy, if it needs one) and the profile's region and sso_region\n",
      );
    },
  );

  test.each([
    ['--prefix', '  '],
    ['--prefix', '/'],
    ['--prefix', ' / '],
  ])('publish %s "%s" is a usage error naming the flag, exit 2, nothing sent', async (flag, value) => {
    // Prepare: S3 cannot be reached, so any request would end with exit 1 instead.
    const argv = ['publish', '--bucket', 'my-artifacts', '--build-dir', buildDir, flag, value];

    // Act
    const { code, io } = await run(argv, { AWS_ENDPOINT_URL_S3: 'http://nohost.invalid' });

    // Assess
    expect(code).toBe(2);
    expect(io.stderr()).toContain(
      `qna-streaming publish: --prefix must not be blank (got "${value}"): give the key prefix in the bucket, e.g. --prefix qna-streaming, or leave --prefix out for that default`,
    );
    expect(io.stderr()).toContain('Usage: qna-streaming publish');
  });

  test('publish --prefix= (no value at all) is a usage error too, exit 2', async () => {
    // Act
    const { code, io } = await run(['publish', '--bucket', 'my-artifacts', '--prefix='], {
      AWS_ENDPOINT_URL_S3: 'http://nohost.invalid',
    });

    // Assess
    expect(code).toBe(2);
    expect(io.stderr()).toContain('qna-streaming publish: --prefix needs a value');
  });
});
