/**
 * What `npm run synth` and `npm run package` write. The publish folder mirrors the bucket layout
 * under `BootstrapPrefix`, so uploading is one command:
 * `aws s3 sync build/publish s3://<BootstrapBucket>/<BootstrapPrefix>/`.
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  type BundleAllResult,
  bundleAllLambdasSync,
  lambdaAssetKeys,
  REPO_ROOT,
  zipBundle,
} from '../templates/lambda-assets';
import { type SynthesizedTemplates, synthTemplates, TEMPLATE_FILES } from '../templates/synth-templates';

/** Prefix-relative folder of the templates in the bucket (and under build/publish/). */
export const TEMPLATE_KEY_PREFIX = 'templates';

export interface BuildDirOptions {
  /** @default <repo>/build */
  readonly buildDir?: string;
}

export interface WrittenFile {
  /** Absolute path of the file. */
  readonly path: string;
  readonly bytes: number;
}

export interface WriteTemplatesResult {
  readonly templates: SynthesizedTemplates;
  readonly files: readonly WrittenFile[];
  /** Messages about optional Lambdas not built (their templates reference a placeholder key). */
  readonly notes: readonly string[];
}

function defaultBuildDir(options: BuildDirOptions): string {
  return options.buildDir ?? path.join(REPO_ROOT, 'build');
}

function writeFile(filePath: string, content: string | Uint8Array): WrittenFile {
  mkdirSync(path.dirname(filePath), { recursive: true });
  writeFileSync(filePath, content);
  return {
    path: filePath,
    bytes: typeof content === 'string' ? Buffer.byteLength(content) : content.byteLength,
  };
}

function templateFiles(templates: SynthesizedTemplates): [string, string][] {
  const json = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;
  return [
    [TEMPLATE_FILES.streaming, json(templates.streaming)],
    [TEMPLATE_FILES.parentExample, json(templates.parentExample)],
    [TEMPLATE_FILES.parentFragment, json(templates.parentFragment)],
  ];
}

function skippedNotes(bundles: BundleAllResult | undefined): string[] {
  return (bundles?.skipped ?? []).map(
    (skip) => `${skip.reason}; templates reference the placeholder key until it exists`,
  );
}

/** `npm run synth`: build/templates/{streaming,parent-example,parent-fragment}.json. */
export function writeTemplates(options: BuildDirOptions = {}): WriteTemplatesResult {
  const templateDir = path.join(defaultBuildDir(options), 'templates');
  const templates = synthTemplates();
  const files = templateFiles(templates).map(([name, content]) =>
    writeFile(path.join(templateDir, name), content),
  );
  return { templates, files, notes: skippedNotes(templates.bundles) };
}

export interface PackageResult extends WriteTemplatesResult {
  /** build/publish: the bucket layout under the prefix. */
  readonly publishDir: string;
  /** Prefix-relative keys written under publishDir, sorted. */
  readonly publishedKeys: readonly string[];
}

/**
 * `npm run package`: bundles and zips every Lambda (build/lambda/<name>-<hash>.zip), synthesizes
 * the templates with exactly those keys (build/templates/), and lays both out as in the bucket
 * (build/publish/templates/…, build/publish/lambda/…). build/lambda and build/publish are
 * rebuilt from scratch so nothing stale gets uploaded.
 */
export async function packageArtifacts(options: BuildDirOptions = {}): Promise<PackageResult> {
  const buildDir = defaultBuildDir(options);
  const lambdaDir = path.join(buildDir, 'lambda');
  const publishDir = path.join(buildDir, 'publish');
  rmSync(lambdaDir, { recursive: true, force: true });
  rmSync(publishDir, { recursive: true, force: true });

  const bundles = bundleAllLambdasSync();
  const assetKeys = lambdaAssetKeys(bundles);
  const files: WrittenFile[] = [];
  const publishedKeys: string[] = [];

  for (const bundle of bundles.bundles) {
    const zip = await zipBundle(bundle.code);
    files.push(writeFile(path.join(lambdaDir, path.posix.basename(bundle.key)), zip));
    files.push(writeFile(path.join(publishDir, ...bundle.key.split('/')), zip));
    publishedKeys.push(bundle.key);
  }

  const templates = { ...synthTemplates({ assetKeys }), bundles };
  for (const [name, content] of templateFiles(templates)) {
    files.push(writeFile(path.join(buildDir, 'templates', name), content));
    files.push(writeFile(path.join(publishDir, TEMPLATE_KEY_PREFIX, name), content));
    publishedKeys.push(`${TEMPLATE_KEY_PREFIX}/${name}`);
  }

  return {
    templates,
    files,
    notes: skippedNotes(bundles),
    publishDir,
    publishedKeys: publishedKeys.sort(),
  };
}
