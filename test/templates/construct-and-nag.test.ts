import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { BINDING_DEFAULTS, ENV } from '../../functions/shared/constants';
import {
  acknowledgeQnaStreaming,
  addNagChecks,
  createTemplateApp,
  listAcknowledgements,
  newTemplateApp,
  QnaStreaming,
  type QnaStreamingProps,
  ReadableStack,
  StreamingTemplateError,
  synthesizeChecked,
} from '../../templates';
import { TEST_ASSET_KEYS } from './asset-keys';

const CODE = Code.fromInline('exports.handler = async () => ({ statusCode: 200 });');
const outdirs: string[] = [];

function tempOutdir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qna-streaming-test-'));
  outdirs.push(dir);
  return dir;
}

afterAll(() => {
  for (const dir of outdirs) rmSync(dir, { recursive: true, force: true });
});

/** A CDK bot's stack with one QnaStreaming, cdk-nag attached. */
function botApp(props: Partial<QnaStreamingProps> = {}, acknowledge = true) {
  const app = newTemplateApp(tempOutdir());
  const stack = new ReadableStack(app, 'Bot', { stackName: 'bot' });
  const streaming = new QnaStreaming(stack, 'Streaming', { code: CODE, ...props });
  if (acknowledge) acknowledgeQnaStreaming(streaming);
  addNagChecks(app);
  return { app, stack, streaming };
}

describe('cdk-nag on the shipped templates', () => {
  // Prepare: the same app synthTemplates builds, with fixed Lambda keys.
  const { app } = createTemplateApp(tempOutdir(), TEST_ASSET_KEYS);

  test('synthesis passes AwsSolutions with zero unacknowledged findings', () => {
    expect(() => synthesizeChecked(app)).not.toThrow();
  });

  test('every acknowledgement names a rule and gives a real reason', () => {
    const acknowledgements = listAcknowledgements(app);
    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { id, reason } of acknowledgements) {
      expect(id).toMatch(/^(AwsSolutions::AwsSolutions-[A-Z]+\d+|CloudFormation-Validate::[EFW]\d+)/);
      expect(reason.length).toBeGreaterThanOrEqual(60);
    }
    const ids = acknowledgements.map((a) => a.id.replace(/\[.*$/, ''));
    expect(new Set(ids)).toEqual(
      new Set([
        'AwsSolutions::AwsSolutions-L1',
        'AwsSolutions::AwsSolutions-APIG4',
        'AwsSolutions::AwsSolutions-IAM5',
        'AwsSolutions::AwsSolutions-IAM4',
        // The opt-in alarm topic (streaming-observability.ts): CloudWatch cannot publish to the AWS-managed key.
        'AwsSolutions::AwsSolutions-SNS2',
        'CloudFormation-Validate::F3031',
        'CloudFormation-Validate::E1150',
        'CloudFormation-Validate::W1030',
        // CFNLambda, CFNInvokePolicy, S3Clean: declared for the QnABot master, unused.
        'CloudFormation-Validate::W2001',
      ]),
    );
  });
});

