/**
 * An example "existing bot" parent, written the way QnABot's templates are: a Lex V2 fulfillment
 * Lambda and a QnABot Lambda hook that stream when `EnableStreaming=TRUE` and answer through Lex
 * only when `FALSE`.
 *
 * - the streaming nested stack exists only under the `StreamingEnabled` condition;
 * - both Lambdas get the streaming endpoints through `Fn::If` ("" when off), the publisher
 *   settings (coalescing window and size) with the library defaults, and `LogHashKey` (the nested
 *   stack's too, so a session's log refs match across the Lambdas);
 * - the publisher managed policy is attached to their roles only when on (`AWS::NoValue` otherwise);
 * - each may call the one Bedrock model of `BedrockModelId`, nothing else.
 */
import { Aws, CfnOutput, CfnParameter, Fn } from 'aws-cdk-lib';
import { CfnFunction, CfnPermission } from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { PUBLISHER_DEFAULTS } from '../functions/shared/config';
import { ENV } from '../functions/shared/constants';
import { StreamingTemplateError } from './errors';
import { foundationModelArn, lambdaRole } from './iam-arns';
import { findLambdaAsset, type LambdaAssetKeys } from './lambda-assets';
import { acknowledgeExampleFunction } from './nag';
import { addStreamingToParent, type ParentStreaming } from './parent-fragment';
import { ReadableStack } from './readable-stack';
import { addBootstrapParameters, type BootstrapParameters } from './shared-parameters';
import { STREAMING_LAMBDA_HANDLER, STREAMING_LAMBDA_RUNTIME } from './streaming-construct';
import { STREAMING_OUTPUTS } from './streaming-stack';

export interface ParentExampleStackProps {
  /** Prefix-relative S3 keys of the Lambda zips (templates/lambda-assets.ts). */
  readonly assetKeys: LambdaAssetKeys;
  /** @default 'qna-streaming-parent-example' */
  readonly stackName?: string;
}

export class ParentExampleStack extends ReadableStack {
  readonly streaming: ParentStreaming;
  readonly fulfillmentFunction: CfnFunction;
  readonly qnabotHookFunction: CfnFunction;

  constructor(scope: Construct, id: string, props: ParentExampleStackProps) {
    super(scope, id, {
      stackName: props.stackName ?? 'qna-streaming-parent-example',
      description:
        'qna-streaming example: an existing bot stack (Lex fulfillment Lambda, QnABot Lambda hook) that adds answer streaming when EnableStreaming=TRUE.',
    });
    const bootstrap = addBootstrapParameters(this);
    const modelId = new CfnParameter(this, 'BedrockModelId', {
      type: 'String',
      default: 'amazon.nova-micro-v1:0',
      description:
        'Bedrock foundation model the example fulfillment Lambda and QnABot hook answer with (a model id, not a profile); the only model their roles may call.',
    });
    this.streaming = addStreamingToParent(this, bootstrap);

    const modelArn = foundationModelArn(modelId.valueAsString);
    this.fulfillmentFunction = this.addPublisherFunction({
      id: 'Fulfillment',
      asset: 'fulfillment',
      assetKeys: props.assetKeys,
      bootstrap,
      modelId: modelId.valueAsString,
      modelArn,
      description:
        'Example Lex V2 fulfillment: answers from Bedrock, streaming the answer when streaming is on.',
      roleDescription:
        'Example fulfillment Lambda: its logs, its model, and (when streaming) the publisher policy.',
    });
    // QnABot invokes Lambda hooks with its fulfillment role, which may call functions whose name
    // starts with "QNA-"; the stack id's UUID keeps the name unique per stack (54 characters).
    this.qnabotHookFunction = this.addPublisherFunction({
      id: 'QnabotHook',
      asset: 'qnabot-hook',
      assetKeys: props.assetKeys,
      bootstrap,
      modelId: modelId.valueAsString,
      modelArn,
      functionName: Fn.join('-', ['QNA-StreamingHook', Fn.select(2, Fn.split('/', Aws.STACK_ID))]),
      description:
        'Example QnABot Lambda hook: answers the matched item from Bedrock, streaming the answer when streaming is on.',
      roleDescription:
        'Example QnABot hook Lambda: its logs, its model, and (when streaming) the publisher policy.',
    });

    // Any Lex V2 bot alias of this account may call it; scope to one alias ARN for a real bot.
    new CfnPermission(this, 'FulfillmentLexInvokePermission', {
      action: 'lambda:InvokeFunction',
      functionName: this.fulfillmentFunction.attrArn,
      principal: 'lexv2.amazonaws.com',
      sourceAccount: Aws.ACCOUNT_ID,
      sourceArn: Fn.join('', [
        'arn:',
        Aws.PARTITION,
        ':lex:',
        Aws.REGION,
        ':',
        Aws.ACCOUNT_ID,
        ':bot-alias/*',
      ]),
    });

    new CfnOutput(this, 'FulfillmentFunctionArn', {
      value: this.fulfillmentFunction.attrArn,
      description: 'Set this as the fulfillment code hook of the bot alias.',
    });
    new CfnOutput(this, 'QnabotHookFunctionName', {
      value: this.qnabotHookFunction.ref,
      description:
        'Name to enter as the Lambda Hook of a QnABot item (its arguments may set modelId/system).',
    });
  }

