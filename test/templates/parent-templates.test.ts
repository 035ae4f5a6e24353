import { Template } from 'aws-cdk-lib/assertions';
import {
  CfnEvaluator,
  type CfnTemplate,
  parameterValueProblems,
  referencedLogicalIds,
  resolveParameterString,
} from '../../cli/local-stack/cloudformation/evaluator';
import { PUBLISHER_DEFAULTS, readLogHashKey, readPublisherConfig } from '../../functions/shared/config';
import { ENV } from '../../functions/shared/constants';
import { MONITORING_OUTPUTS, PARENT_NAMES, STREAMING_OUTPUTS, synthTemplates } from '../../templates';
import { PARENT_SETTING_NAMES } from '../../templates/shared-parameters';
import { TEST_ASSET_KEYS } from './asset-keys';

// Prepare (once per file).
const FULFILLMENT_KEY = TEST_ASSET_KEYS.fulfillment;
const synthesized = synthTemplates({ assetKeys: TEST_ASSET_KEYS });
const parent = synthesized.parentExample as unknown as CfnTemplate;
const streaming = synthesized.streaming as unknown as CfnTemplate;
const fragment = synthesized.parentFragment as unknown as CfnTemplate;
const template = Template.fromJSON(synthesized.parentExample);
const bootstrap = { BootstrapBucket: 'artifacts-bucket', BootstrapPrefix: 'qna/streaming' };

const ref = (id: string) => ({ Ref: id });
const streamingOutput = (name: string) => ({ 'Fn::GetAtt': ['StreamingStack', `Outputs.${name}`] });

function effectiveParent(enableStreaming: 'TRUE' | 'FALSE') {
  return new CfnEvaluator(parent, { ...bootstrap, EnableStreaming: enableStreaming }).effective();
}

function propertiesOf(
  resources: Record<string, Record<string, unknown>>,
  id: string,
): Record<string, unknown> {
  const resource = resources[id];
  if (!resource) throw new Error(`Resource ${id} is not in the template`);
  return (resource.Properties ?? {}) as Record<string, unknown>;
}

function environmentOf(
  resources: Record<string, Record<string, unknown>>,
  functionId: string,
): Record<string, unknown> {
  return (propertiesOf(resources, functionId).Environment as { Variables: Record<string, unknown> })
    .Variables;
}

function fulfillmentEnvironment(resources: Record<string, Record<string, unknown>>): Record<string, unknown> {
  return environmentOf(resources, 'FulfillmentFunction');
}

/** The example's publishing Lambdas: both wired the same way. */
const PUBLISHERS = ['FulfillmentFunction', 'QnabotHookFunction'] as const;

function inlineStatements(resources: Record<string, Record<string, unknown>>, roleId: string) {
  const policies = propertiesOf(resources, roleId).Policies as {
    PolicyDocument: { Statement: Record<string, unknown>[] };
  }[];
  return policies.flatMap((policy) => policy.PolicyDocument.Statement);
}

