/**
 * `doctor` on deployed stacks, CloudFormation and DynamoDB faked with aws-sdk-client-mock (no local
 * CloudFormation exists, and dynalite has no DescribeTimeToLive). The bot's template is the
 * shipped example parent, so the publisher-policy check reads the wiring users deploy.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  GetTemplateCommand,
  ListStackResourcesCommand,
  type Stack,
} from '@aws-sdk/client-cloudformation';
import { DescribeTimeToLiveCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { type DoctorCheck, diagnoseStack, IDENTITY_BINDING_MEANINGS } from '../../cli/doctor';
import { runCli } from '../../cli/main';
import { synthTemplates } from '../../templates/synth-templates';
import { TEST_ASSET_KEYS } from '../templates/asset-keys';
import { captureIo } from './capture-io';

const cfn = mockClient(CloudFormationClient);
const ddb = mockClient(DynamoDBClient);
const parentTemplate = synthTemplates({ assetKeys: TEST_ASSET_KEYS }).parentExample as {
  Resources: Record<string, { Properties: Record<string, unknown> }>;
};

const NESTED_ARN = 'arn:aws:cloudformation:us-east-1:111122223333:stack/bot-StreamingStack-ABC/1';
const POLICY_ARN = 'arn:aws:iam::111122223333:policy/bot-StreamingStack-ABC-PublisherPolicy-XYZ';
const ENDPOINT = 'wss://abc123.execute-api.us-east-1.amazonaws.com/Prod';

function botStack(overrides: Partial<Stack> = {}, enableStreaming = 'TRUE'): Stack {
  return {
    StackName: 'bot',
    StackStatus: 'UPDATE_COMPLETE',
    CreationTime: new Date(0),
    Parameters: [
      { ParameterKey: 'BootstrapBucket', ParameterValue: 'artifacts' },
      { ParameterKey: 'EnableStreaming', ParameterValue: enableStreaming },
    ],
    Outputs:
      enableStreaming === 'TRUE' ? [{ OutputKey: 'StreamingWebSocketEndpoint', OutputValue: ENDPOINT }] : [],
    ...overrides,
  };
}

const streamingStack: Stack = {
  StackName: 'bot-StreamingStack-ABC',
  StackStatus: 'UPDATE_COMPLETE',
  CreationTime: new Date(0),
  Parameters: [
    { ParameterKey: 'BootstrapBucket', ParameterValue: 'artifacts' },
    { ParameterKey: 'IdentityBinding', ParameterValue: 'OWNER' },
  ],
  Outputs: [
    { OutputKey: 'StreamingWebSocketEndpoint', OutputValue: ENDPOINT },
    { OutputKey: 'StreamingDynamoDbTable', OutputValue: 'bot-sessions' },
    { OutputKey: 'StreamingPublisherPolicyArn', OutputValue: POLICY_ARN },
  ],
};

/** QnABot 7.4's own streaming nested stack (upstream source/templates/streaming/outputs.js): no publisher policy, no IdentityBinding. */
const qnabotStreamingStack: Stack = {
  StackName: 'bot-StreamingStack-ABC',
  StackStatus: 'UPDATE_COMPLETE',
  CreationTime: new Date(0),
  Parameters: [{ ParameterKey: 'BootstrapBucket', ParameterValue: 'artifacts' }],
  Outputs: [
    { OutputKey: 'StreamingWebSocketEndpoint', OutputValue: ENDPOINT },
    { OutputKey: 'StreamingWebSocketApiId', OutputValue: 'abc123' },
    { OutputKey: 'StreamingDynamoDbTable', OutputValue: 'bot-sessions' },
  ],
};

function withIdentityBinding(value: string | undefined): Stack {
  const others = (streamingStack.Parameters ?? []).filter((p) => p.ParameterKey !== 'IdentityBinding');
  return {
    ...streamingStack,
    Parameters:
      value === undefined ? others : [...others, { ParameterKey: 'IdentityBinding', ParameterValue: value }],
  };
}

