import { Match, Template } from 'aws-cdk-lib/assertions';
import { DEFAULT_SESSION_TTL_SECONDS, ENV, ROUTES, TABLE } from '../../functions/shared/constants';
import { STREAMING_OUTPUTS, synthTemplates } from '../../templates';
import { TEST_ASSET_KEYS } from './asset-keys';
import { CfnEvaluator, type CfnTemplate } from './cfn-evaluator';

// Prepare (once per file): synthesize with fixed Lambda keys, so this file never bundles.
const CONNECTION_KEY = TEST_ASSET_KEYS.connection;
const synthesized = synthTemplates({ assetKeys: TEST_ASSET_KEYS });
const json = synthesized.streaming as unknown as CfnTemplate;
const template = Template.fromJSON(synthesized.streaming);

const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });
const routeTarget = (integration: string) => ({ 'Fn::Join': ['/', ['integrations', ref(integration)]] });
const tableIndexArn = {
  'Fn::Join': ['', [getAtt('SessionTable', 'Arn'), `/index/${TABLE.connectionIndex}`]],
};
const executeApiArn = (suffix: string) => ({
  'Fn::Join': [
    '',
    [
      'arn:',
      ref('AWS::Partition'),
      ':execute-api:',
      ref('AWS::Region'),
      ':',
      ref('AWS::AccountId'),
      ':',
      ref('WebSocketApi'),
      suffix,
    ],
  ],
});

type Resources = Record<string, Record<string, unknown>>;

/** Properties of a resource that must exist (fails the test with its id otherwise). */
function propertiesOf(resources: Resources, id: string): Record<string, unknown> {
  const resource = resources[id];
  if (!resource) throw new Error(`Resource ${id} is not in the template`);
  return (resource.Properties ?? {}) as Record<string, unknown>;
}

function statements(policyDocument: unknown): Record<string, unknown>[] {
  return (policyDocument as { Statement: Record<string, unknown>[] }).Statement;
}

describe('streaming template: WebSocket API and routes', () => {
  test('one WebSocket API routes on $request.body.action', () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Api', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  test('$connect requires IAM (SigV4) and goes to the connection Lambda by proxy', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      ApiId: ref('WebSocketApi'),
      RouteKey: ROUTES.connect,
      AuthorizationType: 'AWS_IAM',
      Target: routeTarget('ConnectionIntegration'),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([getAtt('ConnectionFunction', 'Arn'), '/invocations'])],
      }),
    });
  });

  test.each([ROUTES.disconnect, ROUTES.cancel, ROUTES.default])(
    '%s goes to the connection Lambda',
    (routeKey) => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        Target: routeTarget('ConnectionIntegration'),
      });
    },
  );

  test('$default sends the Lambda body (an error frame) back through a $default route response', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: ROUTES.default,
      RouteResponseSelectionExpression: '$default',
    });
    template.resourceCountIs('AWS::ApiGatewayV2::RouteResponse', 1);
    template.hasResourceProperties('AWS::ApiGatewayV2::RouteResponse', {
      RouteId: ref('DefaultRoute'),
      RouteResponseKey: '$default',
    });
  });

  test('ping is answered by a MOCK integration with no route response, so the client gets no reply', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      RouteKey: ROUTES.ping,
      Target: routeTarget('PingIntegration'),
      RouteResponseSelectionExpression: Match.absent(),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'MOCK',
      TemplateSelectionExpression: '\\$default',
      RequestTemplates: { $default: Match.stringLikeRegexp('"statusCode":\\s*200') },
    });
    // Five routes by default; the sixth (`ask`) exists only with EnableDirectAsk=TRUE (direct-ask.test.ts).
    const { resources } = new CfnEvaluator(json, { BootstrapBucket: 'b', BootstrapPrefix: 'p' }).effective();
    expect(Object.values(resources).filter((r) => r.Type === 'AWS::ApiGatewayV2::Route')).toHaveLength(5);
  });

  test('API Gateway may invoke the connection Lambda only from this API and stage', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: getAtt('ConnectionFunction', 'Arn'),
      Principal: 'apigateway.amazonaws.com',
      SourceArn: executeApiArn('/Prod/*'),
    });
  });
});