describe('example parent: the EnableStreaming toggle', () => {
  test('EnableStreaming is TRUE/FALSE, FALSE by default, and drives the StreamingEnabled condition', () => {
    template.hasParameter('EnableStreaming', {
      Type: 'String',
      Default: 'FALSE',
      AllowedValues: ['TRUE', 'FALSE'],
    });
    template.hasParameter('BootstrapBucket', { Type: 'String' });
    template.hasParameter('BootstrapPrefix', { Type: 'String' });
    template.hasCondition('StreamingEnabled', { 'Fn::Equals': [ref('EnableStreaming'), 'TRUE'] });
  });

  test('the nested stack loads templates/streaming.json from the bootstrap bucket, gated by the condition', () => {
    template.hasResource('AWS::CloudFormation::Stack', {
      Condition: 'StreamingEnabled',
      Properties: {
        TemplateURL: {
          'Fn::Join': [
            '',
            [
              'https://',
              ref('BootstrapBucket'),
              '.s3.',
              ref('AWS::Region'),
              '.',
              ref('AWS::URLSuffix'),
              '/',
              ref('BootstrapPrefix'),
              '/templates/streaming.json',
            ],
          ],
        },
        Parameters: {
          BootstrapBucket: ref('BootstrapBucket'),
          BootstrapPrefix: ref('BootstrapPrefix'),
          LogRetentionPeriod: ref('LogRetentionPeriod'),
          XraySetting: ref('XraySetting'),
          VPCSubnetIdList: { 'Fn::Join': [',', ref('VPCSubnetIdList')] },
          VPCSecurityGroupIdList: { 'Fn::Join': [',', ref('VPCSecurityGroupIdList')] },
          LogHashKey: ref('LogHashKey'),
          IdentityBinding: ref('IdentityBinding'),
          MaxSessionsPerIdentity: ref('MaxSessionsPerIdentity'),
          MaxTabsPerSession: ref('MaxTabsPerSession'),
          ConfigureApiGatewayAccount: ref('ConfigureApiGatewayAccount'),
          EnableDirectAsk: ref('EnableDirectAsk'),
          DirectAskModelId: ref('DirectAskModelId'),
          EnableAlarms: ref('EnableAlarms'),
          AlarmEmail: ref('AlarmEmail'),
          AlarmTimeToFirstTokenMs: ref('AlarmTimeToFirstTokenMs'),
          AlarmErrorThreshold: ref('AlarmErrorThreshold'),
        },
      },
    });
  });

  test('a blank BootstrapPrefix (allowed, as in QnABot) reads the template and code from QnABot’s leading-slash keys', () => {
    const values = {
      BootstrapBucket: 'artifacts-bucket',
      BootstrapPrefix: '',
      'AWS::Region': 'us-east-1',
      'AWS::URLSuffix': 'amazonaws.com',
    };
    const nested = propertiesOf(parent.Resources, 'StreamingStack');
    // QnABot's master: https://${BootstrapBucket}.s3.${AWS::Region}.amazonaws.com/${BootstrapPrefix}/templates/streaming.json
    expect(resolveParameterString(parent, values, nested.TemplateURL)).toBe(
      'https://artifacts-bucket.s3.us-east-1.amazonaws.com//templates/streaming.json',
    );
    const code = propertiesOf(parent.Resources, 'FulfillmentFunction').Code as { S3Key: unknown };
    expect(resolveParameterString(parent, values, code.S3Key)).toBe(`/${FULFILLMENT_KEY}`);
    expect(parent.Parameters?.BootstrapPrefix?.AllowedPattern).toBe('[^ ]*');
  });

  test("passes the master's log retention, X-Ray and VPC settings on, declared exactly as the streaming template declares them", () => {
    // QnABot's master has these parameters under these names; a VPC-deployed bot must get its
    // connection Lambda in the same subnets.
    for (const name of ['LogRetentionPeriod', 'XraySetting', 'VPCSubnetIdList', 'VPCSecurityGroupIdList']) {
      const inParent = parent.Parameters?.[name] as Record<string, unknown> | undefined;
      const inStreaming = streaming.Parameters?.[name] as Record<string, unknown> | undefined;
      expect(inParent).toBeDefined();
      expect({ ...inParent, Description: undefined }).toEqual({ ...inStreaming, Description: undefined });
    }
  });

  test('LogHashKey is declared as the streaming template declares it (NoEcho, empty default) and passed on', () => {
    template.hasParameter('LogHashKey', {
      Type: 'String',
      NoEcho: true,
      Default: '',
      AllowedPattern: '^$|^.{16,}$',
    });
    expect(parent.Parameters?.LogHashKey).toEqual(streaming.Parameters?.LogHashKey);
    expect(fragment.Parameters?.LogHashKey).toEqual(streaming.Parameters?.LogHashKey);
    expect(
      (propertiesOf(parent.Resources, 'StreamingStack').Parameters as Record<string, unknown>).LogHashKey,
    ).toEqual(ref('LogHashKey'));
  });

  test('the parameters passed to the nested stack exist there, and cover every one without a default', () => {
    const passed = Object.keys(propertiesOf(parent.Resources, 'StreamingStack').Parameters as object);
    const declared = streaming.Parameters ?? {};
    for (const name of passed) expect(declared).toHaveProperty([name]);
    const required = Object.entries(declared)
      .filter(([, parameter]) => parameter.Default === undefined)
      .map(([name]) => name);
    expect(passed.sort()).toEqual(expect.arrayContaining(required.sort()));
  });

  test('every nested output the parent reads is an output of the streaming template', () => {
    const read = new Set<string>();
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) {
        node.forEach(visit);
        return;
      }
      if (typeof node !== 'object' || node === null) return;
      const getAtt = (node as Record<string, unknown>)['Fn::GetAtt'];
      if (Array.isArray(getAtt) && getAtt[0] === 'StreamingStack')
        read.add(String(getAtt[1]).replace('Outputs.', ''));
      Object.values(node).forEach(visit);
    };
    visit(parent);
    expect(read.size).toBeGreaterThanOrEqual(4);
    for (const name of read) expect(streaming.Outputs).toHaveProperty([name]);
  });
});

