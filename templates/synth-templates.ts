/**
 * Synthesizes the three templates in-process (no CDK CLI): the `streaming` template, the example
 * parent and the parent fragment. cdk-nag AwsSolutions runs in the same pass; synthesis fails
 * with the list of findings when one is neither fixed nor acknowledged.
 */

import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { App } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { StreamingTemplateError } from './errors';
import {
  type BundleAllResult,
  bundleAllLambdasSync,
  type LambdaAssetKeys,
  lambdaAssetKeys,
} from './lambda-assets';
import { addNagChecks } from './nag';
import { ParentExampleStack } from './parent-example-stack';
import { fragmentFromTemplate, type ParentFragment, ParentFragmentStack } from './parent-fragment';
import { newTemplateApp } from './readable-stack';
import { StreamingStack } from './streaming-stack';

/** A CloudFormation template as JSON. */
export type TemplateJson = Record<string, unknown>;

export interface SynthTemplatesOptions {
  /** Cloud assembly directory. @default - a temporary directory, removed afterwards */
  readonly outdir?: string;
  /**
   * Prefix-relative S3 keys of the Lambda zips.
   * @default - every registered Lambda is bundled and its content-hash key used (templates/lambda-assets.ts)
   */
  readonly assetKeys?: LambdaAssetKeys;
}

export interface SynthesizedTemplates {
  /** build/templates/streaming.json: the nested/standalone streaming template. */
  readonly streaming: TemplateJson;
  /** build/templates/parent-example.json: the example bot parent. */
  readonly parentExample: TemplateJson;
  /** build/templates/parent-fragment.json: what a user merges into their own parent. */
  readonly parentFragment: ParentFragment;
  /** The Lambda keys the templates reference. */
  readonly assetKeys: LambdaAssetKeys;
  /** Bundling result when the keys were computed here (absent when `assetKeys` was given). */
  readonly bundles?: BundleAllResult;
}

/** Template file names under build/templates/ (and `templates/` in the bucket). */
export const TEMPLATE_FILES = {
  streaming: 'streaming.json',
  parentExample: 'parent-example.json',
  parentFragment: 'parent-fragment.json',
} as const;

/** The app holding the three template stacks, with cdk-nag attached; `app.synth()` writes them. */
export interface TemplateApp {
  readonly app: App;
  readonly streaming: StreamingStack;
  readonly parentExample: ParentExampleStack;
  readonly parentFragment: ParentFragmentStack;
}

export function createTemplateApp(outdir: string, assetKeys: LambdaAssetKeys): TemplateApp {
  const app = newTemplateApp(outdir);
  const streaming = new StreamingStack(app, 'Streaming', { assetKeys });
  const parentExample = new ParentExampleStack(app, 'ParentExample', { assetKeys });
  const parentFragment = new ParentFragmentStack(app, 'ParentFragment');
  addNagChecks(app);
  return { app, streaming, parentExample, parentFragment };
}

export function synthTemplates(options: SynthTemplatesOptions = {}): SynthesizedTemplates {
  let bundles: BundleAllResult | undefined;
  let assetKeys = options.assetKeys;
  if (!assetKeys) {
    bundles = bundleAllLambdasSync();
    assetKeys = lambdaAssetKeys(bundles);
  }

  const outdir = options.outdir ?? mkdtempSync(path.join(os.tmpdir(), 'qna-streaming-cdk-'));
  try {
    const { app, streaming, parentExample, parentFragment } = createTemplateApp(outdir, assetKeys);

    const assembly = synthesizeChecked(app);
    const template = (stackName: string): TemplateJson =>
      structuredClone(assembly.getStackByName(stackName).template) as TemplateJson;
    return {
      streaming: template(streaming.stackName),
      parentExample: template(parentExample.stackName),
      parentFragment: fragmentFromTemplate(template(parentFragment.stackName)),
      assetKeys,
      ...(bundles ? { bundles } : {}),
    };
  } finally {
    if (!options.outdir) rmSync(outdir, { recursive: true, force: true });
  }
}

/**
 * `app.synth()`, turning a validation failure (unacknowledged cdk-nag or template findings) into
 * a `StreamingTemplateError` that lists every finding.
 */
export function synthesizeChecked(app: App): CloudAssembly {
  try {
    return app.synth();
  } catch (error) {
    throw new StreamingTemplateError(`Template synthesis failed: ${describeFindings(app.outdir)}`, {
      cause: error,
    });
  }
}

/** One line per unacknowledged finding, from the validation report CDK writes next to the assembly. */
function describeFindings(outdir: string): string {
  const reportPath = path.join(outdir, 'validation-report.json');
  if (!existsSync(reportPath)) return 'no validation report was written';
  try {
    const report = JSON.parse(readFileSync(reportPath, 'utf8')) as {
      pluginReports?: {
        pluginName: string;
        violations?: {
          ruleName: string;
          description: string;
          violatingConstructs?: { constructPath: string }[];
        }[];
      }[];
    };
    const lines: string[] = [];
    for (const plugin of report.pluginReports ?? []) {
      for (const violation of plugin.violations ?? []) {
        const paths = (violation.violatingConstructs ?? []).map((c) => c.constructPath).join(', ');
        lines.push(`${plugin.pluginName} ${violation.ruleName} at ${paths}: ${violation.description}`);
      }
    }
    return lines.length > 0 ? `\n  ${lines.join('\n  ')}` : 'validation failed without listed findings';
  } catch (error) {
    return `validation report ${reportPath} is unreadable (${String(error)})`;
  }
}

/**
 * Environment variable naming a JSON file of already-synthesized templates (`{ streaming,
 * parentExample, parentFragment, assetKeys }`). The test runner's global setup
 * (test/support/global-setup.ts) synthesizes once and sets it, so the ~30 test files that start a
 * local stack or read a template do not each bundle the Lambdas and run CDK and cdk-nag again: on a
 * busy 2-core machine that alone took longer than a test hook may. Nothing else sets it.
 */
export const SYNTH_CACHE_ENV = 'QNA_STREAMING_SYNTH_CACHE';

/** synthTemplates() with the default asset keys, read from SYNTH_CACHE_ENV's file when it is set. */
export function cachedSynthTemplates(): SynthesizedTemplates {
  const file = process.env[SYNTH_CACHE_ENV];
  if (file && existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as SynthesizedTemplates;
  return synthTemplates();
}
