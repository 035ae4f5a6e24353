/**
 * `npm run build:lib` (also run by `npm pack` through `prepack`): the installable package, in dist/.
 *
 * - dist/{functions,templates,web-plugin}/…: CommonJS and .d.ts of the public entry points and what
 *   they import (tsc, tsconfig.build.json): `qna-streaming/publisher`, `qna-streaming/cdk`,
 *   `qna-streaming/cdk-nag`, `qna-streaming/web-plugin`;
 * - dist/web-plugin/index.mjs: the browser entry as one ES module whose npm dependencies stay imports,
 *   so a page's bundler tree-shakes it and shares the signer with the page;
 * - dist/web-plugin/ai-sdk-transport.mjs: `qna-streaming/web-plugin/ai-sdk`, the AI SDK ChatTransport,
 *   an ES module that imports the plugin's error class from index.mjs (no AI SDK or React code: types only);
 * - dist/lambda/connection/index.js: the connection Lambda, bundled exactly as `package` bundles it,
 *   the `code` a CDK app gives the `QnaStreaming` construct (`Code.fromAsset` of its folder);
 * - dist/cli/main.js: the CLI in one CommonJS file for the installed package (cli/bin.js runs it when
 *   the TypeScript sources are absent). It must load with the runtime dependencies only: CDK,
 *   cdk-nag, esbuild and yazl are never required by it (the build fails if one is), and `synth`,
 *   `package` and `publish`, which build the templates and Lambda zips from the sources, are
 *   replaced by an error that says to run them in a clone of the repository.
 *
 * Usage: npx tsx scripts/build-lib.ts [--outdir dist]
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build, type Metafile, type Plugin } from 'esbuild';
import { bundleLambdaSync, findLambdaAsset } from '../templates/lambda-assets';

const ROOT = path.resolve(__dirname, '..');

/** Packages only the repository's build needs; the installed CLI must not require them. */
export const BUILD_ONLY_PACKAGES = /^(aws-cdk-lib|constructs|cdk-nag|esbuild|yazl|tsx|dynalite)(\/|$)/;

/** What `synth`, `package` and `publish` say in the installed package. */
export const REPOSITORY_ONLY_MESSAGE =
  'synth, package and publish build the templates and Lambda zips from the TypeScript sources, which ' +
  'the installed package does not carry: run them in a clone of the qna-streaming repository ' +
  '(npm ci, then npx qna-streaming <command>). A CDK app uses the construct from qna-streaming/cdk instead.';

/**
 * The installed CLI's stand-ins for what only the repository can do: the build (cli/build-artifacts.ts)
 * and the S3 upload after it (@aws-sdk/client-s3). Each exports the names of the real module (read
 * from it here, in the repository), every one a function that throws the CLI's own error when called
 * or constructed: the user reads one line, exit code 1.
 */
function repositoryOnly(): Plugin {
  const standIns: Record<string, string> = {
    './build-artifacts': path.join(ROOT, 'cli', 'build-artifacts.ts'),
    '@aws-sdk/client-s3': '@aws-sdk/client-s3',
  };
  return {
    name: 'repository-only',
    setup(builder) {
      builder.onResolve({ filter: /^(\.\/build-artifacts|@aws-sdk\/client-s3)$/ }, (args) => ({
        path: args.path,
        namespace: 'repository-only',
      }));
      // Left as imports, and side-effect free: an import whose names are unused disappears.
      builder.onResolve({ filter: BUILD_ONLY_PACKAGES }, (args) => ({
        path: args.path,
        external: true,
        sideEffects: false,
      }));
      builder.onLoad({ filter: /.*/, namespace: 'repository-only' }, (args) => {
        const names = Object.keys(require(standIns[args.path] as string) as object);
        return {
          resolveDir: path.join(ROOT, 'cli'),
          loader: 'ts',
          contents: `import { CliError } from './errors';
function repositoryOnly(): never { throw new CliError(${JSON.stringify(REPOSITORY_ONLY_MESSAGE)}); }
export { ${names.map((name) => `repositoryOnly as ${name}`).join(', ')} };`,
        };
      });
    },
  };
}

/** The npm packages an output of a build imports. */
function externalImports(metafile: Metafile): string[] {
  return Object.values(metafile.outputs).flatMap((output) =>
    output.imports.filter((item) => item.external).map((item) => item.path),
  );
}

async function buildCli(outdir: string): Promise<void> {
  const result = await build({
    entryPoints: [path.join(ROOT, 'cli', 'main.ts')],
    outfile: path.join(outdir, 'cli', 'main.js'),
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    packages: 'external',
    metafile: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [repositoryOnly()],
  });
  const buildOnly = externalImports(result.metafile).filter((name) => BUILD_ONLY_PACKAGES.test(name));
  if (buildOnly.length > 0) {
    throw new Error(
      `the installed CLI (dist/cli/main.js) would require ${[...new Set(buildOnly)].join(', ')}, which the package does not depend on`,
    );
  }
}

/** One ES module of the browser plugin for bundlers: its dependencies stay imports. */
function browserModule(entry: string, outfile: string, plugins: Plugin[] = []): Promise<unknown> {
  return build({
    entryPoints: [path.join(ROOT, 'web-plugin', entry)],
    outfile,
    bundle: true,
    platform: 'browser',
    target: 'es2020',
    format: 'esm',
    packages: 'external',
    legalComments: 'none',
    logLevel: 'warning',
    plugins,
  });
}

async function buildBrowserModule(outdir: string): Promise<void> {
  await browserModule('index.ts', path.join(outdir, 'web-plugin', 'index.mjs'));
}

/** `qna-streaming/web-plugin/ai-sdk` for bundlers; its one runtime import of the plugin is index.mjs. */
async function buildAiSdkModule(outdir: string): Promise<void> {
  await browserModule('ai-sdk-transport.ts', path.join(outdir, 'web-plugin', 'ai-sdk-transport.mjs'), [
    {
      name: 'plugin-module',
      setup(builder) {
        builder.onResolve({ filter: /^\.\/errors$/ }, () => ({ path: './index.mjs', external: true }));
      },
    },
  ]);
}

/** The stylesheets of the plugin (web-plugin/*.css, not the demo's), next to its code. */
function copyStylesheets(outdir: string): void {
  for (const name of readdirSync(path.join(ROOT, 'web-plugin'))) {
    if (name.endsWith('.css'))
      copyFileSync(path.join(ROOT, 'web-plugin', name), path.join(outdir, 'web-plugin', name));
  }
}

function writeConnectionLambda(outdir: string): void {
  const bundle = bundleLambdaSync(findLambdaAsset('connection'));
  const dir = path.join(outdir, 'lambda', 'connection');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'index.js'), bundle.code);
}

export async function buildLib(outdir = path.join(ROOT, 'dist')): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  execFileSync(
    process.execPath,
    [require.resolve('typescript/bin/tsc'), '-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', outdir],
    { cwd: ROOT, stdio: 'inherit' },
  );
  await buildBrowserModule(outdir);
  await buildAiSdkModule(outdir);
  copyStylesheets(outdir);
  writeConnectionLambda(outdir);
  await buildCli(outdir);
}

async function main(): Promise<void> {
  const flag = process.argv.indexOf('--outdir');
  const outdir = flag > 0 ? path.resolve(process.argv[flag + 1] ?? '') : undefined;
  await buildLib(outdir);
  process.stdout.write(`built ${path.relative(ROOT, outdir ?? path.join(ROOT, 'dist'))}/\n`);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