describe('QnaStreaming as a construct in a CDK bot', () => {
  test('without the acknowledgements, synthesis fails and names the findings', () => {
    const { app } = botApp({}, false);
    const report = jest.spyOn(console, 'error').mockImplementation(() => undefined); // CDK prints the report too
    let failure: unknown;
    try {
      synthesizeChecked(app);
    } catch (error) {
      failure = error;
    } finally {
      report.mockRestore();
    }
    expect(failure).toBeInstanceOf(StreamingTemplateError);
    expect((failure as Error).message).toMatch(/AwsSolutions-L1 at Bot\/Streaming\/StreamingLambda/);
    expect((failure as Error).message).toMatch(/AwsSolutions-APIG4 at .*Bot\/Streaming\/PingRoute/);
  });

  test('fixed tracing, VPC and retention become plain properties and the matching permissions', () => {
    const { app, stack, streaming } = botApp({
      tracing: true,
      vpc: {
        subnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
        securityGroupIds: ['sg-0123456789abcdef0'],
      },
      logRetentionDays: 7,
      identityBinding: 'STRICT',
      maxSessionsPerIdentity: 3,
      maxTabsPerSession: 2,
    });
    const publisher = new Role(stack, 'PublisherRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
    });
    streaming.grantPublish(publisher);
    expect(() => synthesizeChecked(app)).not.toThrow();

    const template = Template.fromStack(stack);
    template.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'Active' },
      VpcConfig: {
        SubnetIds: ['subnet-0a1b2c3d4e5f60718', 'subnet-0f1e2d3c4b5a69788'],
        SecurityGroupIds: ['sg-0123456789abcdef0'],
      },
      Environment: {
        Variables: Match.objectLike({
          [ENV.identityBinding]: 'STRICT',
          [ENV.maxSessionsPerIdentity]: '3',
          [ENV.maxTabsPerSession]: '2',
        }),
      },
    });
    template.hasResourceProperties('AWS::IAM::Role', {
      Policies: [
        {
          PolicyName: 'ConnectionFunction',
          PolicyDocument: {
            Statement: Match.arrayWith([
              Match.objectLike({ Sid: 'XRayTracing', Resource: '*' }),
              Match.objectLike({
                Sid: 'VpcNetworkInterfaces',
                Action: Match.arrayWith(['ec2:CreateNetworkInterface']),
              }),
            ]),
          },
        },
      ],
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 7 });
    template.hasResourceProperties('AWS::IAM::Role', {
      ManagedPolicyArns: [{ Ref: stack.getLogicalId(streaming.publisherPolicy) }],
    });
  });

  test('defaults: OWNER binding with the default limits, no tracing permissions, no VPC, 30-day logs; 0 days means never expire', () => {
    const defaults = Template.fromStack(botApp().stack);
    defaults.hasResourceProperties('AWS::Lambda::Function', {
      TracingConfig: { Mode: 'PassThrough' },
      VpcConfig: Match.absent(),
      Environment: {
        Variables: Match.objectLike({
          [ENV.identityBinding]: 'OWNER',
          [ENV.maxSessionsPerIdentity]: String(BINDING_DEFAULTS.maxSessionsPerIdentity),
          [ENV.maxTabsPerSession]: String(BINDING_DEFAULTS.maxTabsPerSession),
        }),
      },
    });
    defaults.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    expect(JSON.stringify(defaults.toJSON())).not.toContain('xray:');
    // No reserved concurrency by default (CONNECTION_RESERVED_CONCURRENCY_DEFAULT = -1), and the
    // unknown-action route's own throttle.
    defaults.allResourcesProperties('AWS::Lambda::Function', {
      ReservedConcurrentExecutions: Match.absent(),
    });
    defaults.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      RouteSettings: {
        $default: { ThrottlingBurstLimit: 50, ThrottlingRateLimit: 20, DataTraceEnabled: false },
      },
    });
    const reserved = Template.fromStack(botApp({ reservedConcurrency: 50 }).stack);
    reserved.hasResourceProperties('AWS::Lambda::Function', { ReservedConcurrentExecutions: 50 });

    const forever = Template.fromStack(botApp({ logRetentionDays: 0 }).stack);
    forever.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: Match.absent() });
  });

  test('logHashKey: set on the connection Lambda and in publisherEnvironment() when given, absent from both otherwise', () => {
    const KEY = 'a-log-hash-key-of-32-characters!';
    const { stack, streaming } = botApp({ logHashKey: KEY });
    expect(streaming.publisherEnvironment()).toMatchObject({ [ENV.logHashKey]: KEY });
    Template.fromStack(stack).hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.logHashKey]: KEY }) },
    });

    const without = botApp();
    expect(without.streaming.publisherEnvironment()).not.toHaveProperty([ENV.logHashKey]);
    Template.fromStack(without.stack).allResourcesProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ [ENV.logHashKey]: Match.absent() }) },
    });
  });

  test.each([
    [{ logHashKey: 'fifteen-chars!!' }, /logHashKey must be empty or at least 16 characters, got 15/],
    [{ logHashKey: '  padded-to-16  ' }, /logHashKey must be empty or at least 16 characters, got 12/],
    [{ identityBinding: 'SOMETIMES' }, /identityBinding must be one of OWNER, STRICT, OFF, got "SOMETIMES"/],
    [{ identityBinding: 'WHEN_PRESENT' }, /identityBinding must be one of OWNER, STRICT, OFF/],
    [{ maxSessionsPerIdentity: 0 }, /maxSessionsPerIdentity must be a whole number from 1 to 1000, got 0/],
    [{ maxSessionsPerIdentity: 1001 }, /maxSessionsPerIdentity must be a whole number from 1 to 1000/],
    [{ maxTabsPerSession: 2.5 }, /maxTabsPerSession must be a whole number from 1 to 100, got 2.5/],
    [{ maxTabsPerSession: 101 }, /maxTabsPerSession must be a whole number from 1 to 100, got 101/],
    [{ logRetentionDays: 42 }, /logRetentionDays must be one of .* got 42/],
    [{ throttlingRateLimit: 0 }, /throttlingRateLimit must be a positive number, got 0/],
    [
      { unknownActionThrottle: { burstLimit: 0, rateLimit: 5 } },
      /unknownActionThrottle.burstLimit must be a positive number, got 0/,
    ],
    [
      { reservedConcurrency: -2 },
      /reserved concurrency must be -1 \(none\) or a whole number from 0, got -2/,
    ],
    [
      { vpc: { subnetIds: [], securityGroupIds: ['sg-0123456789abcdef0'] } },
      /vpc.subnetIds must not be empty/,
    ],
  ] as [Partial<QnaStreamingProps>, RegExp][])(
    'rejects %j at construction, naming the bad value',
    (props, message) => {
      const stack = new Stack();
      expect(() => new QnaStreaming(stack, 'Streaming', { code: CODE, ...props })).toThrow(message);
    },
  );
});
