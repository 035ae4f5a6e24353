/**
 * The package as its users get it: `npm pack` (whose prepack builds dist/), the tarball installed
 * into a scratch project outside the repository, then used the three documented ways:
 * - a hook author's QnABot hook (docs/examples/streaming-hook.ts importing `qna-streaming/publisher`),
 *   type-checked, bundled with esbuild for Node 20 and run against the local stack (`npm start`'s);
 * - a page importing `qna-streaming/web-plugin`, bundled with esbuild for the browser;
 * - a CDK app with `QnaStreaming` from `qna-streaming/cdk` and the connection Lambda the package ships.
 * Before the tools for those are added, the install is what a publisher user gets: no CDK, no local
 * stack, no browser-test or build tooling, and the CLI (`npx qna-streaming`) runs on it.
 *
 * Slow by nature (a build, two installs from the npm cache, tsc, a CDK synth): minutes on a busy
 * machine, hence the long timeouts; nothing here measures time.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import WebSocket from 'ws';
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import type { Frame } from '../../functions/protocol/frames';
import { GZIP_BUDGET_BYTES } from '../../scripts/build-web-plugin';
import { presignWebSocketUrl } from '../../web-plugin/signer';

const ROOT = path.resolve(__dirname, '..', '..');
const MANIFEST = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
};
const MINUTE = 60_000;

/** What a publisher user must never get with the package. */
const NOT_FOR_PUBLISHER_USERS = [
  'aws-cdk-lib',
  'constructs',
  'cdk-nag',
  'dynalite',
  'playwright-core',
  'esbuild',
  'tsx',
  'yazl',
  'typescript',
  'jest',
];

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = process.env) {
  return new Promise<Run>((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs a command that must succeed; its output is in the failure message. */
async function succeed(command: string, args: readonly string[], cwd: string, env?: NodeJS.ProcessEnv) {
  const result = await run(command, args, cwd, env);
  if (result.code !== 0) {
    throw new Error(`${command} ${args.join(' ')} exited ${result.code}\n${result.stdout}\n${result.stderr}`);
  }
  return result;
}

const npmInstall = (cwd: string, specs: readonly string[]) =>
  succeed('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...specs], cwd);

/** `name@version` as the repository pins it, so the npm cache the repository's install filled serves it. */
const pinned = (name: string) => `${name}@${MANIFEST.devDependencies[name] ?? MANIFEST.dependencies[name]}`;

/** Every package under node_modules, nested ones included. */
function installedPackages(nodeModules: string): Set<string> {
  const names = new Set<string>();
  const visit = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir)) {
      if (entry.startsWith('.')) continue;
      const folders = entry.startsWith('@')
        ? readdirSync(path.join(dir, entry)).map((name) => `${entry}/${name}`)
        : [entry];
      for (const name of folders) {
        names.add(name);
        visit(path.join(dir, name, 'node_modules'));
      }
    }
  };
  visit(nodeModules);
  return names;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).map((file) => path.join(dir, file));
}

/** The package an import specifier names (`@scope/name/sub` → `@scope/name`). */
const packageOf = (specifier: string) =>
  specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

let work: string;
let app: string;
let tarball: string;
let packedFiles: string[];

