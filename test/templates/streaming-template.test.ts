import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  CfnEvaluator,
  type CfnTemplate,
  parameterValueProblems,
  resolveParameterString,
} from '../../cli/local-stack/cloudformation/evaluator';
import { ROUTES } from '../../functions/protocol/websocket';
import { readLogHashKey } from '../../functions/shared/config';
import {
  BINDING_DEFAULTS,
  DEFAULT_SESSION_TTL_SECONDS,
  ENV,
  IDENTITY_BINDINGS,
} from '../../functions/shared/constants';
import { ACCESS_LOG_FORMAT, STREAMING_OUTPUTS, synthTemplates } from '../../templates';
import { TEST_ASSET_KEYS } from './asset-keys';

// Prepare (once per file): synthesize with fixed Lambda keys, so this file never bundles.
const CONNECTION_KEY = TEST_ASSET_KEYS.connection;
const synthesized = synthTemplates({ assetKeys: TEST_ASSET_KEYS });
const json = synthesized.streaming as unknown as CfnTemplate;
const template = Template.fromJSON(synthesized.streaming);

const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });
const routeTarget = (integration: string) => ({ 'Fn::Join': ['/', ['integrations', ref(integration)]] });
/** Item-level actions only: every item is read and written by its key (no Query, no index). */
const ITEM_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem'];
/** A publisher never updates an item in place (only the connection Lambda's `cancel` does). */
const PUBLISHER_ACTIONS = ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'];
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
      ref('WebSocketAPI'),
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
      ApiId: ref('WebSocketAPI'),
      RouteKey: ROUTES.connect,
      AuthorizationType: 'AWS_IAM',
      Target: routeTarget('ConnectIntegration'),
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      IntegrationType: 'AWS_PROXY',
      IntegrationUri: Match.objectLike({
        'Fn::Join': ['', Match.arrayWith([getAtt('StreamingLambda', 'Arn'), '/invocations'])],
      }),
    });
  });

  test.each([ROUTES.disconnect, ROUTES.cancel, ROUTES.default])(
    '%s goes to the connection Lambda',
    (routeKey) => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey,
        Target: routeTarget('ConnectIntegration'),
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
      FunctionName: getAtt('StreamingLambda', 'Arn'),
      Principal: 'apigateway.amazonaws.com',
      SourceArn: executeApiArn('/Prod/*'),
    });
  });
});

