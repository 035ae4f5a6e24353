/**
 * How a hand-written (QnABot-style) parent template adds streaming behind one parameter, written
 * once and used twice: by the example parent (parent-example-stack.ts) and by the fragment a user
 * merges into their own parent ({Parameters, Conditions, Resources, Outputs}).
 */
import { Aws, CfnCondition, CfnOutput, CfnParameter, CfnStack, Fn, type Stack, Token } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { StreamingTemplateError } from './errors';
import { ReadableStack } from './readable-stack';
import {
  addBootstrapParameters,
  addLogHashKeyParameter,
  addParentSettingsParameters,
  addSharedSettingsParameters,
  type BootstrapParameters,
  type ParentSettingsParameters,
  parentSettingsForNestedStack,
  type SharedSettingsParameters,
  sharedSettingsForNestedStack,
} from './shared-parameters';
import { STREAMING_OUTPUTS, STREAMING_PARAMETERS, STREAMING_TEMPLATE_KEY } from './streaming-stack';

/** Names the parent uses; the fragment keeps them so users can wire their own resources to them. */
export const PARENT_NAMES = {
  enableStreaming: 'EnableStreaming',
  streamingEnabled: 'StreamingEnabled',
  streamingStack: 'StreamingStack',
  bootstrapBucket: STREAMING_PARAMETERS.bootstrapBucket,
  bootstrapPrefix: STREAMING_PARAMETERS.bootstrapPrefix,
  logHashKey: STREAMING_PARAMETERS.logHashKey,
} as const;

export type StreamingOutputName = (typeof STREAMING_OUTPUTS)[keyof typeof STREAMING_OUTPUTS];

/** The streaming parts of a parent, for wiring the parent's own resources to them. */
export interface ParentStreaming {
  readonly enableStreaming: CfnParameter;
  readonly enabled: CfnCondition;
  readonly nestedStack: CfnStack;
  /**
   * `LogHashKey`, passed to the nested stack: set its value as STREAMING_LOG_HASH_KEY on the
   * parent's publisher Lambdas so their log refs match the connection Lambda's.
   */
  readonly logHashKey: CfnParameter;
  /**
   * The streaming settings an admin sets on the parent (PARENT_SETTING_NAMES: identity binding and
   * its caps, the API Gateway logging role, the direct-ask route and its model, the alarms), each
   * passed to the nested stack under the same name and with the streaming template's default.
   */
  readonly settings: ParentSettingsParameters;
  /** `Fn::GetAtt StreamingStack.Outputs.<name>`: valid only where `enabled` holds. */
  output(name: StreamingOutputName): string;
  /** `Fn::If StreamingEnabled, <output>, <otherwise>`: safe anywhere in the parent. */
  outputIfEnabled(name: StreamingOutputName, otherwise: string): string;
}

/**
 * Adds the toggle to a parent: the `EnableStreaming` parameter, the `StreamingEnabled` condition,
 * the nested streaming stack gated by it (given the parent's bootstrap location, its
 * log-retention, X-Ray and VPC settings, QnABot's names, the `LogHashKey` parameter and the
 * parent-settable streaming settings, declared on the parent as the streaming template declares
 * them), and the `StreamingWebSocketEndpoint` output under it.
 */
export function addStreamingToParent(
  stack: Stack,
  bootstrap: BootstrapParameters,
  shared: SharedSettingsParameters = addSharedSettingsParameters(stack),
): ParentStreaming {
  const enableStreaming = new CfnParameter(stack, PARENT_NAMES.enableStreaming, {
    type: 'String',
    default: 'FALSE',
    allowedValues: ['TRUE', 'FALSE'],
    description:
      'TRUE adds word-by-word streaming of answers (WebSocket API, session table, connection Lambda). Paste the StreamingWebSocketEndpoint output into the chat client configuration.',
  });
  const logHashKey = addLogHashKeyParameter(stack);
  const settings = addParentSettingsParameters(stack);
  const enabled = new CfnCondition(stack, PARENT_NAMES.streamingEnabled, {
    expression: Fn.conditionEquals(enableStreaming.valueAsString, 'TRUE'),
  });
  const nestedStack = new CfnStack(stack, PARENT_NAMES.streamingStack, {
    templateUrl: Fn.join('', [
      'https://',
      bootstrap.bucket.valueAsString,
      '.s3.',
      Aws.REGION,
      '.',
      Aws.URL_SUFFIX,
      '/',
      bootstrap.prefix.valueAsString,
      '/',
      STREAMING_TEMPLATE_KEY,
    ]),
    parameters: {
      [STREAMING_PARAMETERS.bootstrapBucket]: bootstrap.bucket.valueAsString,
      [STREAMING_PARAMETERS.bootstrapPrefix]: bootstrap.prefix.valueAsString,
      ...sharedSettingsForNestedStack(shared),
      [STREAMING_PARAMETERS.logHashKey]: logHashKey.valueAsString,
      ...parentSettingsForNestedStack(settings),
    },
  });
  nestedStack.cfnOptions.condition = enabled;

  const output = (name: StreamingOutputName): string => nestedStack.getAtt(`Outputs.${name}`).toString();
  const outputIfEnabled = (name: StreamingOutputName, otherwise: string): string =>
    Token.asString(Fn.conditionIf(enabled.logicalId, output(name), otherwise));

  const endpoint = new CfnOutput(stack, STREAMING_OUTPUTS.webSocketEndpoint, {
    value: output(STREAMING_OUTPUTS.webSocketEndpoint),
    description: 'wss:// URL for the chat client (Lex Web UI / streaming plugin configuration).',
  });
  endpoint.condition = enabled;

  return { enableStreaming, enabled, nestedStack, logHashKey, settings, output, outputIfEnabled };
}

/** A stack holding only the streaming parts of a parent: the source of the fragment. */
export class ParentFragmentStack extends ReadableStack {
  readonly streaming: ParentStreaming;

  constructor(scope: Construct, id: string) {
    super(scope, id, { stackName: 'qna-streaming-parent-fragment' });
    this.streaming = addStreamingToParent(this, addBootstrapParameters(this));
  }
}

/** What a user merges into their parent template. */
export interface ParentFragment {
  readonly Parameters: Record<string, unknown>;
  readonly Conditions: Record<string, unknown>;
  readonly Resources: Record<string, unknown>;
  readonly Outputs: Record<string, unknown>;
}

const FRAGMENT_SECTIONS = ['Parameters', 'Conditions', 'Resources', 'Outputs'] as const;

/** The four mergeable sections of the synthesized fragment stack. */
export function fragmentFromTemplate(template: Record<string, unknown>): ParentFragment {
  const sections: Record<string, Record<string, unknown>> = {};
  for (const section of FRAGMENT_SECTIONS) {
    const value = template[section];
    if (value === undefined || value === null || typeof value !== 'object') {
      throw new StreamingTemplateError(`Parent fragment template has no ${section} section`);
    }
    sections[section] = value as Record<string, unknown>;
  }
  const extra = Object.keys(template).filter(
    (key) => !(FRAGMENT_SECTIONS as readonly string[]).includes(key) && key !== 'Description',
  );
  if (extra.length > 0) {
    throw new StreamingTemplateError(
      `Parent fragment template has sections a merge would lose: ${extra.join(', ')}`,
    );
  }
  return sections as unknown as ParentFragment;
}
