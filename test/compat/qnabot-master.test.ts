/**
 * The streaming template as QnABot 7.4's master uses it: uploaded in place of QnABot's own
 * streaming.json, created (EnableStreaming=TRUE) or updated (QnABot's template → ours) as the
 * master's nested `StreamingStack`, with exactly the parameters the master passes.
 *
 * Everything expected from QnABot is written down here by hand from QnABot on AWS v7.4.0 (no
 * upstream file is loaded):
 * - the parameters the master passes: source/templates/master/streamingstack.js;
 * - the values they can have, from the master's declarations: source/templates/master/index.js
 *   (BootstrapPrefix `AllowedPattern: '[^ ]*'`, blank allowed; LogRetentionPeriod Number, default 0,
 *   AllowedValues below; XraySetting FALSE/TRUE; the VPC lists CommaDelimitedList, default '',
 *   passed through `Fn::Join [',', …]`); CFNLambda/S3Clean are `Fn::GetAtt […, Arn]` of Lambdas,
 *   CFNInvokePolicy the Ref (ARN) of a managed policy;
 * - the outputs it reads: source/templates/master/{index,config}.js, dynamodb/index.js, roles.json
 *   and source/templates/util.js (streamingPermissions);
 * - QnABot's streaming template's logical ids and types: source/templates/streaming/resources.js
 *   and outputs.js.
 */
import { Template } from 'aws-cdk-lib/assertions';
import { TEMPLATE_KEY_PREFIX } from '../../cli/build-artifacts';
import {
  CfnEvaluator,
  type CfnTemplate,
  parameterValueProblems,
  referencedLogicalIds,
  resolveParameterString,
} from '../../cli/local-stack/cloudformation/evaluator';
import { ROUTES } from '../../functions/protocol/websocket';
import {
  QNABOT_SHARED_IDS,
  STREAMING_STAGE_NAME,
  STREAMING_TEMPLATE_KEY,
  synthTemplates,
  TEMPLATE_FILES,
} from '../../templates';
import { LAMBDA_KEY_PREFIX } from '../../templates/lambda-assets';
import { TEST_ASSET_KEYS } from '../templates/asset-keys';

// Prepare (once per file): the shipped streaming template, with fixed Lambda keys.
const synthesized = synthTemplates({ assetKeys: TEST_ASSET_KEYS });
const streaming = synthesized.streaming as unknown as CfnTemplate;
const template = Template.fromJSON(synthesized.streaming);

/** QnABot's master: LogRetentionPeriod AllowedValues (its Default is 0). */
const QNABOT_LOG_RETENTION_VALUES = [
  0, 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
];

/** What the master passes, as the nested stack receives it (every value a string). */
function masterParameters(overrides: Record<string, string> = {}): Record<string, string> {
  return {
    CFNLambda: 'arn:aws:lambda:us-east-1:111122223333:function:qnabot-CFNLambda-Q1w2E3r4T5y6',
    CFNInvokePolicy: 'arn:aws:iam::111122223333:policy/qnabot-CFNInvokePolicy-1A2B3C4D5E6F7',
    S3Clean: 'arn:aws:lambda:us-east-1:111122223333:function:qnabot-S3Clean-Z9x8C7v6B5n4',
    BootstrapBucket: 'qnabot-bootstrap-111122223333-us-east-1',
    BootstrapPrefix: '',
    LogRetentionPeriod: '0',
    XraySetting: 'FALSE',
    VPCSubnetIdList: '',
    VPCSecurityGroupIdList: '',
    ...overrides,
  };
}

/** The master's exact key set (streamingstack.js), checked against the helper above. */
const MASTER_PARAMETER_KEYS = [
  'CFNLambda',
  'CFNInvokePolicy',
  'S3Clean',
  'BootstrapBucket',
  'BootstrapPrefix',
  'LogRetentionPeriod',
  'XraySetting',
  'VPCSubnetIdList',
  'VPCSecurityGroupIdList',
];

const CASES: [string, Record<string, string>][] = [
  ["the master's defaults (blank prefix, logs never expire, no VPC)", masterParameters()],
  [
    'a prefix, 90-day logs, X-Ray on and a VPC',
    masterParameters({
      BootstrapPrefix: 'artifacts/qnabot-on-aws',
      LogRetentionPeriod: '90',
      XraySetting: 'TRUE',
      VPCSubnetIdList: 'subnet-1,subnet-2',
      VPCSecurityGroupIdList: 'sg-1,sg-2',
    }),
  ],
];

