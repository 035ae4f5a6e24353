/**
 * The admin guide's `update-stack` commands keep every parameter they do not set. Each block marked
 * `bash tested fake-aws` runs as written in bash, against a fake `aws` on PATH that answers
 * `describe-stacks` from a recorded stack (as the AWS CLI prints it with `--output text`) and records
 * every call. The recorded `update-stack` call is then judged as CloudFormation would: the values
 * the block sets, `UsePreviousValue=true` for every other parameter the stack has, no parameter
 * twice, none the template does not declare, none kept that the stack did not have.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type CfnTemplate, parameterValueProblems } from '../../cli/local-stack/cloudformation/evaluator';
import { runProcess } from '../cli/run-bin';
import { templates } from '../support/templates';

const ROOT = path.join(__dirname, '..', '..');
const GUIDE = path.join(ROOT, 'docs', 'admin-guide.md');

interface Block {
  info: string;
  code: string;
}

function blocks(file: string): Block[] {
  const lines = readFileSync(file, 'utf8').split('\n');
  const found: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i] as string);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (end === -1) throw new Error(`${file}:${i + 1}: unclosed code block`);
    found.push({ info: (open[1] ?? '').trim(), code: `${lines.slice(i + 1, end).join('\n')}\n` });
    i = end;
  }
  return found;
}

/**
 * The fake `aws`: records its arguments (one JSON array per line), answers the two
 * `describe-stacks` queries the guide uses from FAKE_AWS_STACKS, and fails on anything else, so a
 * changed query or command in the guide fails the test instead of passing unseen.
 */
const FAKE_AWS = `#!${process.execPath}
const fs = require('node:fs');
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_AWS_CALLS, JSON.stringify(args) + '\\n');
const option = (name) => { const i = args.indexOf(name); return i === -1 ? undefined : args[i + 1]; };
const fail = (message, code) => { process.stderr.write(message + '\\n'); process.exit(code); };
const [service, command] = args;
if (service !== 'cloudformation') fail('fake aws: only cloudformation, got ' + service, 252);
const name = option('--stack-name');
const stack = JSON.parse(fs.readFileSync(process.env.FAKE_AWS_STACKS, 'utf8'))[name];
const operation = command === 'wait' ? 'DescribeStacks' : command === 'update-stack' ? 'UpdateStack' : 'DescribeStacks';
if (!stack) fail('An error occurred (ValidationError) when calling the ' + operation + ' operation: Stack with id ' + name + ' does not exist', 254);
if (command === 'describe-stacks') {
  const query = option('--query');
  if (option('--output') !== 'text') fail('fake aws: describe-stacks is answered with --output text only', 252);
  if (query === 'Stacks[0].Parameters[].ParameterKey') {
    // The AWS CLI prints null (a stack without parameters) as None, a list tab-separated.
    process.stdout.write((stack.Parameters ? stack.Parameters.map((p) => p.ParameterKey).join('\\t') : 'None') + '\\n');
    process.exit(0);
  }
  const output = /^Stacks\\[0\\]\\.Outputs\\[\\?OutputKey=='(\\w+)'\\]\\.OutputValue$/.exec(query ?? '');
  if (output) {
    const values = (stack.Outputs ?? []).filter((o) => o.OutputKey === output[1]).map((o) => o.OutputValue);
    process.stdout.write(values.join('\\t') + '\\n');
    process.exit(0);
  }
  fail('fake aws: unsupported --query ' + query, 252);
}
if (command === 'update-stack') {
  process.stdout.write(JSON.stringify({ StackId: 'arn:aws:cloudformation:us-east-1:111122223333:stack/' + name + '/1' }) + '\\n');
  process.exit(0);
}
if (command === 'wait' && args[2] === 'stack-update-complete') process.exit(0);
fail('fake aws: unsupported command ' + args.join(' '), 252);
`;

interface StackFixture {
  Parameters?: { ParameterKey: string; ParameterValue: string }[];
  Outputs?: { OutputKey: string; OutputValue: string }[];
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  calls: string[][];
}

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'qna-streaming-admin-guide-'));
  writeFileSync(path.join(dir, 'aws'), FAKE_AWS);
  chmodSync(path.join(dir, 'aws'), 0o755);
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a guide block as a user pasting it would (no `set -e`), `aws` being the fake. */
async function runBlock(code: string, stacks: Record<string, StackFixture>): Promise<Run> {
  const callsFile = path.join(dir, `calls-${Math.random().toString(36).slice(2)}.jsonl`);
  const stacksFile = path.join(dir, 'stacks.json');
  writeFileSync(stacksFile, JSON.stringify(stacks));
  writeFileSync(callsFile, '');
  const result = await runProcess('bash', ['-c', code], {
    cwd: dir,
    timeoutMs: 60_000,
    env: {
      ...process.env,
      PATH: `${dir}${path.delimiter}${process.env.PATH}`,
      FAKE_AWS_CALLS: callsFile,
      FAKE_AWS_STACKS: stacksFile,
    },
  });
  const calls = readFileSync(callsFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as string[]);
  return { ...result, calls };
}