function arrange(
  options: { bot?: Stack; nested?: Stack; template?: unknown; ttl?: 'ENABLED' | 'DISABLED' } = {},
): void {
  cfn.on(DescribeStacksCommand, { StackName: 'bot' }).resolves({ Stacks: [options.bot ?? botStack()] });
  cfn
    .on(DescribeStacksCommand, { StackName: NESTED_ARN })
    .resolves({ Stacks: [options.nested ?? streamingStack] });
  cfn.on(ListStackResourcesCommand).resolves({
    StackResourceSummaries: [
      {
        LogicalResourceId: 'StreamingStack',
        PhysicalResourceId: NESTED_ARN,
        ResourceType: 'AWS::CloudFormation::Stack',
        ResourceStatus: 'UPDATE_COMPLETE',
        LastUpdatedTimestamp: new Date(0),
      },
    ],
  });
  cfn.on(GetTemplateCommand).resolves({ TemplateBody: JSON.stringify(options.template ?? parentTemplate) });
  ddb.on(DescribeTimeToLiveCommand, { TableName: 'bot-sessions' }).resolves({
    TimeToLiveDescription: { TimeToLiveStatus: options.ttl ?? 'ENABLED', AttributeName: 'ttl' },
  });
}

const deps = () => ({
  cloudFormation: new CloudFormationClient({ region: 'us-east-1' }),
  dynamoDb: new DynamoDBClient({ region: 'us-east-1' }),
});
const failures = (checks: DoctorCheck[]) => checks.filter((check) => check.status === 'fail');

beforeEach(() => {
  cfn.reset();
  ddb.reset();
});
afterAll(() => {
  cfn.restore();
  ddb.restore();
});

test('a bot deployed from the example parent passes every check (exit 0)', async () => {
  // Prepare
  arrange();
  const io = captureIo();

  // Act
  const code = await runCli(['doctor', '--stack', 'bot', '--region', 'us-east-1'], io);

  // Assess
  expect(io.stdout()).toContain('ok    EnableStreaming is TRUE');
  expect(io.stdout()).toContain(`ok    StreamingWebSocketEndpoint = ${ENDPOINT}`);
  expect(io.stdout()).toContain(
    'publisher policy attached to FulfillmentFunctionRole, the role of FulfillmentFunction',
  );
  expect(io.stdout()).toContain(
    'publisher policy attached to QnabotHookFunctionRole, the role of QnabotHookFunction',
  );
  expect(io.stdout()).toContain('session table bot-sessions: TTL enabled on "ttl"');
  expect(io.stdout()).toContain(
    'ok    identity binding OWNER: a session id belongs to the first identity that connects with it',
  );
  expect(io.stdout()).toContain('no problems found');
  expect(code).toBe(0);
});

test.each([
  [
    'OWNER',
    'a session id belongs to the first identity that connects with it while it has open tabs or a recent claim; any other identity gets 403',
  ],
  ['STRICT', "sessionId must be the caller's Cognito identity id; any other $connect gets 403"],
  ['OFF', "any signed caller can read any session's stream, QnABot's behaviour"],
])('IdentityBinding=%s is reported with what it means, as a passing check', async (mode, meaning) => {
  // Prepare
  arrange({ nested: withIdentityBinding(mode) });

  // Act
  const checks = await diagnoseStack('bot', 'us-east-1', deps());

  // Assess
  expect(checks).toContainEqual({ status: 'ok', summary: `identity binding ${mode}: ${meaning}` });
  expect(IDENTITY_BINDING_MEANINGS[mode as keyof typeof IDENTITY_BINDING_MEANINGS]).toBe(meaning);
  expect(failures(checks)).toEqual([]);
});

test.each([
  [undefined, 'has no IdentityBinding parameter'],
  ['WHEN_PRESENT', 'IdentityBinding=WHEN_PRESENT comes from an older streaming template'],
])('IdentityBinding %s (an older template) is skipped with how to update', async (value, summary) => {
  // Prepare
  arrange({ nested: withIdentityBinding(value) });

  // Act
  const checks = await diagnoseStack('bot', 'us-east-1', deps());

  // Assess
  const skipped = checks.find((check) => check.summary.startsWith('identity binding'));
  expect(skipped?.status).toBe('skip');
  expect(skipped?.summary).toContain(summary);
  expect(skipped?.fix).toContain('docs/qnabot-admin-guide.md');
});

test("a QnABot master still running QnABot's own streaming template: named, with the guide that replaces it", async () => {
  // Prepare
  arrange({ nested: qnabotStreamingStack });
  const io = captureIo();

  // Act
  const code = await runCli(['doctor', '--stack', 'bot', '--region', 'us-east-1'], io);

  // Assess
  expect(code).toBe(1);
  expect(io.stdout()).toContain(
    "FAIL  streaming nested stack StreamingStack runs QnABot's own streaming template: any signed caller can read any session's stream, QnABot's behaviour",
  );
  expect(io.stdout()).toContain('docs/qnabot-admin-guide.md');
  expect(io.stdout()).not.toContain('parent-fragment.json');
});

