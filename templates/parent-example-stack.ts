/**
 * An example "existing bot" parent, written the way QnABot's templates are: a fulfillment Lambda
 * that streams when `EnableStreaming=TRUE` and behaves as before when `FALSE`.
 *
 * - the streaming nested stack exists only under the `StreamingEnabled` condition;
 * - the fulfillment Lambda gets the streaming endpoints through `Fn::If` ("" when off);
 * - the publisher managed policy is attached to its role only when on (`AWS::NoValue` otherwise).
 */
import { Aws, CfnOutput, CfnParameter, Fn } from 'aws-cdk-lib';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import { CfnFunction, CfnPermission } from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { ENV } from '../functions/shared/constants';
import { findLambdaAsset, type LambdaAssetKeys } from '../scripts/lib/lambda-assets';
import { StreamingTemplateError } from './errors';
import { acknowledgeExampleFunction } from './nag';
import { addBootstrapParameters, addStreamingToParent, type ParentStreaming } from './parent-fragment';
import { ReadableStack } from './readable-stack';
import { STREAMING_LAMBDA_HANDLER, STREAMING_LAMBDA_RUNTIME } from './streaming-construct';
import { STREAMING_OUTPUTS } from './streaming-stack';

export interface ParentExampleStackProps {
  /** Prefix-relative S3 keys of the Lambda zips (scripts/lib/lambda-assets.ts). */
  readonly assetKeys: LambdaAssetKeys;
  /** @default 'qna-streaming-parent-example' */
  readonly stackName?: string;
}

export class ParentExampleStack extends ReadableStack {
  readonly streaming: ParentStreaming;
  readonly fulfillmentFunction: CfnFunction;

  constructor(scope: Construct, id: string, props: ParentExampleStackProps) {
    super(scope, id, {
      stackName: props.stackName ?? 'qna-streaming-parent-example',
      description:
        'qna-streaming example: an existing bot stack (fulfillment Lambda) that adds answer streaming when EnableStreaming=TRUE.',
    });
    const bootstrap = addBootstrapParameters(this);
    const modelId = new CfnParameter(this, 'BedrockModelId', {
      type: 'String',
      default: 'amazon.nova-micro-v1:0',
      description:
        'Bedrock foundation model the example fulfillment Lambda answers with (a model id, not a profile).',
    });
    this.streaming = addStreamingToParent(this, bootstrap);

    const fulfillmentKey = props.assetKeys[findLambdaAsset('fulfillment').name];
    if (!fulfillmentKey)
      throw new StreamingTemplateError('assetKeys has no key for the "fulfillment" Lambda');

    const logs = new CfnLogGroup(this, 'FulfillmentFunctionLogs', { retentionInDays: 30 });
    const role = new CfnRole(this, 'FulfillmentFunctionRole', {
      description:
        'Example fulfillment Lambda: its logs, its model, and (when streaming) the publisher policy.',
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      },
      managedPolicyArns: [this.streaming.outputIfEnabled(STREAMING_OUTPUTS.publisherPolicyArn, Aws.NO_VALUE)],
      policies: [
        {
          policyName: 'FulfillmentFunction',
          policyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'OwnLogGroup',
                Effect: 'Allow',
                Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
                Resource: logs.attrArn,
              },
              {
                Sid: 'AnswerModel',
                Effect: 'Allow',
                Action: ['bedrock:InvokeModel', 'bedrock:InvokeModelWithResponseStream'],
                Resource: Fn.join('', [
                  'arn:',
                  Aws.PARTITION,
                  ':bedrock:',
                  Aws.REGION,
                  '::foundation-model/',
                  modelId.valueAsString,
                ]),
              },
            ],
          },
        },
      ],
    });

    this.fulfillmentFunction = new CfnFunction(this, 'FulfillmentFunction', {
      description:
        'Example Lex V2 fulfillment: answers from Bedrock, streaming the answer when streaming is on.',
      runtime: STREAMING_LAMBDA_RUNTIME,
      handler: STREAMING_LAMBDA_HANDLER,
      architectures: ['arm64'],
      memorySize: 512,
      timeout: 60,
      role: role.attrArn,
      code: {
        s3Bucket: bootstrap.bucket.valueAsString,
        s3Key: Fn.join('/', [bootstrap.prefix.valueAsString, fulfillmentKey]),
      },
      environment: {
        variables: {
          [ENV.callbackUrl]: this.streaming.outputIfEnabled(STREAMING_OUTPUTS.callbackUrl, ''),
          [ENV.tableName]: this.streaming.outputIfEnabled(STREAMING_OUTPUTS.tableName, ''),
          [ENV.webSocketEndpoint]: this.streaming.outputIfEnabled(STREAMING_OUTPUTS.webSocketEndpoint, ''),
          [ENV.modelId]: modelId.valueAsString,
          [ENV.logLevel]: 'info',
        },
      },
      loggingConfig: { logGroup: logs.ref },
    });
    acknowledgeExampleFunction(this.fulfillmentFunction);

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
  }
}