type Resources = Record<string, Record<string, unknown>>;

function propertiesOf(resources: Resources, id: string): Record<string, unknown> {
  const resource = resources[id];
  if (!resource) throw new Error(`Resource ${id} is not in the template`);
  return (resource.Properties ?? {}) as Record<string, unknown>;
}

const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });

describe('the parameters QnABot 7.4’s master passes', () => {
  test('are exactly the nine of streamingstack.js', () => {
    expect(Object.keys(masterParameters()).sort()).toEqual([...MASTER_PARAMETER_KEYS].sort());
  });

  test.each(CASES)('are accepted as CloudFormation would accept them: %s', (_name, values) => {
    // Every passed key declared, Number values numeric, AllowedValues / AllowedPattern /
    // MinValue / MaxValue satisfied, every parameter without a Default passed.
    expect(parameterValueProblems(streaming, values)).toEqual([]);
  });

  test.each(QNABOT_LOG_RETENTION_VALUES)('LogRetentionPeriod %d (QnABot allows it) is accepted', (days) => {
    expect(parameterValueProblems(streaming, masterParameters({ LogRetentionPeriod: String(days) }))).toEqual(
      [],
    );
  });

  test.each(['FALSE', 'TRUE'])('XraySetting %s is accepted', (xray) => {
    expect(parameterValueProblems(streaming, masterParameters({ XraySetting: xray }))).toEqual([]);
  });

  test('a value outside what the master allows is refused (the check is not vacuous)', () => {
    expect(parameterValueProblems(streaming, masterParameters({ LogRetentionPeriod: '2' }))).toEqual([
      expect.stringContaining('LogRetentionPeriod: "2" is not one of AllowedValues'),
    ]);
    expect(parameterValueProblems(streaming, masterParameters({ BootstrapPrefix: 'a b' }))).toEqual([
      expect.stringContaining('BootstrapPrefix: "a b" does not match AllowedPattern'),
    ]);
    expect(parameterValueProblems(streaming, { ...masterParameters(), Unknown: 'x' })).toEqual([
      'Unknown: not declared by the template',
    ]);
    const { BootstrapBucket: _bucket, ...withoutBucket } = masterParameters();
    expect(parameterValueProblems(streaming, withoutBucket)).toEqual([
      'BootstrapBucket: no value passed and no Default',
    ]);
  });

  test('CFNLambda, CFNInvokePolicy and S3Clean are optional Strings the template never uses', () => {
    for (const name of ['CFNLambda', 'CFNInvokePolicy', 'S3Clean']) {
      template.hasParameter(name, { Type: 'String', Default: '' });
      const { Parameters: _p, Metadata: _m, ...rest } = synthesized.streaming as Record<string, unknown>;
      expect(referencedLogicalIds(rest)).not.toContain(name);
    }
  });
});

describe('the template under the master’s values', () => {
  test.each(CASES)(
    'every condition decides and nothing refers to a missing resource: %s',
    (_name, values) => {
      const { resources, outputs } = new CfnEvaluator(streaming, values).effective();
      for (const id of referencedLogicalIds({ resources, outputs }, streaming.Parameters)) {
        expect(Object.keys(resources)).toContain(id);
      }
    },
  );

  test('LogRetentionPeriod 0 (the master’s default) keeps the logs forever; 90 keeps them 90 days', () => {
    const retention = (days: string) => {
      const { resources } = new CfnEvaluator(
        streaming,
        masterParameters({ LogRetentionPeriod: days }),
      ).effective();
      return Object.values(resources)
        .filter((resource) => resource.Type === 'AWS::Logs::LogGroup')
        .map((resource) => (resource.Properties as Record<string, unknown>).RetentionInDays);
    };
    expect(retention('0')).toEqual([undefined, undefined]);
    expect(retention('90')).toEqual([ref('LogRetentionPeriod'), ref('LogRetentionPeriod')]);
  });

  test('the comma-joined VPC lists put the connection Lambda in the subnets; blank lists keep it outside', () => {
    const vpcOf = (values: Record<string, string>) =>
      propertiesOf(new CfnEvaluator(streaming, values).effective().resources, 'StreamingLambda').VpcConfig;
    expect(vpcOf(masterParameters())).toBeUndefined();
    expect(
      vpcOf(masterParameters({ VPCSubnetIdList: 'subnet-1,subnet-2', VPCSecurityGroupIdList: 'sg-1' })),
    ).toEqual({ SubnetIds: ref('VPCSubnetIdList'), SecurityGroupIds: ref('VPCSecurityGroupIdList') });
  });
});

