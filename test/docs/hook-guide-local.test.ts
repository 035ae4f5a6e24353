/**
 * The hook author guide's local recipe, followed as a hook author follows it: the local stack runs
 * (as `npm start` starts it, on ports chosen at run time), a visitor's tab is open for its session
 * (the demo page's: the Cognito identity id as session id), the guide's environment block is the
 * hook's whole environment, the guide's bundle command builds docs/examples/streaming-hook.ts, and
 * the guide's run command invokes it with a QnABot hook event. The blocks are read from the guide,
 * so the guide and this test cannot drift; only `npm start`'s default ports become this stack's,
 * the bundle goes to a temporary folder, and the session id is the visitor's.
 *
 * The guide's publisher statements (for a role outside the stack) are also checked against the
 * managed policy the synthesized streaming template creates.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
} from '@aws-sdk/client-cognito-identity';
import WebSocket from 'ws';
import { DEFAULT_PORTS, type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import type { Frame } from '../../functions/protocol/frames';
import { STREAMING_IDS } from '../../templates/streaming-construct';
import { presignWebSocketUrl } from '../../web-plugin/signer';
import { runProcess } from '../cli/run-bin';
import { whenOpen } from '../support/sockets';

const ROOT = path.join(__dirname, '..', '..');
const GUIDE = readFileSync(path.join(ROOT, 'docs', 'hook-author-guide.md'), 'utf8');

interface Block {
  info: string;
  code: string;
}

function guideBlocks(): Block[] {
  const lines = GUIDE.split('\n');
  const found: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i] as string);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    found.push({ info: (open[1] ?? '').trim(), code: `${lines.slice(i + 1, end).join('\n')}\n` });
    i = end;
  }
  return found;
}

const blocks = guideBlocks();
/** The local recipe: its environment block, then its run block. */
const [environmentBlock, runBlock] = blocks.filter((block) => block.info === 'bash tested hook-local');
/** The bundle command of the guide's build section (also run as written by test/cli/guides.test.ts). */
const bundleBlock = blocks.find((block) => block.info === 'bash tested' && block.code.includes('esbuild'));
/** Where the guide's bundle command writes. */
const GUIDE_OUTFILE = 'build/hook/index.js';

/** `export NAME=value` lines of a block (quotes removed). */
function exportsOf(code: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const match of code.matchAll(/^export ([A-Z_]+)=(.*)$/gm)) {
    variables[match[1] as string] = (match[2] as string).replace(/^'(.*)'$/, '$1');
  }
  return variables;
}

let stack: LocalStack;
let outDir: string;
const sockets: WebSocket[] = [];

beforeAll(async () => {
  // Prepare: a model slow enough that an answer spans several coalescing windows (about 1 s).
  stack = await startLocalStack({
    demo: false,
    modelBehaviour: { timeToFirstTokenMs: 20, tokensPerSecond: 60, answerTokens: 60 },
  });
  outDir = mkdtempSync(path.join(os.tmpdir(), 'hook-guide-'));
}, 60_000);