  /**
   * A Lambda of the example bot that publishes answers: its log group, a role with its logs, the
   * one model it may call (no wildcard) and the publisher policy only when streaming is on, and
   * the streaming settings wired through `Fn::If` ("" when off, which the Lambda reads as off).
   */
  private addPublisherFunction(options: PublisherFunctionOptions): CfnFunction {
    const { id } = options;
    const key = options.assetKeys[findLambdaAsset(options.asset).name];
    if (!key) throw new StreamingTemplateError(`assetKeys has no key for the "${options.asset}" Lambda`);

    const logs = new CfnLogGroup(this, `${id}FunctionLogs`, { retentionInDays: 30 });
    const role = lambdaRole(this, `${id}FunctionRole`, {
      description: options.roleDescription,
      policyName: `${id}Function`,
      logGroupArn: logs.attrArn,
      managedPolicyArns: [this.streaming.outputIfEnabled(STREAMING_OUTPUTS.publisherPolicyArn, Aws.NO_VALUE)],
      statements: [
        {
          // The example Lambdas only stream (ConverseStream is authorized as
          // InvokeModelWithResponseStream); nothing calls InvokeModel or Converse.
          Sid: 'AnswerModel',
          Effect: 'Allow',
          Action: 'bedrock:InvokeModelWithResponseStream',
          Resource: options.modelArn,
        },
      ],
    });

    const fn = new CfnFunction(this, `${id}Function`, {
      ...(options.functionName ? { functionName: options.functionName } : {}),
      description: options.description,
      runtime: STREAMING_LAMBDA_RUNTIME,
      handler: STREAMING_LAMBDA_HANDLER,
      architectures: ['arm64'],
      memorySize: 512,
      timeout: 60,
      role: role.attrArn,
      code: {
        s3Bucket: options.bootstrap.bucket.valueAsString,
        s3Key: Fn.join('/', [options.bootstrap.prefix.valueAsString, key]),
      },
      environment: {
        variables: {
          [ENV.callbackUrl]: this.streaming.outputIfEnabled(STREAMING_OUTPUTS.callbackUrl, ''),
          [ENV.tableName]: this.streaming.outputIfEnabled(STREAMING_OUTPUTS.tableName, ''),
          [ENV.webSocketEndpoint]: this.streaming.outputIfEnabled(STREAMING_OUTPUTS.webSocketEndpoint, ''),
          [ENV.modelId]: options.modelId,
          [ENV.coalesceWindowMs]: String(PUBLISHER_DEFAULTS.coalesceWindowMs),
          [ENV.coalesceMaxBytes]: String(PUBLISHER_DEFAULTS.coalesceMaxBytes),
          [ENV.logLevel]: 'info',
          // Whatever EnableStreaming is: '' (the default) is read as unset, a random key per container.
          [ENV.logHashKey]: this.streaming.logHashKey.valueAsString,
        },
      },
      loggingConfig: { logGroup: logs.ref },
    });
    acknowledgeExampleFunction(fn);
    return fn;
  }
}

interface PublisherFunctionOptions {
  /** Prefix of the logical ids: `<id>Function`, `<id>FunctionRole`, `<id>FunctionLogs`. */
  readonly id: string;
  /** Asset name in templates/lambda-assets.ts. */
  readonly asset: string;
  readonly assetKeys: LambdaAssetKeys;
  readonly bootstrap: BootstrapParameters;
  readonly modelId: string;
  readonly modelArn: string;
  readonly description: string;
  readonly roleDescription: string;
  /** @default - a name CloudFormation generates */
  readonly functionName?: string;
}
