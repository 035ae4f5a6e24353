/**
 * `publish`: real packaging into a temporary build dir, S3 faked with aws-sdk-client-mock (there is
 * no local S3 double). Checks what lands where, the printed TemplateURL and parameters, and the
 * errors for a missing bucket and missing credentials.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { NoSuchBucket, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { type PackageResult, packageArtifacts } from '../../cli/build-artifacts';
import { CliError, UsageError } from '../../cli/errors';
import { runCli } from '../../cli/main';
import { publish } from '../../cli/publish';
import { captureIo } from './capture-io';

const s3Mock = mockClient(S3Client);
const buildDir = mkdtempSync(path.join(os.tmpdir(), 'qna-streaming-publish-'));
const credentials = { accessKeyId: 'AKIATEST', secretAccessKey: 'test-secret' };
let packaged: PackageResult;
// Packaging is real but slow (esbuild + zips); later tests reuse the first result.
const packageOnce = async () => packaged;

beforeAll(async () => {
  packaged = await packageArtifacts({ buildDir });
}, 120_000);

afterAll(() => {
  rmSync(buildDir, { recursive: true, force: true });
  s3Mock.restore();
});

beforeEach(() => s3Mock.reset());

test('uploads build/publish under the prefix, zips before templates, and prints how to deploy', async () => {
  // Prepare
  s3Mock.on(PutObjectCommand).resolves({});
  const io = captureIo();
  const s3 = new S3Client({ region: 'eu-west-1', credentials });

  // Act
  const result = await publish({ bucket: 'my-artifacts', prefix: '/bots/streaming/', buildDir }, { s3 }, io);

  // Assess
  const puts = s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);
  expect(puts.map((input) => input.Key).sort()).toEqual(
    packaged.publishedKeys.map((key) => `bots/streaming/${key}`).sort(),
  );
  expect(puts.every((input) => input.Bucket === 'my-artifacts')).toBe(true);
  const firstTemplate = puts.findIndex((input) => input.Key?.endsWith('.json'));
  expect(puts.slice(firstTemplate).every((input) => input.Key?.endsWith('.json'))).toBe(true);
  const streaming = puts.find((input) => input.Key === 'bots/streaming/templates/streaming.json');
  expect(streaming?.ContentType).toBe('application/json');
  expect(Buffer.from(streaming?.Body as Uint8Array).toString('utf8')).toBe(
    readFileSync(path.join(packaged.publishDir, 'templates', 'streaming.json'), 'utf8'),
  );
  expect(result.templateUrl).toBe(
    'https://my-artifacts.s3.eu-west-1.amazonaws.com/bots/streaming/templates/streaming.json',
  );
  expect(io.stdout()).toContain(`TemplateURL: ${result.templateUrl}`);
  expect(io.stdout()).toContain('BootstrapBucket=my-artifacts');
  expect(io.stdout()).toContain('BootstrapPrefix=bots/streaming');
  expect(io.stderr()).toMatch(
    new RegExp(`\\[${puts.length}/${puts.length}\\] s3://my-artifacts/bots/streaming/`),
  );
}, 120_000);

test('a bucket that does not exist: says so and how to create it, nothing more is uploaded', async () => {
  // Prepare
  s3Mock
    .on(PutObjectCommand)
    .rejects(new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: {} }));
  const s3 = new S3Client({ region: 'us-east-1', credentials });

  // Act
  const attempt = publish(
    { bucket: 'no-such-bucket-here' },
    { s3, packageArtifacts: packageOnce },
    captureIo(),
  );

  // Assess
  await expect(attempt).rejects.toThrow(CliError);
  await expect(attempt).rejects.toThrow(
    'bucket "no-such-bucket-here" does not exist: create it (aws s3 mb s3://no-such-bucket-here --region us-east-1)',
  );
  expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(1);
});

test('no credentials anywhere: says how to provide them before packaging or uploading', async () => {
  // Prepare
  const s3 = new S3Client({
    region: 'us-east-1',
    credentials: async () => {
      throw Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      });
    },
  });
  let packagedCalls = 0;

  // Act
  const attempt = publish(
    { bucket: 'my-artifacts' },
    {
      s3,
      packageArtifacts: async () => {
        packagedCalls += 1;
        return packaged;
      },
    },
    captureIo(),
  );

  // Assess
  await expect(attempt).rejects.toThrow(/no AWS credentials found: set AWS_PROFILE/);
  expect(packagedCalls).toBe(0);
  expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
});

test('the default prefix is qna-streaming; a malformed bucket name is a usage error', async () => {
  // Prepare
  s3Mock.on(PutObjectCommand).resolves({});
  const s3 = new S3Client({ region: 'us-east-1', credentials });

  // Act
  const result = await publish(
    { bucket: 'my-artifacts' },
    { s3, packageArtifacts: packageOnce },
    captureIo(),
  );
  const bad = publish({ bucket: 'My_Bucket' }, { s3, packageArtifacts: packageOnce }, captureIo());

  // Assess
  expect(result.prefix).toBe('qna-streaming');
  expect(result.uploadedKeys).toContain('qna-streaming/templates/streaming.json');
  await expect(bad).rejects.toThrow(UsageError);
});

test('the publish command reports a missing bucket with exit code 1', async () => {
  // Prepare: the command builds its own S3 client; the mock answers every instance.
  s3Mock
    .on(PutObjectCommand)
    .rejects(new NoSuchBucket({ message: 'The specified bucket does not exist', $metadata: {} }));
  const io = captureIo();
  const env = { AWS_ACCESS_KEY_ID: 'AKIATEST', AWS_SECRET_ACCESS_KEY: 'test-secret' };
  const saved = { ...process.env };
  Object.assign(process.env, env);

  // Act
  let code: number;
  try {
    code = await runCli(
      ['publish', '--bucket', 'gone-bucket', '--region', 'us-east-1', '--build-dir', buildDir],
      io,
    );
  } finally {
    process.env = saved;
  }

  // Assess
  expect(code).toBe(1);
  expect(io.stderr()).toContain('qna-streaming publish: bucket "gone-bucket" does not exist');
}, 120_000);