interface ParameterEntry {
  key: string;
  value?: string;
  usePrevious?: true;
}

/** The `--parameters` shorthand of a recorded `update-stack` call. */
function parametersOf(call: string[]): ParameterEntry[] {
  const from = call.indexOf('--parameters');
  if (from === -1) throw new Error(`update-stack without --parameters: ${call.join(' ')}`);
  const entries: ParameterEntry[] = [];
  for (const argument of call.slice(from + 1)) {
    if (argument.startsWith('--')) break;
    const fields = Object.fromEntries(
      argument
        .split(',')
        .map((field) => [field.slice(0, field.indexOf('=')), field.slice(field.indexOf('=') + 1)]),
    );
    const key = fields.ParameterKey as string;
    if (fields.UsePreviousValue === 'true') entries.push({ key, usePrevious: true });
    else entries.push({ key, value: fields.ParameterValue as string });
  }
  return entries;
}

/** What CloudFormation would refuse in an update, or reset to a default that the stack had set. */
function updateProblems(
  entries: ParameterEntry[],
  previousKeys: string[],
  template: Pick<CfnTemplate, 'Parameters'>,
): string[] {
  const declared = template.Parameters ?? {};
  const problems: string[] = [];
  const keys = entries.map((entry) => entry.key);
  for (const key of keys.filter((key, index) => keys.indexOf(key) !== index))
    problems.push(`${key} given twice`);
  for (const entry of entries) {
    if (!(entry.key in declared)) problems.push(`${entry.key} is not declared by the template`);
    if (entry.usePrevious && !previousKeys.includes(entry.key))
      problems.push(`${entry.key}: UsePreviousValue, but the stack has no previous value`);
  }
  for (const key of previousKeys) {
    if (key in declared && !keys.includes(key))
      problems.push(`${key} left out: it would return to its default`);
  }
  const values = Object.fromEntries(
    entries.filter((entry) => entry.value !== undefined).map((entry) => [entry.key, entry.value as string]),
  );
  const kept = new Set(entries.filter((entry) => entry.usePrevious).map((entry) => entry.key));
  problems.push(
    ...parameterValueProblems(template, values).filter(
      (problem) => !kept.has(problem.split(':')[0] as string),
    ),
  );
  return problems;
}

const updateCalls = (run: Run) => run.calls.filter((call) => call[1] === 'update-stack');

const guideBlocks = blocks(GUIDE).filter((block) => block.info === 'bash tested fake-aws');
const [turnOn, changeSettings, turnOff] = guideBlocks as [Block, Block, Block];
const parent = templates().parentExample as unknown as CfnTemplate;
const parentKeys = Object.keys(parent.Parameters ?? {});
const fragmentKeys = Object.keys(templates().parentFragment.Parameters);
const stackOf = (keys: string[]): StackFixture => ({
  Parameters: keys.map((key) => ({ ParameterKey: key, ParameterValue: key === 'LogHashKey' ? '****' : 'x' })),
  Outputs: [
    {
      OutputKey: 'StreamingWebSocketEndpoint',
      OutputValue: 'wss://abc123.execute-api.us-east-1.amazonaws.com/Prod',
    },
  ],
});

test('every update-stack of the admin guide is in a block this test runs, and there are three', () => {
  const updating = blocks(GUIDE).filter((block) => block.code.includes('update-stack'));
  expect(updating.map((block) => block.info)).toEqual([
    'bash tested fake-aws',
    'bash tested fake-aws',
    'bash tested fake-aws',
  ]);
  expect(turnOn.code).toContain('EnableStreaming=TRUE');
  expect(changeSettings.code).toContain('EnableDirectAsk=TRUE');
  expect(turnOff.code).toContain('EnableStreaming=FALSE');
});

test('the templates need no capability beyond CAPABILITY_IAM and CAPABILITY_AUTO_EXPAND (no named IAM resource)', () => {
  const named = JSON.stringify([templates().parentExample, templates().streaming]).match(
    /"(RoleName|ManagedPolicyName|UserName|GroupName|InstanceProfileName)"/g,
  );
  expect(named).toBeNull();
});