describe('the bucket layout QnABot uses: <BootstrapPrefix>/templates/… and <BootstrapPrefix>/lambda/…', () => {
  const s3KeyOf = (functionId: string, prefix: string) =>
    resolveParameterString(
      streaming,
      masterParameters({ BootstrapPrefix: prefix }),
      (propertiesOf(streaming.Resources as Resources, functionId).Code as { S3Key: unknown }).S3Key,
    );

  test('a blank prefix gives QnABot’s own leading-slash keys', () => {
    expect(s3KeyOf('StreamingLambda', '')).toBe(`/${TEST_ASSET_KEYS.connection}`);
    expect(s3KeyOf('AskFunction', '')).toBe(`/${TEST_ASSET_KEYS.ask}`);
  });

  test('a prefix gives <prefix>/lambda/<zip>', () => {
    expect(s3KeyOf('StreamingLambda', 'artifacts/qnabot-on-aws')).toBe(
      `artifacts/qnabot-on-aws/${TEST_ASSET_KEYS.connection}`,
    );
  });

  test('npm run package lays out the same keys the master and the template read', () => {
    // The master reads `${BootstrapPrefix}/templates/streaming.json`; the template's code keys are
    // `${BootstrapPrefix}/lambda/<zip>`; build/publish/ mirrors the bucket under the prefix.
    expect(STREAMING_TEMPLATE_KEY).toBe('templates/streaming.json');
    expect(`${TEMPLATE_KEY_PREFIX}/${TEMPLATE_FILES.streaming}`).toBe(STREAMING_TEMPLATE_KEY);
    expect(LAMBDA_KEY_PREFIX).toBe('lambda');
    for (const key of Object.values(TEST_ASSET_KEYS))
      expect(key).toMatch(/^lambda\/[a-z-]+-[0-9a-f]{12}\.zip$/);
  });
});

describe('the outputs the master reads', () => {
  // master/index.js and config.js: StreamingWebSocketEndpoint; roles.json, util.js:
  // StreamingWebSocketApiId and StreamingDynamoDbTableArn; dynamodb/index.js: StreamingDynamoDbTable;
  // streaming/outputs.js also has StreamingLambdaArn.
  const EXPECTED: Record<string, unknown> = {
    StreamingWebSocketApiId: ref('WebSocketAPI'),
    StreamingLambdaArn: getAtt('StreamingLambda', 'Arn'),
    StreamingDynamoDbTable: ref('StreamingDynamoTable'),
    StreamingDynamoDbTableArn: getAtt('StreamingDynamoTable', 'Arn'),
  };

  test.each(Object.entries(EXPECTED))(
    '%s exists, unconditionally, with the value QnABot’s has',
    (name, value) => {
      template.hasOutput(name, { Value: value });
      expect(streaming.Outputs?.[name]?.Condition).toBeUndefined();
    },
  );

  test('StreamingWebSocketEndpoint is wss://<WebSocketAPI>.execute-api.<region>.<suffix>/Prod', () => {
    const endpoint = streaming.Outputs?.StreamingWebSocketEndpoint;
    expect(endpoint?.Condition).toBeUndefined();
    const value = JSON.stringify(endpoint?.Value);
    expect(value).toContain('"wss://"');
    expect(value).toContain(JSON.stringify(ref('WebSocketAPI')));
    expect(value).toMatch(/"\/Prod"\]\]\}$/);
  });
});

