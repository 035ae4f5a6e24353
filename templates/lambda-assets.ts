/**
 * The registry of Lambda entry points and how each becomes a deployable zip.
 *
 * A Lambda's S3 key is `lambda/<name>-<first 12 hex of sha256(index.js)>.zip`, so a changed bundle
 * gets a new key and CloudFormation updates the function, while an unchanged one keeps its key.
 * The templates and the package script both derive keys from this module, so they always agree.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { ZipFile } from 'yazl';
import { QnaStreamingError } from '../functions/protocol/errors';

/** One Lambda entry point. */
export interface LambdaAsset {
  /** Short name; part of the S3 key and the zip file name. */
  readonly name: string;
  /** Entry file relative to the repository root; must export `handler`. */
  readonly entry: string;
  /**
   * When true and the entry file does not exist yet, the asset is skipped with a message instead
   * of failing the build. @default false
   */
  readonly optional?: boolean;
}

/** Every Lambda the templates deploy. Adding one is one line here. */
export const LAMBDA_ASSETS: readonly LambdaAsset[] = [
  { name: 'connection', entry: 'functions/connection/handler.ts' },
  { name: 'fulfillment', entry: 'functions/fulfillment/handler.ts', optional: true },
  { name: 'qnabot-hook', entry: 'functions/qnabot-hook/handler.ts' },
  { name: 'ask', entry: 'functions/ask/handler.ts' },
];

/** The repository root (this file lives in templates/). */
export const REPO_ROOT = path.resolve(__dirname, '..');

/** Prefix-relative folder of Lambda zips in the bootstrap bucket (and under build/publish/). */
export const LAMBDA_KEY_PREFIX = 'lambda';

/** Entry files are bundled for the Lambda runtime the templates use. */
export const LAMBDA_NODE_TARGET = 'node22';

/** A fixed, timezone-independent zip entry time, so the same bundle always gives the same zip. */
const ZIP_ENTRY_TIME = new Date(1980, 0, 2, 0, 0, 0);

/** Building or zipping a Lambda asset failed. */
export class LambdaAssetError extends QnaStreamingError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'LambdaAssetError';
  }
}

/** A bundled Lambda: the code, its hash and its S3 key. */
export interface LambdaBundle {
  readonly asset: LambdaAsset;
  /** The single-file CommonJS bundle, deployed as `index.js` (handler `index.handler`). */
  readonly code: Buffer;
  /** Hex sha256 of `code`. */
  readonly sha256: string;
  /** Prefix-relative S3 key, `lambda/<name>-<12 hex>.zip`. */
  readonly key: string;
}

export interface BundleOptions {
  /** Directory the asset entries are relative to. @default REPO_ROOT */
  readonly rootDir?: string;
}

export function findLambdaAsset(name: string, assets: readonly LambdaAsset[] = LAMBDA_ASSETS): LambdaAsset {
  const asset = assets.find((candidate) => candidate.name === name);
  if (!asset) {
    const known = assets.map((candidate) => candidate.name).join(', ');
    throw new LambdaAssetError(`Unknown Lambda asset "${name}"; known assets: ${known}`);
  }
  return asset;
}

/** The S3 key of a bundle: `lambda/<name>-<first 12 hex of sha256>.zip`. */
export function lambdaAssetKey(name: string, code: Uint8Array): string {
  const digest = createHash('sha256').update(code).digest('hex');
  return `${LAMBDA_KEY_PREFIX}/${name}-${digest.slice(0, 12)}.zip`;
}

/** Whether the asset's entry file exists under `rootDir`. */
export function lambdaAssetExists(asset: LambdaAsset, options: BundleOptions = {}): boolean {
  return existsSync(path.resolve(options.rootDir ?? REPO_ROOT, asset.entry));
}

/**
 * Bundles one entry into a single minified CommonJS file for Node 22. The output depends only on
 * the sources (paths are relative to `rootDir`, no source map, no timestamps), so its hash is stable.
 * The AWS SDK is bundled too: the code runs against the SDK version it was tested with, not
 * whatever version the Lambda runtime happens to ship. Synchronous, so templates can be synthesized
 * synchronously; `bundleLambda` is the same as a promise.
 */