/**
 * The nested stack's parameter values when the parent is deployed with `values` (and
 * EnableStreaming=TRUE): what CloudFormation passes to the streaming template.
 */
function nestedStackValues(values: Record<string, string>): Record<string, string> {
  const parentValues = { ...bootstrap, EnableStreaming: 'TRUE', ...values };
  const { resources } = new CfnEvaluator(parent, parentValues).effective();
  const passed = propertiesOf(resources, 'StreamingStack').Parameters as Record<string, unknown>;
  // A CommaDelimitedList passed as `Fn::Join [',', Ref list]` arrives as the list's own text.
  const joinedList = (value: unknown) => {
    const join = (value as { 'Fn::Join'?: [string, unknown] })['Fn::Join'];
    return join?.[0] === ',' && !Array.isArray(join[1]) ? join[1] : value;
  };
  return Object.fromEntries(
    Object.entries(passed).map(([name, value]) => [
      name,
      resolveParameterString(parent, parentValues, joinedList(value)),
    ]),
  );
}

function resourcesOfType(resources: Record<string, Record<string, unknown>>, type: string): string[] {
  return Object.entries(resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id]) => id);
}

describe('example parent: the streaming settings an admin sets on the bot stack', () => {
  const names = Object.values(PARENT_SETTING_NAMES);

  test.each(names)(
    '%s is declared on the parent and in the fragment exactly as in the streaming template, and passed on',
    (name) => {
      expect(parent.Parameters?.[name]).toEqual(streaming.Parameters?.[name]);
      expect(fragment.Parameters?.[name]).toEqual(streaming.Parameters?.[name]);
      expect(
        (propertiesOf(parent.Resources, 'StreamingStack').Parameters as Record<string, unknown>)[name],
      ).toEqual(ref(name));
    },
  );

  test('with none of them set, the nested stack deploys exactly as a standalone stack with the template defaults', () => {
    const nested = nestedStackValues({});
    expect(parameterValueProblems(streaming, nested)).toEqual([]);
    const viaParent = new CfnEvaluator(streaming, nested).effective();
    const standalone = new CfnEvaluator(streaming, bootstrap).effective();
    expect(viaParent).toEqual(standalone);
    expect(resourcesOfType(viaParent.resources, 'AWS::CloudWatch::Alarm')).toEqual([]);
  });

  test('EnableAlarms=TRUE and AlarmEmail on the parent give the nested stack its alarms, topic, subscription and topic output', () => {
    // Act
    const nested = nestedStackValues({
      EnableAlarms: 'TRUE',
      AlarmEmail: 'ops@example.com',
      AlarmTimeToFirstTokenMs: '2500',
      AlarmErrorThreshold: '3',
    });
    const { resources, outputs } = new CfnEvaluator(streaming, nested).effective();
    // Assess
    expect(nested).toMatchObject({ EnableAlarms: 'TRUE', AlarmEmail: 'ops@example.com' });
    expect(parameterValueProblems(streaming, nested)).toEqual([]);
    const alarms = resourcesOfType(resources, 'AWS::CloudWatch::Alarm');
    expect(alarms).toHaveLength(2);
    const thresholds = alarms.map((id) =>
      resolveParameterString(streaming, nested, propertiesOf(resources, id).Threshold),
    );
    expect(thresholds.sort()).toEqual(['2500', '3']);
    expect(resourcesOfType(resources, 'AWS::SNS::Topic')).toHaveLength(1);
    const [subscription] = resourcesOfType(resources, 'AWS::SNS::Subscription');
    expect(
      resolveParameterString(streaming, nested, propertiesOf(resources, subscription as string).Endpoint),
    ).toBe('ops@example.com');
    expect(outputs).toHaveProperty([MONITORING_OUTPUTS.alarmTopicArn]);
  });

  test('EnableDirectAsk=TRUE and DirectAskModelId on the parent give the nested stack the ask route, calling that model', () => {
    // Act
    const nested = nestedStackValues({
      EnableDirectAsk: 'TRUE',
      DirectAskModelId: 'anthropic.claude-3-haiku-20240307-v1:0',
    });
    const { resources } = new CfnEvaluator(streaming, nested).effective();
    // Assess
    const routes = resourcesOfType(resources, 'AWS::ApiGatewayV2::Route').map((id) =>
      String(propertiesOf(resources, id).RouteKey),
    );
    expect(routes).toContain('ask');
    const askFunction = resourcesOfType(resources, 'AWS::Lambda::Function').find(
      (id) => environmentOf(resources, id)[ENV.modelId] !== undefined,
    );
    const modelId = environmentOf(resources, askFunction as string)[ENV.modelId];
    expect(resolveParameterString(streaming, nested, modelId)).toBe('anthropic.claude-3-haiku-20240307-v1:0');
  });

  test('the identity binding, its caps and the API Gateway logging role reach the nested stack from the parent', () => {
    const nested = nestedStackValues({
      IdentityBinding: 'STRICT',
      MaxSessionsPerIdentity: '3',
      MaxTabsPerSession: '4',
      ConfigureApiGatewayAccount: 'TRUE',
    });
    expect(parameterValueProblems(streaming, nested)).toEqual([]);
    expect(nested).toMatchObject({
      IdentityBinding: 'STRICT',
      MaxSessionsPerIdentity: '3',
      MaxTabsPerSession: '4',
      ConfigureApiGatewayAccount: 'TRUE',
    });
    const { resources } = new CfnEvaluator(streaming, nested).effective();
    expect(resourcesOfType(resources, 'AWS::ApiGateway::Account')).toHaveLength(1);
  });
});