describe('streaming template: stage', () => {
  test('Prod auto-deploys, logs every request as JSON, and throttles from the parameters', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: ref('WebSocketApi'),
      StageName: 'Prod',
      AutoDeploy: true,
      AccessLogSettings: {
        DestinationArn: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith([ref('AccessLogs')])] }),
        Format: Match.stringLikeRegexp('\\$context\\.connectionId'),
      },
      DefaultRouteSettings: {
        ThrottlingBurstLimit: ref('ThrottlingBurstLimit'),
        ThrottlingRateLimit: ref('ThrottlingRateLimit'),
      },
    });
    const format = (propertiesOf(json.Resources, 'ProdStage').AccessLogSettings as { Format: string }).Format;
    expect(Object.keys(JSON.parse(format))).toEqual(
      expect.arrayContaining(['requestId', 'routeKey', 'status', 'connectionId', 'cognitoIdentityId']),
    );
  });

  test('throttling defaults are burst 500 and rate 1000', () => {
    template.hasParameter('ThrottlingBurstLimit', { Type: 'Number', Default: 500 });
    template.hasParameter('ThrottlingRateLimit', { Type: 'Number', Default: 1000 });
  });
});

describe('streaming template: session table', () => {
  test('sessionId/connectionId keys, connectionId GSI, on-demand, SSE, PITR, TTL on ttl', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [
        { AttributeName: 'sessionId', KeyType: 'HASH' },
        { AttributeName: 'connectionId', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'ConnectionIdIndex',
          KeySchema: [{ AttributeName: 'connectionId', KeyType: 'HASH' }],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
  });
});

describe('streaming template: connection Lambda', () => {
  test('Node 22, index.handler, code from BootstrapBucket/BootstrapPrefix/<asset key>', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Role: getAtt('ConnectionFunctionRole', 'Arn'),
      Code: {
        S3Bucket: ref('BootstrapBucket'),
        S3Key: { 'Fn::Join': ['/', [ref('BootstrapPrefix'), CONNECTION_KEY]] },
      },
      LoggingConfig: { LogGroup: ref('ConnectionFunctionLogs') },
    });
  });

  test('environment carries the table, identity binding, session TTL and log level', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          [ENV.tableName]: ref('SessionTable'),
          [ENV.identityBinding]: ref('IdentityBinding'),
          [ENV.sessionTtlSeconds]: String(DEFAULT_SESSION_TTL_SECONDS),
          [ENV.logLevel]: 'info',
        },
      },
    });
    template.hasParameter('IdentityBinding', {
      Default: 'WHEN_PRESENT',
      AllowedValues: ['WHEN_PRESENT', 'REQUIRED'],
    });
  });

  test('its role may write its own logs and use the table and index, nothing else by default', () => {
    const role = json.Resources.ConnectionFunctionRole;
    const policies = role?.Properties?.Policies as { PolicyDocument: unknown }[];
    expect(policies).toHaveLength(1);
    expect(role?.Properties?.ManagedPolicyArns).toBeUndefined();
    const effective = new CfnEvaluator(json, { BootstrapBucket: 'b', BootstrapPrefix: 'p' });
    const resolved = effective.resolve(policies[0]?.PolicyDocument) as unknown;
    expect(statements(resolved)).toEqual([
      expect.objectContaining({
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: getAtt('ConnectionFunctionLogs', 'Arn'),
      }),
      expect.objectContaining({
        Action: ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:UpdateItem', 'dynamodb:Query'],
        Resource: getAtt('SessionTable', 'Arn'),
      }),
      expect.objectContaining({ Action: ['dynamodb:Query'], Resource: tableIndexArn }),
    ]);
  });

  test('XraySetting=TRUE turns on active tracing and adds exactly the X-Ray write permissions', () => {
    const off = new CfnEvaluator(json, { BootstrapBucket: 'b', BootstrapPrefix: 'p' }).effective();
    const on = new CfnEvaluator(json, {
      BootstrapBucket: 'b',
      BootstrapPrefix: 'p',
      XraySetting: 'TRUE',
    }).effective();
    const mode = (r: Resources) =>
      (propertiesOf(r, 'ConnectionFunction').TracingConfig as { Mode: string }).Mode;
    expect(mode(off.resources)).toBe('PassThrough');
    expect(mode(on.resources)).toBe('Active');
    const actions = (r: Resources) => {
      const [policy] = propertiesOf(r, 'ConnectionFunctionRole').Policies as { PolicyDocument: unknown }[];
      return statements(policy?.PolicyDocument).flatMap((s) => s.Action as string[]);
    };
    expect(actions(off.resources)).not.toContain('xray:PutTraceSegments');
    expect(actions(on.resources)).toEqual(
      expect.arrayContaining(['xray:PutTraceSegments', 'xray:PutTelemetryRecords']),
    );
  });

  test('VPC config applies only when both subnet and security group lists are given', () => {
    const base = { BootstrapBucket: 'b', BootstrapPrefix: 'p' };
    const vpcOf = (parameters: Record<string, string>) =>
      propertiesOf(
        new CfnEvaluator(json, { ...base, ...parameters }).effective().resources,
        'ConnectionFunction',
      ).VpcConfig;
    expect(vpcOf({})).toBeUndefined();
    expect(vpcOf({ VPCSubnetIdList: 'subnet-1,subnet-2' })).toBeUndefined();
    expect(vpcOf({ VPCSubnetIdList: 'subnet-1,subnet-2', VPCSecurityGroupIdList: 'sg-1' })).toEqual({
      SubnetIds: ref('VPCSubnetIdList'),
      SecurityGroupIds: ref('VPCSecurityGroupIdList'),
    });
    template.hasParameter('VPCSubnetIdList', { Type: 'CommaDelimitedList', Default: '' });
    template.hasParameter('VPCSecurityGroupIdList', { Type: 'CommaDelimitedList', Default: '' });
  });
});