export function bundleLambdaSync(asset: LambdaAsset, options: BundleOptions = {}): LambdaBundle {
  const rootDir = options.rootDir ?? REPO_ROOT;
  const entry = path.resolve(rootDir, asset.entry);
  if (!existsSync(entry)) {
    throw new LambdaAssetError(`Lambda asset "${asset.name}": entry file ${asset.entry} does not exist`);
  }
  try {
    const result = buildSync({
      entryPoints: [entry],
      absWorkingDir: rootDir,
      bundle: true,
      platform: 'node',
      target: LAMBDA_NODE_TARGET,
      format: 'cjs',
      minify: true,
      sourcemap: false,
      legalComments: 'none',
      write: false,
      logLevel: 'silent',
      outfile: 'index.js',
    });
    const output = result.outputFiles.find((file) => file.path.endsWith('index.js'));
    if (!output) throw new LambdaAssetError(`Lambda asset "${asset.name}": esbuild produced no index.js`);
    const code = Buffer.from(output.contents);
    return {
      asset,
      code,
      sha256: createHash('sha256').update(code).digest('hex'),
      key: lambdaAssetKey(asset.name, code),
    };
  } catch (error) {
    if (error instanceof LambdaAssetError) throw error;
    throw new LambdaAssetError(`Lambda asset "${asset.name}": bundling ${asset.entry} failed`, {
      cause: error,
    });
  }
}

export async function bundleLambda(asset: LambdaAsset, options: BundleOptions = {}): Promise<LambdaBundle> {
  return bundleLambdaSync(asset, options);
}

/**
 * Zips a bundle as `index.js` with a fixed timestamp and mode, so the same code always yields the
 * same bytes.
 */
export function zipBundle(code: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const zip = new ZipFile();
    zip.addBuffer(Buffer.from(code), 'index.js', {
      mtime: ZIP_ENTRY_TIME,
      mode: 0o100644,
      compress: true,
      compressionLevel: 9,
      forceDosTimestamp: true,
    });
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('error', (error: unknown) =>
      reject(new LambdaAssetError('Zipping a Lambda bundle failed', { cause: error })),
    );
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.end();
  });
}

/** An optional asset whose entry file does not exist yet. */
export interface SkippedLambdaAsset {
  readonly asset: LambdaAsset;
  readonly reason: string;
}

export interface BundleAllResult {
  readonly bundles: readonly LambdaBundle[];
  readonly skipped: readonly SkippedLambdaAsset[];
}

/**
 * Bundles every registered asset. Optional assets without an entry file are skipped (with a
 * reason); a missing required one is an error.
 */
export function bundleAllLambdasSync(
  options: BundleOptions & { readonly assets?: readonly LambdaAsset[] } = {},
): BundleAllResult {
  const bundles: LambdaBundle[] = [];
  const skipped: SkippedLambdaAsset[] = [];
  for (const asset of options.assets ?? LAMBDA_ASSETS) {
    if (asset.optional && !lambdaAssetExists(asset, options)) {
      skipped.push({
        asset,
        reason: `optional Lambda asset "${asset.name}" skipped: ${asset.entry} does not exist yet`,
      });
      continue;
    }
    bundles.push(bundleLambdaSync(asset, options));
  }
  return { bundles, skipped };
}

export async function bundleAllLambdas(
  options: BundleOptions & { readonly assets?: readonly LambdaAsset[] } = {},
): Promise<BundleAllResult> {
  return bundleAllLambdasSync(options);
}

/** Asset name → prefix-relative S3 key, as the templates reference them. */
export type LambdaAssetKeys = Readonly<Record<string, string>>;

/**
 * The S3 key of every registered asset. A skipped optional asset gets the placeholder key
 * `lambda/<name>-not-built.zip` so the templates still synthesize; package never uploads it, so a
 * stack that uses it fails loudly at deploy time instead of running stale code.
 */
export function lambdaAssetKeys(result: BundleAllResult): LambdaAssetKeys {
  const keys: Record<string, string> = {};
  for (const bundle of result.bundles) keys[bundle.asset.name] = bundle.key;
  for (const { asset } of result.skipped) keys[asset.name] = notBuiltKey(asset.name);
  return keys;
}

export function notBuiltKey(name: string): string {
  return `${LAMBDA_KEY_PREFIX}/${name}-not-built.zip`;
}