describe('example parent with EnableStreaming=FALSE', () => {
  const { resources, outputs } = effectiveParent('FALSE');

  test('no streaming resource or output remains', () => {
    expect(Object.values(resources).map((r) => r.Type)).not.toContain('AWS::CloudFormation::Stack');
    expect(outputs).not.toHaveProperty([STREAMING_OUTPUTS.webSocketEndpoint]);
    expect(Object.keys(resources).sort()).toEqual([
      'FulfillmentFunction',
      'FulfillmentFunctionLogs',
      'FulfillmentFunctionRole',
      'FulfillmentLexInvokePermission',
      'QnabotHookFunction',
      'QnabotHookFunctionLogs',
      'QnabotHookFunctionRole',
    ]);
  });

  test.each(PUBLISHERS)('%s gets empty streaming settings (streaming off) and no publisher policy', (id) => {
    const variables = environmentOf(resources, id);
    expect(variables[ENV.callbackUrl]).toBe('');
    expect(variables[ENV.tableName]).toBe('');
    expect(variables[ENV.webSocketEndpoint]).toBe('');
    expect(propertiesOf(resources, `${id}Role`).ManagedPolicyArns).toEqual([]);
  });

  test('nothing left refers to a resource that is not created', () => {
    const referenced = referencedLogicalIds({ resources, outputs }, parent.Parameters);
    for (const id of referenced) expect(Object.keys(resources)).toContain(id);
  });
});