describe('streaming template: stage', () => {
  test('Prod is created or updated after every route and integration (QnABot upgrade: new routes before auto-deploy)', () => {
    const stage = json.Resources.WebSocketStage as { DependsOn?: string[] };
    expect([...(stage.DependsOn ?? [])].sort()).toEqual(
      [
        'CancelRoute',
        'ConnectIntegration',
        'ConnectRoute',
        'DefaultRoute',
        'DefaultRouteResponse',
        'DisconnectRoute',
        'PingIntegration',
        'PingRoute',
      ].sort(),
    );
  });

  test("QnABot's explicit deployment is kept, unused by the auto-deploying stage, so the upgrade never deletes the one Prod serves", () => {
    template.resourceCountIs('AWS::ApiGatewayV2::Deployment', 1);
    template.hasResource('AWS::ApiGatewayV2::Deployment', {
      Properties: { ApiId: ref('WebSocketAPI') },
      DependsOn: ['ConnectRoute', 'PingRoute'],
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', { DeploymentId: Match.absent() });
  });

  test('Prod auto-deploys, logs every request as JSON, and throttles from the parameters', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: ref('WebSocketAPI'),
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
    const format = (propertiesOf(json.Resources, 'WebSocketStage').AccessLogSettings as { Format: string })
      .Format;
    expect(Object.keys(JSON.parse(format))).toEqual(
      expect.arrayContaining(['requestId', 'routeKey', 'status', 'connectionId', 'integrationError']),
    );
  });

  test('throttling defaults are burst 500 and rate 1000', () => {
    template.hasParameter('ThrottlingBurstLimit', { Type: 'Number', Default: 500 });
    template.hasParameter('ThrottlingRateLimit', { Type: 'Number', Default: 1000 });
  });

  test('$default (unknown actions) has its own, lower throttle; ask gets one only when the route exists', () => {
    template.hasParameter('UnknownActionThrottlingBurstLimit', { Type: 'Number', Default: 50, MinValue: 1 });
    template.hasParameter('UnknownActionThrottlingRateLimit', { Type: 'Number', Default: 20, MinValue: 1 });
    const routeSettings = (parameters: Record<string, string>) =>
      propertiesOf(
        new CfnEvaluator(json, { BootstrapBucket: 'b', BootstrapPrefix: 'p', ...parameters }).effective()
          .resources,
        'WebSocketStage',
      ).RouteSettings;
    const unknownAction = {
      ThrottlingBurstLimit: ref('UnknownActionThrottlingBurstLimit'),
      ThrottlingRateLimit: ref('UnknownActionThrottlingRateLimit'),
      DataTraceEnabled: false,
    };
    // API Gateway refuses route settings for a route key the API does not have.
    expect(routeSettings({})).toEqual({ [ROUTES.default]: unknownAction });
    expect(routeSettings({ EnableDirectAsk: 'TRUE' })).toEqual({
      [ROUTES.default]: unknownAction,
      [ROUTES.ask]: {
        ThrottlingBurstLimit: ref('DirectAskThrottlingBurstLimit'),
        ThrottlingRateLimit: ref('DirectAskThrottlingRateLimit'),
        DataTraceEnabled: false,
      },
    });
  });
});

describe('streaming template: connection Lambda reserved concurrency', () => {
  const reserved = (value?: string) =>
    propertiesOf(
      new CfnEvaluator(json, {
        BootstrapBucket: 'b',
        BootstrapPrefix: 'p',
        ...(value === undefined ? {} : { ConnectionReservedConcurrency: value }),
      }).effective().resources,
      'StreamingLambda',
    ).ReservedConcurrentExecutions;

  test('none by default (-1: a QnABot master cannot pass it, and a reservation fails on accounts with little concurrency); 50 reserves; 0 is kept (an emergency stop)', () => {
    template.hasParameter('ConnectionReservedConcurrency', { Type: 'Number', Default: -1, MinValue: -1 });
    expect(reserved()).toBeUndefined();
    expect(reserved('50')).toEqual(ref('ConnectionReservedConcurrency'));
    expect(reserved('-1')).toBeUndefined();
    expect(reserved('0')).toEqual(ref('ConnectionReservedConcurrency'));
  });
});

describe('streaming template: session table', () => {
  test('partition key sessionId only (no sort key, no index), on-demand, SSE, PITR, TTL on ttl', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    // Exactly these properties: QnABot's table has the same, so the drop-in update leaves it alone.
    expect(propertiesOf(json.Resources, 'StreamingDynamoTable')).toEqual({
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'sessionId', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'sessionId', KeyType: 'HASH' }],
      SSESpecification: { SSEEnabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
    });
    expect(JSON.stringify(json)).not.toMatch(
      /ConnectionIdIndex|\/index\/|GlobalSecondaryIndexes|dynamodb:Query/,
    );
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

  test('environment carries the table, identity binding and its limits, session TTL, log level and log hash key', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: {
          [ENV.tableName]: ref('StreamingDynamoTable'),
          [ENV.identityBinding]: ref('IdentityBinding'),
          [ENV.maxSessionsPerIdentity]: ref('MaxSessionsPerIdentity'),
          [ENV.maxTabsPerSession]: ref('MaxTabsPerSession'),
          [ENV.sessionTtlSeconds]: String(DEFAULT_SESSION_TTL_SECONDS),
          [ENV.logLevel]: 'info',
          [ENV.logHashKey]: ref('LogHashKey'),
        },
      },
    });
  });

  test('IdentityBinding is OWNER, STRICT or OFF (OWNER by default), each explained in its description', () => {
    template.hasParameter('IdentityBinding', {
      Type: 'String',
      Default: 'OWNER',
      AllowedValues: [...IDENTITY_BINDINGS],
    });
    expect(IDENTITY_BINDINGS).toEqual(['OWNER', 'STRICT', 'OFF']);
    const description = String(json.Parameters?.IdentityBinding?.Description);
    for (const mode of IDENTITY_BINDINGS) expect(description).toContain(`${mode}:`);
    expect(description).toMatch(/OFF: any signed caller may use any session id \(QnABot's behaviour\)/);
  });

  test('MaxSessionsPerIdentity (1..1000) and MaxTabsPerSession (1..100) default to the binding defaults', () => {
    template.hasParameter('MaxSessionsPerIdentity', {
      Type: 'Number',
      Default: BINDING_DEFAULTS.maxSessionsPerIdentity,
      MinValue: 1,
      MaxValue: 1000,
    });
    template.hasParameter('MaxTabsPerSession', {
      Type: 'Number',
      Default: BINDING_DEFAULTS.maxTabsPerSession,
      MinValue: 1,
      MaxValue: 100,
    });
  });

  test('its role may write its own logs and get/put/update/delete items of the table, nothing else by default', () => {
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
      expect.objectContaining({ Action: ITEM_ACTIONS, Resource: getAtt('StreamingDynamoTable', 'Arn') }),
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
      (propertiesOf(r, 'StreamingLambda').TracingConfig as { Mode: string }).Mode;
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
        'StreamingLambda',
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
  test("log groups have generated names (none collides with QnABot's named ones)", () => {
    template.resourceCountIs('AWS::Logs::LogGroup', 3); // access logs, connection Lambda, ask Lambda
    template.allResourcesProperties('AWS::Logs::LogGroup', { LogGroupName: Match.absent() });
  });

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

describe('streaming template: log hash key', () => {
  const KEY = 'a-log-hash-key-of-32-characters!';
  const bootstrap = { BootstrapBucket: 'b', BootstrapPrefix: 'p' };
  const connectionKey = () =>
    (propertiesOf(json.Resources, 'StreamingLambda').Environment as { Variables: Record<string, unknown> })
      .Variables[ENV.logHashKey];

  test('LogHashKey: a NoEcho String, empty by default, empty or 16+ characters, its description says what empty means', () => {
    template.hasParameter('LogHashKey', {
      Type: 'String',
      NoEcho: true,
      Default: '',
      AllowedPattern: '^$|^.{16,}$',
      Description: Match.stringLikeRegexp('sessionRef, identityRef'),
    });
    const description = String(json.Parameters?.LogHashKey?.Description);
    expect(description).toMatch(/Empty: each Lambda container draws its own random key/);
    expect(description).toMatch(/refs match only within one container/);
    expect(description).toContain(ENV.logHashKey);
  });

  test('the connection Lambda and the ask Lambda (through publisherEnvironment) get the same key', () => {
    expect(connectionKey()).toEqual(ref('LogHashKey'));
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [ENV.modelId]: ref('DirectAskModelId'),
          [ENV.logHashKey]: ref('LogHashKey'),
        }),
      },
    });
    const functions = Object.values(json.Resources).filter((r) => r.Type === 'AWS::Lambda::Function');
    expect(functions).toHaveLength(2);
  });

  test("the default '' reaches the Lambdas as '', which the config reads as no key (a random key per container)", () => {
    expect(parameterValueProblems(json, bootstrap)).toEqual([]);
    const value = resolveParameterString(json, bootstrap, connectionKey());
    expect(value).toBe('');
    expect(readLogHashKey({ [ENV.logHashKey]: value })).toBeUndefined();
  });

  test('a value the parameter accepts is a key the Lambdas accept; a shorter one is refused at deploy, not at cold start', () => {
    const withKey = { ...bootstrap, LogHashKey: KEY };
    expect(parameterValueProblems(json, withKey)).toEqual([]);
    const value = resolveParameterString(json, withKey, connectionKey());
    expect(readLogHashKey({ [ENV.logHashKey]: value })).toBe(KEY);
    expect(parameterValueProblems(json, { ...bootstrap, LogHashKey: 'x'.repeat(16) })).toEqual([]);
    expect(parameterValueProblems(json, { ...bootstrap, LogHashKey: 'x'.repeat(15) })).toEqual([
      expect.stringMatching(/^LogHashKey: .* does not match AllowedPattern/),
    ]);
    expect(() => readLogHashKey({ [ENV.logHashKey]: 'x'.repeat(15) })).toThrow(/at least 16 characters/);
  });

  test('the key is never an output or in metadata (NoEcho hides only the parameter itself)', () => {
    const { Outputs, Metadata } = json as unknown as Record<string, unknown>;
    expect(JSON.stringify(Outputs)).not.toContain('"Ref":"LogHashKey"');
    expect(JSON.stringify(Metadata ?? {})).not.toContain('"Ref":"LogHashKey"');
    for (const resource of Object.values(json.Resources)) {
      expect(JSON.stringify(resource.Metadata ?? {})).not.toContain('"Ref":"LogHashKey"');
    }
  });
});

