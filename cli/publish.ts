/**
 * `publish`: packages the artifacts and uploads build/publish/ to s3://BUCKET/PREFIX/, then prints
 * the TemplateURL of the streaming template and the parameter values to deploy it with.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { HeadBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { STREAMING_PARAMETERS, STREAMING_TEMPLATE_KEY } from '../templates/streaming-stack';
import { type PackageResult, packageArtifacts } from './build-artifacts';
import { displayPath } from './build-commands';
import { type Command, stringFlag } from './command';
import {
  CliError,
  credentialsUnreachable,
  EXIT,
  errorName,
  isMissingCredentials,
  MISSING_CREDENTIALS_HELP,
  networkErrorCode,
  networkFailure,
  UsageError,
} from './errors';
import { type CliIo, line, note } from './io';

/** Prefix used when `--prefix` is not given. */
export const DEFAULT_PREFIX = 'qna-streaming';

const BUCKET_NAME = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;

export interface PublishOptions {
  readonly bucket: string;
  /** Key prefix without leading or trailing slash. @default DEFAULT_PREFIX */
  readonly prefix?: string;
  /** @default build/ of the repository */
  readonly buildDir?: string;
}

export interface PublishDeps {
  /** Its configured region is the bucket's region (and the TemplateURL's). */
  readonly s3: S3Client;
  /** @default packageArtifacts */
  readonly packageArtifacts?: (options: { buildDir?: string }) => Promise<PackageResult>;
}

export interface PublishResult {
  readonly bucket: string;
  readonly prefix: string;
  readonly region: string;
  /** Full S3 keys uploaded, in upload order. */
  readonly uploadedKeys: readonly string[];
  /** https URL of templates/streaming.json, for `aws cloudformation create-stack --template-url`. */
  readonly templateUrl: string;
}

/** Validates and normalises a prefix: surrounding blanks and slashes dropped, never empty. */
export function normalisePrefix(prefix: string | undefined): string {
  const trimmed = (prefix ?? DEFAULT_PREFIX).trim().replace(/^\/+|\/+$/g, '');
  if (trimmed === '') {
    throw new UsageError(
      `--prefix must not be blank (got "${prefix}"): give the key prefix in the bucket, e.g. --prefix ${DEFAULT_PREFIX}, or leave --prefix out for that default; BootstrapPrefix needs a value`,
    );
  }
  return trimmed;
}

export function templateUrl(bucket: string, region: string, prefix: string): string {
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://${bucket}.s3.${region}.${suffix}/${prefix}/${STREAMING_TEMPLATE_KEY}`;
}

function contentType(key: string): string {
  if (key.endsWith('.json')) return 'application/json';
  if (key.endsWith('.zip')) return 'application/zip';
  return 'application/octet-stream';
}