describe('streaming template: logs', () => {
  test('both log groups keep LogRetentionPeriod days; 0 means never expire', () => {
    template.hasParameter('LogRetentionPeriod', {
      Type: 'Number',
      Default: 30,
      AllowedValues: Match.arrayWith(['0', '1', '30', '3653']),
    });
    const retention = (parameters: Record<string, string>) => {
      const { resources } = new CfnEvaluator(json, {
        BootstrapBucket: 'b',
        BootstrapPrefix: 'p',
        ...parameters,
      }).effective();
      return ['AccessLogs', 'ConnectionFunctionLogs'].map(
        (id) => propertiesOf(resources, id).RetentionInDays,
      );
    };
    expect(retention({})).toEqual([ref('LogRetentionPeriod'), ref('LogRetentionPeriod')]);
    expect(retention({ LogRetentionPeriod: '0' })).toEqual([undefined, undefined]);
  });
});

describe('streaming template: publisher policy', () => {
  test('grants POST to this API’s Prod @connections and read/forget on the table and index only', () => {
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
    const policy = json.Resources.PublisherPolicy;
    expect(statements(policy?.Properties?.PolicyDocument)).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'execute-api:ManageConnections',
        Resource: executeApiArn('/Prod/POST/@connections/*'),
      }),
      expect.objectContaining({
        Action: ['dynamodb:Query', 'dynamodb:GetItem', 'dynamodb:DeleteItem'],
        Resource: getAtt('SessionTable', 'Arn'),
      }),
      expect.objectContaining({ Action: 'dynamodb:Query', Resource: tableIndexArn }),
    ]);
  });
});

describe('streaming template: API Gateway account role', () => {
  test('the region-wide account setting is created only when ConfigureApiGatewayAccount=TRUE', () => {
    template.hasParameter('ConfigureApiGatewayAccount', {
      Default: 'FALSE',
      AllowedValues: ['TRUE', 'FALSE'],
    });
    const base = { BootstrapBucket: 'b', BootstrapPrefix: 'p' };
    const off = new CfnEvaluator(json, base).effective().resources;
    const on = new CfnEvaluator(json, { ...base, ConfigureApiGatewayAccount: 'TRUE' }).effective().resources;
    const accountTypes = (r: Record<string, Record<string, unknown>>) =>
      Object.values(r)
        .map((resource) => resource.Type)
        .filter((type) => type === 'AWS::ApiGateway::Account');
    expect(accountTypes(off)).toEqual([]);
    expect(accountTypes(on)).toEqual(['AWS::ApiGateway::Account']);
    expect(on.ApiGatewayAccount?.Properties).toEqual({
      CloudWatchRoleArn: getAtt('ApiGatewayCloudWatchRole', 'Arn'),
    });
    // The stage waits for the account setting when it is created (no DependsOn on a conditional resource).
    expect(on.ProdStage?.Metadata).toEqual({ ApiGatewayAccount: ref('ApiGatewayAccount') });
    expect(off.ProdStage?.Metadata).toEqual({ ApiGatewayAccount: '' });
  });
});