describe('streaming template: publisher policy', () => {
  test('grants POST to this API’s Prod @connections and item reads/writes on the table only', () => {
    template.resourceCountIs('AWS::IAM::ManagedPolicy', 1);
    const policy = json.Resources.PublisherPolicy;
    expect(statements(policy?.Properties?.PolicyDocument)).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'execute-api:ManageConnections',
        Resource: executeApiArn('/Prod/POST/@connections/*'),
      }),
      expect.objectContaining({
        Effect: 'Allow',
        Action: PUBLISHER_ACTIONS,
        Resource: getAtt('StreamingDynamoTable', 'Arn'),
      }),
    ]);
  });
});

describe('streaming template: access log', () => {
  test('names no identity, caller or session id (a Cognito identity id is a bearer secret)', () => {
    const stage = json.Resources.WebSocketStage?.Properties as {
      AccessLogSettings: { Format: string };
    };
    const format = stage.AccessLogSettings.Format;
    expect(format).toBe(ACCESS_LOG_FORMAT);
    for (const forbidden of [
      'cognitoIdentityId',
      'cognitoIdentityPoolId',
      'cognitoAuthenticationProvider',
      '$context.identity.user',
      '$context.identity.caller',
      '$context.identity.accountId',
      '$context.identity.accessKey',
      'querystring',
      '$context.authorizer',
    ]) {
      expect(format).not.toContain(forbidden);
    }
    expect(Object.keys(JSON.parse(format) as object)).toEqual([
      'requestId',
      'extendedRequestId',
      'requestTime',
      'eventType',
      'routeKey',
      'status',
      'connectionId',
      'sourceIp',
      'integrationStatus',
      'integrationError',
      'errorMessage',
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
    expect(on.WebSocketStage?.Metadata).toEqual({
      ApiGatewayAccount: ref('ApiGatewayAccount'),
      AskRoute: '',
    });
    expect(off.WebSocketStage?.Metadata).toEqual({ ApiGatewayAccount: '', AskRoute: '' });
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
        'CFNInvokePolicy',
        'CFNLambda',
        'ConfigureApiGatewayAccount',
        'ConnectionReservedConcurrency',
        'DirectAskAnswersInFlight',
        'DirectAskMaxTokens',
        'DirectAskModelId',
        'DirectAskQuestionsPerMinute',
        'DirectAskReservedConcurrency',
        'DirectAskThrottlingBurstLimit',
        'DirectAskThrottlingRateLimit',
        'EnableAlarms',
        'EnableDirectAsk',
        'IdentityBinding',
        'LogHashKey',
        'LogRetentionPeriod',
        'MaxSessionsPerIdentity',
        'MaxTabsPerSession',
        'S3Clean',
        'ThrottlingBurstLimit',
        'ThrottlingRateLimit',
        'UnknownActionThrottlingBurstLimit',
        'UnknownActionThrottlingRateLimit',
        'VPCSecurityGroupIdList',
        'VPCSubnetIdList',
        'XraySetting',
      ].sort(),
    );
    template.hasParameter('XraySetting', { Default: 'FALSE', AllowedValues: ['TRUE', 'FALSE'] });
    template.hasParameter('BootstrapBucket', { Type: 'String', Default: Match.absent() });
    // The QnABot master's own BootstrapPrefix pattern: blank allowed.
    template.hasParameter('BootstrapPrefix', {
      Type: 'String',
      Default: Match.absent(),
      AllowedPattern: '[^ ]*',
    });
  });

  test.each(['CFNLambda', 'CFNInvokePolicy', 'S3Clean'])(
    '%s: a String with an empty default, declared for the QnABot master and used nowhere',
    (name) => {
      template.hasParameter(name, {
        Type: 'String',
        Default: '',
        Description: Match.stringLikeRegexp('accepted for compatibility with the QnABot master; unused'),
      });
      const {
        Parameters: _parameters,
        Metadata: _metadata,
        ...rest
      } = json as unknown as Record<string, unknown>;
      expect(JSON.stringify(rest)).not.toContain(`"Ref":"${name}"`);
    },
  );

  test('outputs give clients and publishers everything they need', () => {
    const host = [
      ref('WebSocketAPI'),
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
    template.hasOutput(STREAMING_OUTPUTS.apiId, { Value: ref('WebSocketAPI') });
    template.hasOutput(STREAMING_OUTPUTS.tableName, { Value: ref('StreamingDynamoTable') });
    template.hasOutput(STREAMING_OUTPUTS.tableArn, { Value: getAtt('StreamingDynamoTable', 'Arn') });
    template.hasOutput(STREAMING_OUTPUTS.lambdaArn, { Value: getAtt('StreamingLambda', 'Arn') });
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
        'StreamingLambda',
        'ConnectionFunctionLogs',
        'ConnectionFunctionRole',
        'ConnectIntegration',
        'Dashboard',
        'DefaultRoute',
        'DefaultRouteResponse',
        'DisconnectRoute',
        'ErrorsAlarm',
        'PingIntegration',
        'PingRoute',
        'WebSocketDeployment',
        'WebSocketStage',
        'PublisherPolicy',
        'StreamingDynamoTable',
        'TimeToFirstTokenAlarm',
        'WebSocketAPI',
      ].sort(),
    );
    expect(JSON.stringify(json)).not.toMatch(/aws:cdk:path|CDKMetadata|BootstrapVersion/);
  });
});