function formatBytes(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

/** Turns the S3 failures admins hit into what to do about them; anything else keeps its cause. */
function uploadError(error: unknown, bucket: string, prefix: string, region: string, io: CliIo): CliError {
  if (isMissingCredentials(error)) return new CliError(MISSING_CREDENTIALS_HELP, { cause: error });
  if (networkErrorCode(error)) {
    return networkFailure(error, {
      doing: `uploading to s3://${bucket}/${prefix}/`,
      service: 'S3',
      region,
      env: io.env,
    });
  }
  switch (errorName(error)) {
    case 'NoSuchBucket':
      return new CliError(
        `bucket "${bucket}" does not exist: create it (aws s3 mb s3://${bucket} --region ${region}) or pass --bucket with an existing bucket`,
        { cause: error },
      );
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
    case 'IllegalLocationConstraintException':
      return new CliError(
        `bucket "${bucket}" is not in ${region}: pass --region with the bucket's region (aws s3api get-bucket-location --bucket ${bucket})`,
        { cause: error },
      );
    case 'AccessDenied':
      return new CliError(
        `access denied writing s3://${bucket}/${prefix}/: the credentials need s3:PutObject on arn:aws:s3:::${bucket}/${prefix}/*`,
        { cause: error },
      );
    default: {
      const detail = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      return new CliError(`upload to s3://${bucket}/${prefix}/ failed: ${detail}`, { cause: error });
    }
  }
}

export async function publish(options: PublishOptions, deps: PublishDeps, io: CliIo): Promise<PublishResult> {
  const { bucket } = options;
  if (!BUCKET_NAME.test(bucket)) {
    throw new UsageError(`--bucket must be an S3 bucket name (3-63 of a-z 0-9 . -), got "${bucket}"`);
  }
  const prefix = normalisePrefix(options.prefix);

  // Fail before the slow packaging when nothing could be uploaded anyway.
  let region: string;
  try {
    region = await deps.s3.config.region();
  } catch (error) {
    throw new CliError('no AWS region: pass --region (the bucket’s region) or set AWS_REGION', {
      cause: error,
    });
  }
  try {
    await deps.s3.config.credentials();
  } catch (error) {
    if (networkErrorCode(error)) throw credentialsUnreachable(error);
    throw new CliError(MISSING_CREDENTIALS_HELP, { cause: error });
  }
  // One cheap request before the slow packaging: an S3 that cannot be reached stops here. Any
  // answer at all (404, 403 without s3:ListBucket, a redirect) is left to the upload, which names it.
  try {
    await deps.s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if (networkErrorCode(error)) {
      throw networkFailure(error, { doing: `reaching s3://${bucket}/`, service: 'S3', region, env: io.env });
    }
  }

  note(io, 'packaging (templates and Lambda zips) …');
  const pack = deps.packageArtifacts ?? packageArtifacts;
  const packaged = await pack(options.buildDir ? { buildDir: options.buildDir } : {});
  for (const message of packaged.notes) note(io, `note: ${message}`);

  const uploadedKeys: string[] = [];
  const total = packaged.publishedKeys.length;
  // Lambda zips first, templates last: a template never points at a zip that is not there yet.
  const ordered = [...packaged.publishedKeys].sort(
    (a, b) => Number(a.endsWith('.json')) - Number(b.endsWith('.json')) || a.localeCompare(b),
  );
  for (const [index, relativeKey] of ordered.entries()) {
    const file = path.join(packaged.publishDir, ...relativeKey.split('/'));
    const body = readFileSync(file);
    const key = `${prefix}/${relativeKey}`;
    try {
      await deps.s3.send(
        new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: contentType(key) }),
      );
    } catch (error) {
      throw uploadError(error, bucket, prefix, region, io);
    }
    uploadedKeys.push(key);
    note(io, `[${index + 1}/${total}] s3://${bucket}/${key} (${formatBytes(body.byteLength)})`);
  }

  const url = templateUrl(bucket, region, prefix);
  const p = STREAMING_PARAMETERS;
  line(io, `uploaded ${total} files from ${displayPath(packaged.publishDir)}/ to s3://${bucket}/${prefix}/`);
  line(io, '');
  line(io, `TemplateURL: ${url}`);
  line(io, 'Parameters:');
  line(io, `  ${p.bootstrapBucket}=${bucket}`);
  line(io, `  ${p.bootstrapPrefix}=${prefix}`);
  line(io, '');
  line(io, 'deploy the streaming stack on its own:');
  line(
    io,
    `  aws cloudformation create-stack --region ${region} --stack-name qna-streaming --capabilities CAPABILITY_IAM --template-url ${url} --parameters ParameterKey=${p.bootstrapBucket},ParameterValue=${bucket} ParameterKey=${p.bootstrapPrefix},ParameterValue=${prefix}`,
  );
  line(io, `or set ${p.bootstrapBucket}/${p.bootstrapPrefix} of your bot's parent stack to these values.`);
  return { bucket, prefix, region, uploadedKeys, templateUrl: url };
}

export const publishCommand: Command = {
  name: 'publish',
  summary: 'Package and upload the templates and Lambda zips to S3; print the TemplateURL to deploy.',
  synopsis: 'publish --bucket BUCKET [--prefix PREFIX] [--region REGION] [--build-dir DIR]',
  flags: {
    bucket: { type: 'string', placeholder: 'BUCKET', description: 'S3 bucket to upload to', required: true },
    prefix: {
      type: 'string',
      placeholder: 'PREFIX',
      description: `key prefix in the bucket (default: ${DEFAULT_PREFIX}); becomes BootstrapPrefix`,
    },
    region: {
      type: 'string',
      placeholder: 'REGION',
      description: "the bucket's region (default: AWS_REGION or your profile's region)",
    },
    'build-dir': {
      type: 'string',
      placeholder: 'DIR',
      description: 'where to package (default: build/ of the repository)',
    },
  },
  details:
    'Credentials come from the AWS SDK default chain (environment, AWS_PROFILE, SSO, instance role).\nThe bucket must exist and be in the given region; CloudFormation reads the template from it.',
  async run(args, io) {
    const region = stringFlag(args, 'region') ?? io.env.AWS_REGION ?? io.env.AWS_DEFAULT_REGION;
    const s3 = new S3Client(region ? { region } : {});
    try {
      const buildDir = stringFlag(args, 'build-dir');
      await publish(
        {
          bucket: stringFlag(args, 'bucket') ?? '',
          prefix: stringFlag(args, 'prefix') ?? DEFAULT_PREFIX,
          ...(buildDir ? { buildDir: path.resolve(buildDir) } : {}),
        },
        { s3 },
        io,
      );
    } finally {
      s3.destroy();
    }
    return EXIT.ok;
  },
};
