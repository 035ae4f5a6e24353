/**
 * The direct-ask route in the streaming template: everything exists only with EnableDirectAsk=TRUE,
 * the route invokes the ask Lambda asynchronously (so the 29 s integration limit never applies to
 * an answer), the Lambda may call only the chosen model and publish to this API, and cdk-nag stays
 * clean with the route in the template.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  CfnEvaluator,
  type CfnTemplate,
  referencedLogicalIds,
} from '../../cli/local-stack/cloudformation/evaluator';
import { ROUTES } from '../../functions/protocol/websocket';
import { ENV } from '../../functions/shared/constants';
import {
  createTemplateApp,
  DIRECT_ASK_REQUEST_TEMPLATE,
  listAcknowledgements,
  STREAMING_PARAMETERS,
  synthTemplates,
} from '../../templates';
import { TEST_ASSET_KEYS } from './asset-keys';

// Prepare (once per file).
const synthesized = synthTemplates({ assetKeys: TEST_ASSET_KEYS });
const json = synthesized.streaming as unknown as CfnTemplate;
const bootstrap = { BootstrapBucket: 'b', BootstrapPrefix: 'p' };
const ref = (id: string) => ({ Ref: id });
const getAtt = (id: string, attribute: string) => ({ 'Fn::GetAtt': [id, attribute] });

type Resources = Record<string, Record<string, unknown>>;

function effective(parameters: Record<string, string> = {}) {
  return new CfnEvaluator(json, { ...bootstrap, ...parameters }).effective();
}

function propertiesOf(resources: Resources, id: string): Record<string, unknown> {
  const resource = resources[id];
  if (!resource) throw new Error(`Resource ${id} is not in the template`);
  return (resource.Properties ?? {}) as Record<string, unknown>;
}

const ASK_RESOURCES = [
  'AskEventInvokeConfig',
  'AskFunction',
  'AskFunctionLogs',
  'AskFunctionRole',
  'AskIntegration',
  'AskInvokePermission',
  'AskRoute',
];

describe('EnableDirectAsk parameter', () => {
  test('is TRUE/FALSE, FALSE by default, with a model id parameter', () => {
    expect(json.Parameters?.[STREAMING_PARAMETERS.enableDirectAsk]).toMatchObject({
      Type: 'String',
      Default: 'FALSE',
      AllowedValues: ['TRUE', 'FALSE'],
    });
    expect(json.Parameters?.[STREAMING_PARAMETERS.directAskModelId]).toMatchObject({ Type: 'String' });
  });

  test('off (the default): no ask route, integration, Lambda, role or permission', () => {
    const { resources } = effective();
    expect(Object.keys(resources).filter((id) => id.startsWith('Ask'))).toEqual([]);
    const routeKeys = Object.values(resources)
      .filter((resource) => resource.Type === 'AWS::ApiGatewayV2::Route')
      .map((resource) => (resource.Properties as { RouteKey: string }).RouteKey);
    expect(routeKeys).not.toContain(ROUTES.ask);
  });

  test('on: the route and everything it needs, and nothing refers to a resource that is not created', () => {
    const { resources, outputs } = effective({ EnableDirectAsk: 'TRUE' });
    expect(
      Object.keys(resources)
        .filter((id) => id.startsWith('Ask'))
        .sort(),
    ).toEqual(ASK_RESOURCES);
    for (const id of referencedLogicalIds({ resources, outputs }, json.Parameters)) {
      expect(Object.keys(resources)).toContain(id);
    }
    for (const id of referencedLogicalIds(resources.AskRoute, json.Parameters)) {
      expect(json.Resources[id]).toBeDefined();
    }
  });
});

describe('with EnableDirectAsk=TRUE', () => {
  const { resources } = effective({ EnableDirectAsk: 'TRUE', DirectAskModelId: 'anthropic.claude-x' });

  test('the ask route has no authorizer (only $connect can) and targets the async integration', () => {
    expect(propertiesOf(resources, 'AskRoute')).toEqual({
      ApiId: ref('WebSocketAPI'),
      RouteKey: 'ask',
      AuthorizationType: 'NONE',
      OperationName: 'Ask',
      Target: { 'Fn::Join': ['/', ['integrations', ref('AskIntegration')]] },
    });
    const routeResponses = Object.values(resources).filter(
      (resource) => resource.Type === 'AWS::ApiGatewayV2::RouteResponse',
    );
    expect(JSON.stringify(routeResponses)).not.toContain('AskRoute');
  });

  test('the integration invokes the ask Lambda asynchronously (Event) with the small request template', () => {
    const integration = propertiesOf(resources, 'AskIntegration');
    expect(integration).toMatchObject({
      IntegrationType: 'AWS',
      IntegrationMethod: 'POST',
      RequestParameters: { 'integration.request.header.X-Amz-Invocation-Type': "'Event'" },
      TemplateSelectionExpression: '\\$default',
      RequestTemplates: { $default: DIRECT_ASK_REQUEST_TEMPLATE },
    });
    expect(JSON.stringify(integration.IntegrationUri)).toContain(
      JSON.stringify(getAtt('AskFunction', 'Arn')),
    );
    // What the template maps: the connection, the request time and the client's message.
    expect(DIRECT_ASK_REQUEST_TEMPLATE).toContain('$context.connectionId');
    expect(DIRECT_ASK_REQUEST_TEMPLATE).toContain('$context.requestTimeEpoch');
    expect(DIRECT_ASK_REQUEST_TEMPLATE).toContain('$input.body');
    // The message first, the supplied fields after it, so trailing text cannot override them.
    expect(DIRECT_ASK_REQUEST_TEMPLATE.startsWith('{"body":$input.body,')).toBe(true);
  });

  test('Lambda does not retry a failed answer (it would stream twice) and drops stale questions', () => {
    expect(propertiesOf(resources, 'AskEventInvokeConfig')).toEqual({
      FunctionName: ref('AskFunction'),
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 60,
    });
  });

  test('API Gateway may invoke the ask Lambda only from this API, stage and route', () => {
    const permission = propertiesOf(resources, 'AskInvokePermission');
    expect(permission).toMatchObject({
      Action: 'lambda:InvokeFunction',
      FunctionName: getAtt('AskFunction', 'Arn'),
      Principal: 'apigateway.amazonaws.com',
    });
    const sourceArn = permission.SourceArn as { 'Fn::Join': [string, unknown[]] };
    expect(sourceArn['Fn::Join'][1]).toContain(`/Prod/${ROUTES.ask}`);
    expect(sourceArn['Fn::Join'][1]).toContainEqual(ref('WebSocketAPI'));
  });

  test('the role may stream from the chosen model only, write its own logs, and publish to this API', () => {
    const role = propertiesOf(resources, 'AskFunctionRole');
    expect(role.ManagedPolicyArns).toEqual([ref('PublisherPolicy')]);
    const statements = (
      role.Policies as { PolicyDocument: { Statement: Record<string, unknown>[] } }[]
    ).flatMap((policy) => policy.PolicyDocument.Statement);
    expect(statements).toEqual([
      {
        Sid: 'OwnLogGroup',
        Effect: 'Allow',
        Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: getAtt('AskFunctionLogs', 'Arn'),
      },
      {
        Sid: 'AnswerModel',
        Effect: 'Allow',
        Action: 'bedrock:InvokeModelWithResponseStream',
        Resource: {
          'Fn::Join': [
            '',
            [
              'arn:',
              ref('AWS::Partition'),
              ':bedrock:',
              ref('AWS::Region'),
              '::foundation-model/',
              ref('DirectAskModelId'),
            ],
          ],
        },
      },
      {
        Sid: 'AskLeases',
        Effect: 'Allow',
        Action: 'dynamodb:UpdateItem',
        Resource: getAtt('StreamingDynamoTable', 'Arn'),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['a#*'] } },
      },
    ]);
    // No wildcard resource; the only `*` is the ask-limit key prefix of the LeadingKeys condition.
    expect(JSON.stringify(statements).replace('"a#*"', '')).not.toContain('*');
  });

  test('the Lambda gets the publisher settings of this API and the chosen model', () => {
    const variables = (
      propertiesOf(resources, 'AskFunction').Environment as { Variables: Record<string, unknown> }
    ).Variables;
    expect(variables[ENV.tableName]).toEqual(ref('StreamingDynamoTable'));
    expect(JSON.stringify(variables[ENV.callbackUrl])).toContain('"https://"');
    expect(variables[ENV.modelId]).toEqual(ref('DirectAskModelId'));
    expect(variables[ENV.maxTokens]).toEqual(ref('DirectAskMaxTokens'));
    expect(variables[ENV.askAnswersInFlight]).toEqual(ref('DirectAskAnswersInFlight'));
    expect(variables[ENV.askQuestionsPerMinute]).toEqual(ref('DirectAskQuestionsPerMinute'));
    expect(variables[ENV.coalesceWindowMs]).toBe('250');
    expect(propertiesOf(resources, 'AskFunction').Code).toEqual({
      S3Bucket: ref('BootstrapBucket'),
      S3Key: { 'Fn::Join': ['/', [ref('BootstrapPrefix'), TEST_ASSET_KEYS.ask]] },
    });
  });
});

describe('what direct ask may spend', () => {
  test('parameters: 1,024 output tokens, one answer in flight per session, 10 questions a minute, 10 Lambdas at once, ask route 20 burst / 10 per second', () => {
    expect(json.Parameters?.DirectAskMaxTokens).toMatchObject({
      Type: 'Number',
      Default: 1024,
      MinValue: 1,
      MaxValue: 8192,
    });
    expect(json.Parameters?.DirectAskAnswersInFlight).toMatchObject({
      Default: 1,
      MinValue: 1,
      MaxValue: 10,
    });
    expect(json.Parameters?.DirectAskQuestionsPerMinute).toMatchObject({
      Default: 10,
      MinValue: 0,
      MaxValue: 600,
    });
    expect(json.Parameters?.DirectAskReservedConcurrency).toMatchObject({ Default: 10, MinValue: -1 });
    expect(json.Parameters?.DirectAskThrottlingBurstLimit).toMatchObject({ Default: 20, MinValue: 1 });
    expect(json.Parameters?.DirectAskThrottlingRateLimit).toMatchObject({ Default: 10, MinValue: 1 });
  });

  test('reserved concurrency: the parameter by default and for 0 (emergency stop); -1 drops the property', () => {
    const reserved = (value?: string) =>
      propertiesOf(
        effective({
          EnableDirectAsk: 'TRUE',
          ...(value === undefined ? {} : { DirectAskReservedConcurrency: value }),
        }).resources,
        'AskFunction',
      ).ReservedConcurrentExecutions;
    expect(reserved()).toEqual(ref('DirectAskReservedConcurrency'));
    expect(reserved('0')).toEqual(ref('DirectAskReservedConcurrency'));
    expect(reserved('-1')).toBeUndefined();
  });

  test('the stage is ordered after the ask route it throttles, without DependsOn on a conditional resource', () => {
    expect(effective({ EnableDirectAsk: 'TRUE' }).resources.WebSocketStage?.Metadata).toMatchObject({
      AskRoute: ref('AskRoute'),
    });
    expect(effective().resources.WebSocketStage?.Metadata).toMatchObject({ AskRoute: '' });
  });
});

test('cdk-nag passed with the route in the template, acknowledging only the no-authorizer route and the pinned runtime', () => {
  // synthTemplates above would have thrown on an unacknowledged finding; these are the reasons given.
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qna-streaming-ask-'));
  try {
    const { streaming } = createTemplateApp(dir, TEST_ASSET_KEYS);
    const acknowledged = listAcknowledgements(streaming.directAsk).map((a) => a.id);
    expect(acknowledged.sort()).toEqual([
      'AwsSolutions::AwsSolutions-APIG4',
      'AwsSolutions::AwsSolutions-L1',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