describe('turning streaming on (the merged template, three values set)', () => {
  const set = { EnableStreaming: 'TRUE', BootstrapBucket: 'my-artifacts', BootstrapPrefix: 'qna-streaming' };

  test.each([
    [
      'a bot whose template had only its own parameters',
      parentKeys.filter((key) => !fragmentKeys.includes(key)),
    ],
    [
      'a QnABot-style bot that already had the bootstrap, log, X-Ray and VPC parameters',
      [
        'BedrockModelId',
        'BootstrapBucket',
        'BootstrapPrefix',
        'LogRetentionPeriod',
        'XraySetting',
        'VPCSubnetIdList',
        'VPCSecurityGroupIdList',
      ],
    ],
  ])(
    '%s: sets the three values, keeps every other previous value, and prints the endpoint',
    async (_name, previous) => {
      // Act
      const run = await runBlock(turnOn.code, { 'my-bot': stackOf(previous) });
      // Assess
      expect(run.code).toBe(0);
      const [update] = updateCalls(run);
      expect(updateCalls(run)).toHaveLength(1);
      const entries = parametersOf(update as string[]);
      expect(entries.filter((entry) => entry.value !== undefined)).toEqual(
        Object.entries(set).map(([key, value]) => ({ key, value })),
      );
      expect(
        entries
          .filter((entry) => entry.usePrevious)
          .map((entry) => entry.key)
          .sort(),
      ).toEqual(previous.filter((key) => !(key in set)).sort());
      expect(updateProblems(entries, previous, parent)).toEqual([]);
      expect(update).toEqual(
        expect.arrayContaining(['--template-body', 'file://my-bot-with-streaming.json']),
      );
      expect(update).toEqual(
        expect.arrayContaining(['--capabilities', 'CAPABILITY_IAM', 'CAPABILITY_AUTO_EXPAND']),
      );
      expect(run.calls.every((call) => call[call.indexOf('--region') + 1] === 'us-east-1')).toBe(true);
      expect(run.calls.map((call) => call.slice(0, 3).join(' '))).toEqual([
        'cloudformation describe-stacks --stack-name',
        'cloudformation update-stack --stack-name',
        'cloudformation wait stack-update-complete',
        'cloudformation describe-stacks --stack-name',
      ]);
      expect(run.stdout).toContain('wss://abc123.execute-api.us-east-1.amazonaws.com/Prod');
    },
  );

  test('a stack without parameters (the CLI prints None) gets only the three values', async () => {
    // Act
    const run = await runBlock(turnOn.code, { 'my-bot': { Outputs: [] } });
    // Assess
    expect(run.code).toBe(0);
    const entries = parametersOf(updateCalls(run)[0] as string[]);
    expect(entries).toEqual(Object.entries(set).map(([key, value]) => ({ key, value })));
    expect(updateProblems(entries, [], parent)).toEqual([]);
  });

  test('when describe-stacks fails (wrong stack name or region), nothing is updated and the error shows', async () => {
    // Act
    const run = await runBlock(turnOn.code, { 'another-bot': stackOf(parentKeys) });
    // Assess
    expect(updateCalls(run)).toEqual([]);
    expect(run.calls).toHaveLength(1);
    expect(run.stderr).toContain('Stack with id my-bot does not exist');
  });
});

test('changing settings later keeps the template and every parameter but the two set (NoEcho LogHashKey included)', async () => {
  // Act
  const run = await runBlock(changeSettings.code, { 'my-bot': stackOf(parentKeys) });
  // Assess
  expect(run.code).toBe(0);
  const [update] = updateCalls(run);
  const entries = parametersOf(update as string[]);
  expect(entries.filter((entry) => entry.value !== undefined)).toEqual([
    { key: 'EnableDirectAsk', value: 'TRUE' },
    { key: 'AlarmEmail', value: 'you@example.com' },
  ]);
  expect(entries.filter((entry) => entry.usePrevious)).toHaveLength(parentKeys.length - 2);
  expect(entries).toContainEqual({ key: 'LogHashKey', usePrevious: true });
  expect(updateProblems(entries, parentKeys, parent)).toEqual([]);
  expect(update).toContain('--use-previous-template');
  expect(update).not.toContain('--template-body');
});

test('turning streaming off sets EnableStreaming=FALSE and keeps every other parameter and the template', async () => {
  // Act
  const run = await runBlock(turnOff.code, { 'my-bot': stackOf(parentKeys) });
  // Assess
  expect(run.code).toBe(0);
  const [update] = updateCalls(run);
  const entries = parametersOf(update as string[]);
  expect(entries.filter((entry) => entry.value !== undefined)).toEqual([
    { key: 'EnableStreaming', value: 'FALSE' },
  ]);
  expect(
    entries
      .filter((entry) => entry.usePrevious)
      .map((entry) => entry.key)
      .sort(),
  ).toEqual(parentKeys.filter((key) => key !== 'EnableStreaming').sort());
  expect(updateProblems(entries, parentKeys, parent)).toEqual([]);
  expect(update).toContain('--use-previous-template');
});

test('the judge of the calls catches the old three-parameter command (every other parameter reset)', () => {
  // The command the guide showed before: only the three values, nothing kept.
  const old = [
    { key: 'EnableStreaming', value: 'TRUE' },
    { key: 'BootstrapBucket', value: 'my-artifacts' },
    { key: 'BootstrapPrefix', value: 'qna-streaming' },
  ];
  expect(updateProblems(old, ['BedrockModelId', 'LogRetentionPeriod'], parent)).toEqual([
    'BedrockModelId left out: it would return to its default',
    'LogRetentionPeriod left out: it would return to its default',
  ]);
});