beforeAll(async () => {
  work = mkdtempSync(path.join(os.tmpdir(), 'qna-streaming-pack-'));
  app = path.join(work, 'app');
  mkdirSync(app);
  // `npm pack` runs prepack (`npm run build:lib`), whose progress shares stdout with the JSON.
  const packed = await succeed('npm', ['pack', '--json', '--pack-destination', work], ROOT);
  const [report] = JSON.parse(packed.stdout.slice(packed.stdout.search(/^\[/m))) as {
    filename: string;
    files: { path: string }[];
  }[];
  tarball = path.join(work, report?.filename ?? 'missing.tgz');
  packedFiles = (report?.files ?? []).map((file) => file.path);
  writeFileSync(
    path.join(app, 'package.json'),
    `${JSON.stringify({ name: 'scratch-bot', version: '1.0.0', private: true }, null, 2)}\n`,
  );
}, 10 * MINUTE);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

test('the tarball holds the compiled library, its declarations, the connection Lambda and the CLI: no sources, tests or build files', () => {
  expect(existsSync(tarball)).toBe(true);
  for (const file of packedFiles) {
    expect(file).toMatch(/^(package\.json|README\.md|LICENSE|cli\/bin\.js|dist\/.+\.(js|mjs|d\.ts|css))$/);
  }
  expect(packedFiles).toEqual(
    expect.arrayContaining([
      'cli/bin.js',
      'dist/cli/main.js',
      'dist/functions/streaming/index.js',
      'dist/functions/streaming/index.d.ts',
      'dist/templates/streaming-construct.js',
      'dist/templates/streaming-construct.d.ts',
      'dist/web-plugin/index.js',
      'dist/web-plugin/index.mjs',
      'dist/web-plugin/index.d.ts',
      'dist/lambda/connection/index.js',
    ]),
  );
});

describe('installed without its optional peers (what a publisher user gets)', () => {
  beforeAll(async () => {
    await npmInstall(app, [tarball]);
  }, 10 * MINUTE);

  test('no CDK, local-stack, browser-test or build tooling; the publisher’s SDK clients are there', () => {
    const installed = installedPackages(path.join(app, 'node_modules'));
    expect(NOT_FOR_PUBLISHER_USERS.filter((name) => installed.has(name))).toEqual([]);
    for (const name of Object.keys(MANIFEST.dependencies)) expect(installed).toContain(name);
  });

  test('every package the declarations import is a dependency or an optional peer of the package', () => {
    const declared = new Set([
      ...Object.keys(MANIFEST.dependencies),
      ...Object.keys(MANIFEST.peerDependencies),
      ...builtinModules,
    ]);
    const imported = new Set<string>();
    for (const file of filesUnder(path.join(app, 'node_modules', 'qna-streaming', 'dist'))) {
      if (!file.endsWith('.d.ts')) continue;
      for (const match of readFileSync(file, 'utf8').matchAll(/(?:from |import\()'([^'.][^']*)'/g)) {
        imported.add(packageOf((match[1] as string).replace(/^node:/, '')));
      }
    }
    expect(imported.size).toBeGreaterThan(3);
    // A types-only import such as 'aws-lambda' is served by its @types package.
    const undeclared = [...imported].filter(
      (name) => !declared.has(name) && !declared.has(`@types/${name.replace(/^@/, '').replace('/', '__')}`),
    );
    expect(undeclared).toEqual([]);
  });

  test(
    'npx qna-streaming: help for every command, and synth says where it runs',
    async () => {
      // Act
      const [help, askHelp, doctorHelp, synth] = await Promise.all([
        run('npx', ['--no', '--', 'qna-streaming', '--help'], app),
        run('npx', ['--no', '--', 'qna-streaming', 'ask', '--help'], app),
        run('npx', ['--no', '--', 'qna-streaming', 'doctor', '--help'], app),
        run('npx', ['--no', '--', 'qna-streaming', 'synth'], app),
      ]);
      // Assess
      expect(help).toMatchObject({
        code: 0,
        stdout: expect.stringContaining('Usage: qna-streaming <command>'),
      });
      expect(askHelp).toMatchObject({ code: 0, stdout: expect.stringContaining('--endpoint WSS_URL') });
      expect(doctorHelp).toMatchObject({ code: 0, stdout: expect.stringContaining('--stack NAME') });
      expect(synth.code).toBe(1);
      expect(synth.stderr).toContain('run them in a clone of the qna-streaming repository');
    },
    2 * MINUTE,
  );
});

describe('used as a hook author, a front end and a CDK app use it', () => {
  const out = () => path.join(app, 'out');
  const bin = (name: string) => path.join(app, 'node_modules', '.bin', name);

  beforeAll(async () => {
    // What each adds beside the package: esbuild and TypeScript (and Lambda's types), the CDK.
    await npmInstall(app, [
      pinned('esbuild'),
      pinned('typescript'),
      pinned('@types/aws-lambda'),
      pinned('@types/node'),
      pinned('aws-cdk-lib'),
      pinned('constructs'),
    ]);
    mkdirSync(out());
    const example = readFileSync(path.join(ROOT, 'docs', 'examples', 'streaming-hook.ts'), 'utf8');
    const specifier = /from '(?:\.\.\/\.\.\/functions\/streaming|qna-streaming\/publisher)';/g;
    expect(example.match(specifier)).toHaveLength(1);
    writeFileSync(path.join(app, 'hook.ts'), example.replace(specifier, "from 'qna-streaming/publisher';"));
    writeFileSync(
      path.join(app, 'page.ts'),
      `import { createChatWidget, StreamingClient } from 'qna-streaming/web-plugin';

const client = new StreamingClient({
  endpoint: 'wss://abc123defg.execute-api.us-east-1.amazonaws.com/Prod',
  sessionId: 'visitor-1',
  credentials: async () => ({ accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' }),
});
export const widget = createChatWidget;
export default client;
`,
    );
    writeFileSync(
      path.join(app, 'cdk-app.ts'),
      `import path from 'node:path';
import { App, CfnOutput, Stack } from 'aws-cdk-lib';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { QnaStreaming } from 'qna-streaming/cdk';

const app = new App({ outdir: process.argv[2] });
const stack = new Stack(app, 'Bot');
const streaming = new QnaStreaming(stack, 'Streaming', {
  code: Code.fromAsset(path.dirname(require.resolve('qna-streaming/lambda/connection'))),
});
new CfnOutput(stack, 'StreamingWebSocketEndpoint', { value: streaming.webSocketEndpoint });
process.stdout.write(JSON.stringify(app.synth().getStackByName('Bot').template));
`,
    );
    writeFileSync(
      path.join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          lib: ['ES2023', 'DOM'],
          types: ['node'],
          skipLibCheck: true,
          noEmit: true,
        },
        files: ['hook.ts', 'page.ts', 'cdk-app.ts'],
      }),
    );
  }, 10 * MINUTE);

  test(
    'the hook, the page and the CDK app type-check (strict) against the package’s declarations',
    async () => {
      await succeed(
        process.execPath,
        [path.join(app, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', app],
        app,
      );
    },
    5 * MINUTE,
  );

  describe('the hook, bundled for Node 20, against the local stack', () => {
    let stack: LocalStack;
    let socket: WebSocket | undefined;

    beforeAll(async () => {
      stack = await startLocalStack({
        demo: false,
        modelBehaviour: { timeToFirstTokenMs: 20, tokensPerSecond: 400 },
      });
    }, 2 * MINUTE);

    afterAll(async () => {
      socket?.terminate();
      await stack?.stop();
    });

    test(
      'streams the answer to the session’s socket and returns it to QnABot',
      async () => {
        // Prepare: the bundle a hook author deploys, a visitor's socket on the session, the
        // environment the Lambda would have (endpoints of the local stack's doubles).
        await succeed(
          bin('esbuild'),
          [
            'hook.ts',
            '--bundle',
            '--platform=node',
            '--target=node20',
            '--outfile=out/hook.js',
            '--log-level=warning',
          ],
          app,
        );
        const sessionId = 'package-hook-1';
        const { endpoints } = stack;
        const url = await presignWebSocketUrl({
          endpoint: endpoints.webSocketUrl,
          region: endpoints.region,
          sessionId,
          credentials: { ...DEV_CREDENTIALS },
        });
        const frames: Frame[] = [];
        socket = new WebSocket(url);
        socket.on('message', (data: WebSocket.RawData) => frames.push(JSON.parse(data.toString()) as Frame));
        await new Promise((resolve, reject) => {
          socket?.once('open', resolve);
          socket?.once('error', reject);
        });
        const event = {
          req: { question: 'What is QnABot?', _event: { sessionId }, _settings: {} },
          res: { message: 'placeholder', session: {}, result: { args: [] } },
        };
        writeFileSync(
          path.join(out(), 'invoke.js'),
          `const { writeFileSync } = require('node:fs');
const { handler } = require('./hook.js');
handler(JSON.parse(process.argv[2])).then((result) => writeFileSync(process.argv[3], JSON.stringify(result)));
`,
        );
        const env = {
          PATH: process.env.PATH,
          AWS_REGION: endpoints.region,
          AWS_ACCESS_KEY_ID: endpoints.credentials.accessKeyId,
          AWS_SECRET_ACCESS_KEY: endpoints.credentials.secretAccessKey,
          AWS_CONFIG_FILE: path.join(work, 'no-aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: path.join(work, 'no-aws-credentials'),
          AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
          AWS_ENDPOINT_URL_BEDROCK_RUNTIME: endpoints.bedrockRuntime,
          STREAMING_TABLE_NAME: endpoints.tableName,
          STREAMING_CALLBACK_URL: endpoints.callbackUrl,
          STREAMING_WEBSOCKET_ENDPOINT: endpoints.webSocketUrl,
          AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        };
        const resultFile = path.join(out(), 'result.json');

        // Act
        await succeed(process.execPath, ['out/invoke.js', JSON.stringify(event), resultFile], app, env);

        // Assess
        const result = JSON.parse(readFileSync(resultFile, 'utf8')) as { res: { message: string } };
        expect(result.res.message.length).toBeGreaterThan(20);
        await waitUntil(() => frames.some((frame) => frame.type === 'end'), 'the end frame');
        const streamed = frames.map((frame) => (frame.type === 'delta' ? frame.text : '')).join('');
        expect(streamed).toBe(result.res.message);
      },
      5 * MINUTE,
    );
  });

  test(
    'a page importing qna-streaming/web-plugin bundles for the browser, without Node or CDK code, within the budget',
    async () => {
      // Act
      await succeed(
        bin('esbuild'),
        [
          'page.ts',
          '--bundle',
          '--platform=browser',
          '--format=esm',
          '--minify',
          '--metafile=out/page-meta.json',
          '--outfile=out/page.js',
          '--log-level=warning',
        ],
        app,
      );
      // Assess: esbuild refuses Node built-ins for the browser; no Lambda, CDK or socket-library code in it.
      const meta = JSON.parse(readFileSync(path.join(out(), 'page-meta.json'), 'utf8')) as {
        inputs: Record<string, unknown>;
      };
      const inputs = Object.keys(meta.inputs);
      expect(inputs).toContain('node_modules/qna-streaming/dist/web-plugin/index.mjs');
      expect(
        inputs.filter((input) =>
          /node_modules\/(aws-cdk-lib|constructs|ws|@aws-sdk\/client-|@aws-lambda-powertools)\//.test(input),
        ),
      ).toEqual([]);
      const bundle = readFileSync(path.join(out(), 'page.js'));
      expect(gzipSync(bundle, { level: 9 }).length).toBeLessThanOrEqual(GZIP_BUDGET_BYTES);
    },
    2 * MINUTE,
  );

  test(
    'a CDK app with QnaStreaming from qna-streaming/cdk and the shipped connection Lambda synthesizes',
    async () => {
      // Prepare
      await succeed(
        bin('esbuild'),
        [
          'cdk-app.ts',
          '--bundle',
          '--platform=node',
          '--target=node20',
          '--packages=external',
          '--outfile=out/cdk-app.js',
          '--log-level=warning',
        ],
        app,
      );
      const cdkOut = path.join(out(), 'cdk.out');
      // Act
      const synth = await succeed(process.execPath, ['out/cdk-app.js', cdkOut], app);
      // Assess
      const template = JSON.parse(synth.stdout) as {
        Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
        Outputs: Record<string, unknown>;
      };
      const resources = Object.values(template.Resources);
      expect(resources).toContainEqual(
        expect.objectContaining({
          Type: 'AWS::ApiGatewayV2::Api',
          Properties: expect.objectContaining({ ProtocolType: 'WEBSOCKET' }),
        }),
      );
      expect(template.Outputs).toHaveProperty('StreamingWebSocketEndpoint');
      const lambda = resources.find((resource) => resource.Type === 'AWS::Lambda::Function');
      expect(lambda?.Properties.Handler).toBe('index.handler');
      // The asset CDK staged is the connection Lambda the package ships.
      const staged = readdirSync(cdkOut).filter((name) => name.startsWith('asset.'));
      expect(staged).toHaveLength(1);
      expect(readFileSync(path.join(cdkOut, staged[0] as string, 'index.js'))).toEqual(
        readFileSync(
          path.join(app, 'node_modules', 'qna-streaming', 'dist', 'lambda', 'connection', 'index.js'),
        ),
      );
    },
    5 * MINUTE,
  );
});