describe('logical ids shared with QnABot’s streaming template (the drop-in update keeps these resources)', () => {
  /** QnABot 7.4 source/templates/streaming/resources.js: id → type, for the resources both templates have. */
  const QNABOT_SHARED: Record<string, string> = {
    WebSocketAPI: 'AWS::ApiGatewayV2::Api',
    ConnectRoute: 'AWS::ApiGatewayV2::Route',
    ConnectIntegration: 'AWS::ApiGatewayV2::Integration',
    PingRoute: 'AWS::ApiGatewayV2::Route',
    PingIntegration: 'AWS::ApiGatewayV2::Integration',
    WebSocketDeployment: 'AWS::ApiGatewayV2::Deployment',
    WebSocketStage: 'AWS::ApiGatewayV2::Stage',
    StreamingDynamoTable: 'AWS::DynamoDB::Table',
    StreamingLambda: 'AWS::Lambda::Function',
  };
  /** QnABot's other resources: deleted by the update, so none of ours may reuse the id. */
  const QNABOT_ONLY = [
    'StreamingLambdaLogGroup',
    'StreamingLambdaExecutionRole',
    'StreamingCodeVersion',
    'StreamingLambdaInvokePermission',
    'WebSocketLogGroup',
    'WebSocketApiLoggingRole',
    'ApiGatewayAccountConfig',
  ];

  test.each(Object.entries(QNABOT_SHARED))('%s exists, unconditionally, as %s', (id, type) => {
    const resource = streaming.Resources[id];
    expect(resource?.Type).toBe(type);
    expect(resource?.Condition).toBeUndefined();
  });

  test('the construct names exactly these as shared with QnABot', () => {
    expect([...QNABOT_SHARED_IDS].sort()).toEqual(Object.keys(QNABOT_SHARED).sort());
  });

  test('no resource of ours takes the id of a QnABot resource it does not replace', () => {
    for (const id of QNABOT_ONLY) expect(streaming.Resources).not.toHaveProperty([id]);
  });

  test('the properties whose change would replace them (or collide) are QnABot’s', () => {
    const resources = streaming.Resources as Resources;
    expect(propertiesOf(resources, 'WebSocketAPI')).toMatchObject({
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
    expect(propertiesOf(resources, 'ConnectRoute')).toMatchObject({
      ApiId: ref('WebSocketAPI'),
      RouteKey: ROUTES.connect,
      AuthorizationType: 'AWS_IAM',
      Target: { 'Fn::Join': ['/', ['integrations', ref('ConnectIntegration')]] },
    });
    expect(propertiesOf(resources, 'PingRoute')).toMatchObject({
      ApiId: ref('WebSocketAPI'),
      RouteKey: 'ping',
      Target: { 'Fn::Join': ['/', ['integrations', ref('PingIntegration')]] },
    });
    expect(propertiesOf(resources, 'ConnectIntegration')).toMatchObject({
      ApiId: ref('WebSocketAPI'),
      IntegrationType: 'AWS_PROXY',
    });
    expect(JSON.stringify(propertiesOf(resources, 'ConnectIntegration').IntegrationUri)).toContain(
      JSON.stringify(getAtt('StreamingLambda', 'Arn')),
    );
    expect(propertiesOf(resources, 'PingIntegration')).toMatchObject({
      ApiId: ref('WebSocketAPI'),
      IntegrationType: 'MOCK',
    });
    expect(propertiesOf(resources, 'WebSocketDeployment')).toEqual({ ApiId: ref('WebSocketAPI') });
    expect(propertiesOf(resources, 'WebSocketStage')).toMatchObject({
      ApiId: ref('WebSocketAPI'),
      StageName: 'Prod',
    });
    // QnABot's table: sessionId HASH, on demand, PITR, SSE, TTL on ttl, no name: updated in place.
    expect(propertiesOf(resources, 'StreamingDynamoTable')).toEqual({
      AttributeDefinitions: [{ AttributeName: 'sessionId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'sessionId', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    // No FunctionName (QnABot sets none): the function keeps its name and ARN.
    expect(propertiesOf(resources, 'StreamingLambda')).not.toHaveProperty('FunctionName');
    expect(propertiesOf(resources, 'StreamingLambda')).not.toHaveProperty('PackageType');
  });

  test('no log group has an explicit name that could collide with QnABot’s named ones', () => {
    for (const resource of Object.values(streaming.Resources)) {
      if (resource.Type === 'AWS::Logs::LogGroup')
        expect(resource.Properties).not.toHaveProperty('LogGroupName');
    }
  });

  test('the stage is Prod, the name in every URL and IAM resource QnABot and Lex Web UI hold', () => {
    expect(STREAMING_STAGE_NAME).toBe('Prod');
    template.resourceCountIs('AWS::ApiGatewayV2::Stage', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { StageName: 'Prod' });
  });
});