describe('example parent with EnableStreaming=TRUE', () => {
  const { resources, outputs } = effectiveParent('TRUE');

  test('the nested stack and the endpoint output exist', () => {
    expect(resources.StreamingStack?.Type).toBe('AWS::CloudFormation::Stack');
    expect(outputs[STREAMING_OUTPUTS.webSocketEndpoint]?.Value).toEqual(
      streamingOutput(STREAMING_OUTPUTS.webSocketEndpoint),
    );
  });

  test('the fulfillment Lambda is wired to the nested outputs and may publish', () => {
    const variables = fulfillmentEnvironment(resources);
    expect(variables[ENV.callbackUrl]).toEqual(streamingOutput(STREAMING_OUTPUTS.callbackUrl));
    expect(variables[ENV.tableName]).toEqual(streamingOutput(STREAMING_OUTPUTS.tableName));
    expect(variables[ENV.webSocketEndpoint]).toEqual(streamingOutput(STREAMING_OUTPUTS.webSocketEndpoint));
    expect(propertiesOf(resources, 'FulfillmentFunctionRole').ManagedPolicyArns).toEqual([
      streamingOutput(STREAMING_OUTPUTS.publisherPolicyArn),
    ]);
  });

  test.each(PUBLISHERS)('%s is wired to the nested outputs and gets the publisher policy', (id) => {
    const variables = environmentOf(resources, id);
    expect(variables[ENV.callbackUrl]).toEqual(streamingOutput(STREAMING_OUTPUTS.callbackUrl));
    expect(variables[ENV.tableName]).toEqual(streamingOutput(STREAMING_OUTPUTS.tableName));
    expect(propertiesOf(resources, `${id}Role`).ManagedPolicyArns).toEqual([
      streamingOutput(STREAMING_OUTPUTS.publisherPolicyArn),
    ]);
  });

  test('the QnABot hook code comes from its own asset key, under a QNA- name QnABot may invoke', () => {
    const properties = propertiesOf(resources, 'QnabotHookFunction');
    expect(properties.Code).toEqual({
      S3Bucket: ref('BootstrapBucket'),
      S3Key: { 'Fn::Join': ['/', [ref('BootstrapPrefix'), TEST_ASSET_KEYS['qnabot-hook']]] },
    });
    expect(properties.FunctionName).toEqual({
      'Fn::Join': [
        '-',
        ['QNA-StreamingHook', { 'Fn::Select': [2, { 'Fn::Split': ['/', ref('AWS::StackId')] }] }],
      ],
    });
    expect(outputs.QnabotHookFunctionName?.Value).toEqual(ref('QnabotHookFunction'));
  });

  test('the fulfillment code comes from the asset registry key under BootstrapPrefix', () => {
    expect(propertiesOf(resources, 'FulfillmentFunction').Code).toEqual({
      S3Bucket: ref('BootstrapBucket'),
      S3Key: { 'Fn::Join': ['/', [ref('BootstrapPrefix'), FULFILLMENT_KEY]] },
    });
  });

  test('nothing refers to a resource that is not created', () => {
    const referenced = referencedLogicalIds({ resources, outputs }, parent.Parameters);
    for (const id of referenced) expect(Object.keys(resources)).toContain(id);
  });
});

describe('example parent: the publishing Lambdas whatever EnableStreaming is', () => {
  test.each(['TRUE', 'FALSE'] as const)(
    'with EnableStreaming=%s each may call only the BedrockModelId model (no wildcard) and its own logs',
    (enableStreaming) => {
      const { resources } = effectiveParent(enableStreaming);
      const modelArn = {
        'Fn::Join': [
          '',
          [
            'arn:',
            ref('AWS::Partition'),
            ':bedrock:',
            ref('AWS::Region'),
            '::foundation-model/',
            ref('BedrockModelId'),
          ],
        ],
      };
      for (const id of PUBLISHERS) {
        const statements = inlineStatements(resources, `${id}Role`);
        expect(statements).toEqual([
          expect.objectContaining({ Sid: 'OwnLogGroup', Resource: { 'Fn::GetAtt': [`${id}Logs`, 'Arn'] } }),
          {
            Sid: 'AnswerModel',
            Effect: 'Allow',
            Action: 'bedrock:InvokeModelWithResponseStream',
            Resource: modelArn,
          },
        ]);
        expect(JSON.stringify(statements)).not.toContain('*');
      }
    },
  );

  test.each(
    PUBLISHERS.flatMap((id) =>
      (['TRUE', 'FALSE'] as const).map((enableStreaming) => [id, enableStreaming] as const),
    ),
  )(
    '%s gets LogHashKey as its log hash key with EnableStreaming=%s (the nested connection Lambda’s key)',
    (id, enableStreaming) => {
      const variables = environmentOf(effectiveParent(enableStreaming).resources, id);
      expect(variables[ENV.logHashKey]).toEqual(ref('LogHashKey'));
      // The default '' is what the Lambda reads as no key (a random key per container).
      const value = resolveParameterString(parent, bootstrap, variables[ENV.logHashKey]);
      expect(value).toBe('');
      expect(readLogHashKey({ [ENV.logHashKey]: value })).toBeUndefined();
      const key = 'a-log-hash-key-of-32-characters!';
      expect(
        resolveParameterString(parent, { ...bootstrap, LogHashKey: key }, variables[ENV.logHashKey]),
      ).toBe(key);
    },
  );

  test.each(PUBLISHERS)('%s exposes the coalescing settings with the library defaults', (id) => {
    const variables = environmentOf(effectiveParent('TRUE').resources, id);
    expect(variables[ENV.coalesceWindowMs]).toBe(String(PUBLISHER_DEFAULTS.coalesceWindowMs));
    expect(variables[ENV.coalesceMaxBytes]).toBe(String(PUBLISHER_DEFAULTS.coalesceMaxBytes));
    expect(variables[ENV.modelId]).toEqual(ref('BedrockModelId'));
    // What the Lambda will read back from those values.
    const config = readPublisherConfig({
      [ENV.coalesceWindowMs]: String(variables[ENV.coalesceWindowMs]),
      [ENV.coalesceMaxBytes]: String(variables[ENV.coalesceMaxBytes]),
    });
    expect(config).toMatchObject({
      coalesceWindowMs: PUBLISHER_DEFAULTS.coalesceWindowMs,
      coalesceMaxBytes: PUBLISHER_DEFAULTS.coalesceMaxBytes,
    });
  });
});