test('EnableStreaming=FALSE: says so with the update command, and exits 1', async () => {
  // Prepare
  arrange({ bot: botStack({}, 'FALSE') });
  const io = captureIo();

  // Act
  const code = await runCli(['doctor', '--stack', 'bot', '--region', 'us-east-1'], io);

  // Assess
  expect(code).toBe(1);
  expect(io.stdout()).toContain('FAIL  EnableStreaming is FALSE');
  expect(io.stdout()).toContain('ParameterKey=EnableStreaming,ParameterValue=TRUE');
});

test('a missing StreamingWebSocketEndpoint output is reported with where to get it', async () => {
  // Prepare
  arrange({ bot: botStack({ Outputs: [] }) });

  // Act
  const checks = await diagnoseStack('bot', 'us-east-1', deps());

  // Assess
  expect(failures(checks).map((check) => check.summary)).toEqual([
    'the StreamingWebSocketEndpoint output is missing, so chat clients cannot be configured from the stack',
  ]);
  expect(failures(checks)[0]?.fix).toContain('Outputs.StreamingWebSocketEndpoint');
});

test('a streaming Lambda whose role lacks the publisher policy is named, with the fix', async () => {
  // Prepare: the QnABot hook's role without its ManagedPolicyArns.
  const template = structuredClone(parentTemplate);
  const role = template.Resources.QnabotHookFunctionRole;
  if (role) delete role.Properties.ManagedPolicyArns;
  arrange({ template });

  // Act
  const checks = await diagnoseStack('bot', 'us-east-1', deps());

  // Assess
  const [failure, ...others] = failures(checks);
  expect(others).toEqual([]);
  expect(failure?.summary).toContain('QnabotHookFunction streams');
  expect(failure?.summary).toContain('role QnabotHookFunctionRole lacks the publisher policy');
  expect(failure?.fix).toContain(POLICY_ARN);
});

test('a role defined outside the stack is skipped with the command to check it by hand', async () => {
  // Prepare
  const template = structuredClone(parentTemplate);
  const fn = template.Resources.FulfillmentFunction;
  if (fn) fn.Properties.Role = { Ref: 'ExistingRoleArn' };
  arrange({ template });

  // Act
  const checks = await diagnoseStack('bot', 'us-east-1', deps());

  // Assess
  const skipped = checks.find((check) => check.status === 'skip');
  expect(skipped?.summary).toContain(
    'publisher policy of FulfillmentFunction: its role is defined outside this stack',
  );
  expect(skipped?.fix).toContain('aws iam list-attached-role-policies');
  expect(failures(checks)).toEqual([]);
});

test('TTL off on the session table: the exact update-time-to-live command', async () => {
  // Prepare
  arrange({ ttl: 'DISABLED' });

  // Act
  const checks = await diagnoseStack('bot', 'us-east-1', deps());

  // Assess
  expect(failures(checks)).toEqual([
    {
      status: 'fail',
      summary: 'session table bot-sessions: TTL is disabled, so items of closed connections pile up forever',
      fix: 'aws dynamodb update-time-to-live --table-name bot-sessions --time-to-live-specification Enabled=true,AttributeName=ttl',
    },
  ]);
});

test('the streaming stack itself: its own checks pass, the publisher check is skipped', async () => {
  // Prepare
  cfn
    .on(DescribeStacksCommand, { StackName: 'bot-StreamingStack-ABC' })
    .resolves({ Stacks: [streamingStack] });
  ddb
    .on(DescribeTimeToLiveCommand)
    .resolves({ TimeToLiveDescription: { TimeToLiveStatus: 'ENABLED', AttributeName: 'ttl' } });

  // Act
  const checks = await diagnoseStack('bot-StreamingStack-ABC', 'us-east-1', deps());

  // Assess
  expect(failures(checks)).toEqual([]);
  expect(checks.find((check) => check.status === 'skip')?.fix).toContain(POLICY_ARN);
  expect(checks).toContainEqual(
    expect.objectContaining({ status: 'ok', summary: expect.stringMatching(/^identity binding OWNER: /) }),
  );
});

test('a stack that does not exist: names the region and how to list stacks, exit 1', async () => {
  // Prepare
  cfn
    .on(DescribeStacksCommand)
    .rejects(Object.assign(new Error('Stack with id nope does not exist'), { name: 'ValidationError' }));
  const io = captureIo();

  // Act
  const code = await runCli(['doctor', '--stack', 'nope', '--region', 'eu-central-1'], io);

  // Assess
  expect(code).toBe(1);
  expect(io.stderr()).toContain('stack "nope" does not exist in eu-central-1');
  expect(io.stderr()).toContain('aws cloudformation list-stacks --region eu-central-1');
});
