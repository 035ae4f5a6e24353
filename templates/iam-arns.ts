/**
 * ARNs and Lambda roles the templates build in several places, written once. Every helper returns
 * plain CloudFormation (Fn::Join of pseudo parameters), so the synthesized JSON stays readable.
 */
import { Aws, Fn } from 'aws-cdk-lib';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';

/** `arn:…:execute-api:<region>:<account>:<apiId><resource>` (resource starts with `/`). */
export function executeApiArn(apiId: string, resource: string): string {
  return Fn.join('', [
    'arn:',
    Aws.PARTITION,
    ':execute-api:',
    Aws.REGION,
    ':',
    Aws.ACCOUNT_ID,
    ':',
    apiId,
    resource,
  ]);
}

/** The integration URI through which API Gateway invokes a Lambda function. */
export function lambdaInvocationUri(functionArn: string): string {
  return Fn.join('', [
    'arn:',
    Aws.PARTITION,
    ':apigateway:',
    Aws.REGION,
    ':lambda:path/2015-03-31/functions/',
    functionArn,
    '/invocations',
  ]);
}

/** A Bedrock foundation model of this region (a model id, not an inference profile). */
export function foundationModelArn(modelId: string): string {
  return Fn.join('', ['arn:', Aws.PARTITION, ':bedrock:', Aws.REGION, '::foundation-model/', modelId]);
}

/** One IAM policy statement as CloudFormation JSON. */
export type PolicyStatement = Record<string, unknown>;

export interface LambdaRoleProps {
  readonly description: string;
  /** Name of the role's inline policy. */
  readonly policyName: string;
  /** The function's own log group: the role may write to it and nowhere else. */
  readonly logGroupArn: string;
  /** Statements after the log statement. */
  readonly statements: readonly PolicyStatement[];
  /** @default none */
  readonly managedPolicyArns?: readonly string[];
}

/** A role Lambda can assume, writing only to its own log group, plus the given statements. */
export function lambdaRole(scope: Construct, id: string, props: LambdaRoleProps): CfnRole {
  return new CfnRole(scope, id, {
    description: props.description,
    assumeRolePolicyDocument: {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' },
      ],
    },
    ...(props.managedPolicyArns ? { managedPolicyArns: [...props.managedPolicyArns] } : {}),
    policies: [
      {
        policyName: props.policyName,
        policyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'OwnLogGroup',
              Effect: 'Allow',
              Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
              Resource: props.logGroupArn,
            },
            ...props.statements,
          ],
        },
      },
    ],
  });
}