describe('parent fragment', () => {
  type Section = 'Parameters' | 'Conditions' | 'Resources' | 'Outputs';
  const SECTIONS: Section[] = ['Parameters', 'Conditions', 'Resources', 'Outputs'];

  /** Merges like a user would: copy each section's entries in, refusing to overwrite one. */
  function merge(target: Record<string, Record<string, unknown>>, source: CfnTemplate) {
    const out: Record<string, Record<string, unknown>> = structuredClone(target);
    for (const section of SECTIONS) {
      out[section] ??= {};
      for (const [name, value] of Object.entries(source[section] ?? {})) {
        if (name in (out[section] ?? {})) throw new Error(`${section}.${name} already exists`);
        (out[section] as Record<string, unknown>)[name] = value;
      }
    }
    return out;
  }

  /** The example's streaming parts, found independently: what the condition gates and what that needs. */
  function streamingPartsOfExample() {
    const resources = Object.fromEntries(
      Object.entries(parent.Resources).filter(([, r]) => r.Condition === PARENT_NAMES.streamingEnabled),
    );
    const outputs = Object.fromEntries(
      Object.entries(parent.Outputs ?? {}).filter(([, o]) => o.Condition === PARENT_NAMES.streamingEnabled),
    );
    const usedParameters = new Set<string>([PARENT_NAMES.enableStreaming]);
    const visit = (node: unknown): void => {
      if (Array.isArray(node)) {
        node.forEach(visit);
        return;
      }
      if (typeof node !== 'object' || node === null) return;
      const reference = (node as { Ref?: unknown }).Ref;
      if (typeof reference === 'string' && reference in (parent.Parameters ?? {}))
        usedParameters.add(reference);
      Object.values(node).forEach(visit);
    };
    visit({ resources, outputs });
    const parameters = Object.fromEntries(
      Object.entries(parent.Parameters ?? {}).filter(([name]) => usedParameters.has(name)),
    );
    return {
      Parameters: parameters,
      Conditions: { [PARENT_NAMES.streamingEnabled]: parent.Conditions?.[PARENT_NAMES.streamingEnabled] },
      Resources: resources,
      Outputs: outputs,
    };
  }

  test('has exactly the four mergeable sections', () => {
    expect(Object.keys(fragment).sort()).toEqual(['Conditions', 'Outputs', 'Parameters', 'Resources']);
  });

  test('merged into an empty parent, it equals the example parent’s streaming parts', () => {
    const merged = merge({}, fragment);
    expect(merged).toEqual(streamingPartsOfExample());
  });

  test('merged into the example parent without its streaming parts, it rebuilds the example', () => {
    const parts = streamingPartsOfExample();
    const withoutStreaming: Record<string, Record<string, unknown>> = {};
    for (const section of SECTIONS) {
      withoutStreaming[section] = Object.fromEntries(
        Object.entries(parent[section] ?? {}).filter(([name]) => !(name in parts[section])),
      );
    }
    const merged = merge(withoutStreaming, fragment);
    for (const section of SECTIONS) expect(merged[section]).toEqual(parent[section] ?? {});
  });

  test('is inert until EnableStreaming=TRUE', () => {
    const off = new CfnEvaluator(fragment, bootstrap).effective();
    expect(off).toEqual({ resources: {}, outputs: {} });
    const on = new CfnEvaluator(fragment, { ...bootstrap, EnableStreaming: 'TRUE' }).effective();
    expect(Object.keys(on.resources)).toEqual(['StreamingStack']);
    expect(Object.keys(on.outputs)).toEqual([STREAMING_OUTPUTS.webSocketEndpoint]);
  });
});