afterAll(async () => {
  for (const socket of sockets) socket.terminate();
  await stack?.stop();
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

/** `npm start`'s default ports in a guide block become the ports this stack got. */
function withThisStacksPorts(code: string): string {
  const port = (url: string) => new URL(url).port;
  const ports: Record<number, string> = {
    [DEFAULT_PORTS.gateway]: port(stack.endpoints.callbackUrl),
    [DEFAULT_PORTS.dynamodb]: port(stack.endpoints.dynamodb),
    [DEFAULT_PORTS.bedrock]: port(stack.endpoints.bedrockRuntime),
  };
  return code.replace(/127\.0\.0\.1:(\d+)/g, (_whole, guidePort: string) => {
    const actual = ports[Number(guidePort)];
    if (!actual)
      throw new Error(`the guide names port ${guidePort}, which npm start does not use for the hook`);
    return `127.0.0.1:${actual}`;
  });
}

/** A visitor of the demo page: Cognito credentials, and a json tab open for its identity id. */
async function openVisitorTab(): Promise<{ sessionId: string; frames: Frame[] }> {
  const cognito = new CognitoIdentityClient({
    endpoint: stack.endpoints.cognitoIdentity,
    region: stack.endpoints.region,
  });
  try {
    const { IdentityId } = await cognito.send(
      new GetIdCommand({ IdentityPoolId: stack.endpoints.identityPoolId }),
    );
    const { Credentials } = await cognito.send(new GetCredentialsForIdentityCommand({ IdentityId }));
    const sessionId = IdentityId as string;
    const url = await presignWebSocketUrl({
      endpoint: stack.endpoints.webSocketUrl,
      sessionId,
      protocol: 'json',
      credentials: {
        accessKeyId: Credentials?.AccessKeyId as string,
        secretAccessKey: Credentials?.SecretKey as string,
        sessionToken: Credentials?.SessionToken as string,
      },
      region: stack.endpoints.region,
    });
    const socket = new WebSocket(url);
    sockets.push(socket);
    const frames: Frame[] = [];
    socket.on('message', (data) => frames.push(JSON.parse(String(data)) as Frame));
    await whenOpen(socket);
    return { sessionId, frames };
  } finally {
    cognito.destroy();
  }
}

interface HookRun {
  /** What the run command printed that is not a log or metric line: the answer QnABot would get. */
  answer: string;
  /** The JSON lines the hook wrote (logs and EMF metrics). */
  lines: Record<string, unknown>[];
}

/**
 * The guide's environment, bundle and run blocks in one shell with nothing else in its environment
 * (PATH and HOME only), as a reader pastes them into a fresh terminal; `extra` lines go after the
 * environment block.
 */
async function runGuideRecipe(sessionId: string, extra = ''): Promise<HookRun> {
  const outfile = path.join(outDir, 'index.js');
  const script = [
    withThisStacksPorts((environmentBlock as Block).code),
    extra,
    (bundleBlock as Block).code.replace(GUIDE_OUTFILE, outfile),
    (runBlock as Block).code
      .replace(/^export SESSION_ID=.*$/m, `export SESSION_ID='${sessionId}'`)
      .replace(`./${GUIDE_OUTFILE}`, outfile),
  ].join('\n');
  const result = await runProcess(
    'env',
    ['-i', `PATH=${process.env.PATH}`, `HOME=${os.homedir()}`, 'bash', '-e', '-o', 'pipefail', '-c', script],
    { cwd: ROOT, timeoutMs: 90_000 },
  );
  if (result.code !== 0) throw new Error(`exit ${result.code}\n${result.stdout}\n${result.stderr}`);
  const lines: Record<string, unknown>[] = [];
  const answer: string[] = [];
  for (const line of result.stdout.split('\n')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      parsed = undefined;
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      lines.push(parsed as Record<string, unknown>);
    } else {
      answer.push(line);
    }
  }
  return { answer: answer.join('\n').trim(), lines };
}

function deltas(frames: Frame[]): Extract<Frame, { type: 'delta' }>[] {
  return frames.filter((frame): frame is Extract<Frame, { type: 'delta' }> => frame.type === 'delta');
}

async function until(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('the guide has the local recipe: an environment block, the bundle command and a run block', () => {
  expect(environmentBlock?.code).toContain('export STREAMING_CALLBACK_URL=');
  expect(bundleBlock?.code).toContain(GUIDE_OUTFILE);
  expect(runBlock?.code).toContain('export SESSION_ID=');
  expect(runBlock?.code).toContain(`./${GUIDE_OUTFILE}`);
});

test('the environment block states what npm start prints, at its default ports', () => {
  // Prepare
  const guideEnvironment = exportsOf(withThisStacksPorts((environmentBlock as Block).code));
  const { endpoints } = stack;
  // Assess: every variable the hook reads to reach the local stack, with npm start's values.
  expect(guideEnvironment).toEqual({
    AWS_REGION: endpoints.region,
    AWS_ACCESS_KEY_ID: endpoints.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: endpoints.credentials.secretAccessKey,
    AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
    AWS_ENDPOINT_URL_BEDROCK_RUNTIME: endpoints.bedrockRuntime,
    AWS_ENDPOINT_URL_BEDROCK_AGENT_RUNTIME: endpoints.bedrockAgentRuntime,
    STREAMING_CALLBACK_URL: endpoints.callbackUrl,
    STREAMING_TABLE_NAME: endpoints.tableName,
  });
});

test('the example hook, bundled and run as the guide says, streams its answer to the open tab and returns it', async () => {
  // Prepare
  const tab = await openVisitorTab();

  // Act
  const run = await runGuideRecipe(tab.sessionId);

  // Assess: the words on the visitor's screen are the answer QnABot gets back.
  expect(run.answer).toContain('QnABot');
  await until(() => tab.frames.some((frame) => frame.type === 'end'));
  expect(
    deltas(tab.frames)
      .map((frame) => frame.text)
      .join(''),
  ).toBe(run.answer);
  // Coalesced (250 ms by default) yet streamed: an answer of about a second arrives in several frames.
  expect(deltas(tab.frames).length).toBeGreaterThan(2);
  // Its log lines and metrics carry the hook's own name.
  const finished = run.lines.find((line) => line.message === 'answer finished');
  expect(finished).toMatchObject({ service: 'qnabot-hook', connections: 1 });
  const services = new Set(run.lines.filter((line) => 'service' in line).map((line) => line.service));
  expect([...services]).toEqual(['qnabot-hook']);
  const metrics = run.lines.filter((line) => '_aws' in line);
  expect(metrics.length).toBeGreaterThan(0);
  expect(new Set(metrics.map((line) => line.Service))).toEqual(new Set(['qnabot-hook']));
}, 120_000);

test('the example hook follows STREAMING_COALESCE_WINDOW_MS: a 5 s window sends the first words, then the rest at once', async () => {
  // Prepare
  const tab = await openVisitorTab();

  // Act
  const run = await runGuideRecipe(tab.sessionId, 'export STREAMING_COALESCE_WINDOW_MS=5000');

  // Assess
  await until(() => tab.frames.some((frame) => frame.type === 'end'));
  const texts = deltas(tab.frames).map((frame) => frame.text);
  expect(texts.length).toBeLessThanOrEqual(2);
  expect(texts.join('')).toBe(run.answer);
}, 120_000);

test('the guide’s publisher statements are those of the managed policy the streaming stack creates', () => {
  // Prepare: the guide's JSON policy for a role outside the stack, and the synthesized template's.
  const policy = blocks.find((block) => block.info === 'json' && block.code.includes('ManageConnections'));
  const statements = (JSON.parse((policy as Block).code) as { Statement: Record<string, unknown>[] })
    .Statement;
  const resource = stack.template.Resources[STREAMING_IDS.publisherPolicy] as unknown as {
    Properties: { PolicyDocument: { Statement: { Sid: string; Action: unknown; Resource: unknown }[] } };
  };
  const stackStatements = resource.Properties.PolicyDocument.Statement;
  // Assess: the same actions under the same Sids, the resources written out as ARNs.
  expect(stackStatements.map((statement) => statement.Sid)).toEqual(['PostToConnections', 'SessionItems']);
  for (const statement of stackStatements) {
    expect(statements.find((candidate) => candidate.Sid === statement.Sid)?.Action).toEqual(statement.Action);
  }
  const stackPost = stackStatements[0]?.Resource as { 'Fn::Join': [string, unknown[]] };
  const connectionsPath = stackPost['Fn::Join'][1].at(-1) as string;
  expect(connectionsPath).toBe('/Prod/POST/@connections/*');
  expect(statements[0]).toMatchObject({
    Sid: 'PostToConnections',
    Resource: `arn:aws:execute-api:<region>:<account>:<api id>${connectionsPath}`,
  });
  expect(statements[1]).toMatchObject({
    Sid: 'SessionItems',
    Resource: 'arn:aws:dynamodb:<region>:<account>:table/<table name>',
  });
});