describe('streaming template: parameters and outputs', () => {
  test('QnABot-compatible parameters', () => {
    expect(Object.keys(json.Parameters ?? {}).sort()).toEqual(
      [
        'AlarmEmail',
        'AlarmErrorThreshold',
        'AlarmTimeToFirstTokenMs',
        'BootstrapBucket',
        'BootstrapPrefix',
        'ConfigureApiGatewayAccount',
        'DirectAskModelId',
        'EnableAlarms',
        'EnableDirectAsk',
        'IdentityBinding',
        'LogRetentionPeriod',
        'ThrottlingBurstLimit',
        'ThrottlingRateLimit',
        'VPCSecurityGroupIdList',
        'VPCSubnetIdList',
        'XraySetting',
      ].sort(),
    );
    template.hasParameter('XraySetting', { Default: 'FALSE', AllowedValues: ['TRUE', 'FALSE'] });
    template.hasParameter('BootstrapBucket', { Type: 'String', Default: Match.absent() });
  });

  test('outputs give clients and publishers everything they need', () => {
    const host = [
      ref('WebSocketApi'),
      '.execute-api.',
      ref('AWS::Region'),
      '.',
      ref('AWS::URLSuffix'),
      '/Prod',
    ];
    template.hasOutput(STREAMING_OUTPUTS.webSocketEndpoint, {
      Value: { 'Fn::Join': ['', ['wss://', ...host]] },
    });
    template.hasOutput(STREAMING_OUTPUTS.callbackUrl, { Value: { 'Fn::Join': ['', ['https://', ...host]] } });
    template.hasOutput(STREAMING_OUTPUTS.apiId, { Value: ref('WebSocketApi') });
    template.hasOutput(STREAMING_OUTPUTS.tableName, { Value: ref('SessionTable') });
    template.hasOutput(STREAMING_OUTPUTS.tableArn, { Value: getAtt('SessionTable', 'Arn') });
    template.hasOutput(STREAMING_OUTPUTS.lambdaArn, { Value: getAtt('ConnectionFunction', 'Arn') });
    template.hasOutput(STREAMING_OUTPUTS.publisherPolicyArn, { Value: ref('PublisherPolicy') });
    // The seven above, plus the dashboard URL and the (conditional) alarm topic: see observability.test.ts.
    expect(Object.keys(json.Outputs ?? {})).toHaveLength(9);
  });

  test('logical ids are the stable construct ids (no CDK hashes), and no CDK bookkeeping is left', () => {
    expect(Object.keys(json.Resources).sort()).toEqual(
      [
        'AccessLogs',
        'AlarmEmailSubscription',
        'AlarmTopic',
        'AlarmTopicPolicy',
        'ApiGatewayAccount',
        'ApiGatewayCloudWatchRole',
        'ApiInvokePermission',
        'AskEventInvokeConfig',
        'AskFunction',
        'AskFunctionLogs',
        'AskFunctionRole',
        'AskIntegration',
        'AskInvokePermission',
        'AskRoute',
        'CancelRoute',
        'ConnectRoute',
        'ConnectionFunction',
        'ConnectionFunctionLogs',
        'ConnectionFunctionRole',
        'ConnectionIntegration',
        'Dashboard',
        'DefaultRoute',
        'DefaultRouteResponse',
        'DisconnectRoute',
        'ErrorsAlarm',
        'PingIntegration',
        'PingRoute',
        'ProdStage',
        'PublisherPolicy',
        'SessionTable',
        'TimeToFirstTokenAlarm',
        'WebSocketApi',
      ].sort(),
    );
    expect(JSON.stringify(json)).not.toMatch(/aws:cdk:path|CDKMetadata|BootstrapVersion/);
  });
});
