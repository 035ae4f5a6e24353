/**
 * cdk-nag (AwsSolutions) on every template, and the findings we accept, each with the reason a
 * reviewer can check. Synthesis fails when a finding is neither fixed nor acknowledged here.
 *
 * CDK's built-in CloudFormation validation runs in the same pass; its false positives on values
 * that a condition keeps from ever reaching the service are acknowledged the same way.
 */
import { type App, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import type { DirectAsk } from './direct-ask';
import { StreamingTemplateError } from './errors';
import type { QnaStreaming } from './streaming-construct';

/** Rule-id namespace of the AwsSolutions pack in `Validations.acknowledge`. */
const AWS_SOLUTIONS = 'AwsSolutions::AwsSolutions';
/** Rule-id namespace of CDK's built-in CloudFormation template validation. */
const CFN_VALIDATE = 'CloudFormation-Validate';

/** Runs the AwsSolutions pack on everything in `app` when it is synthesized. */
export function addNagChecks(app: App): void {
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
}

/** Acknowledges one finding on `scope`; a reason is mandatory and must say something. */
export function acknowledgeFinding(scope: IConstruct, id: string, reason: string): void {
  if (reason.trim().length < 20) {
    throw new StreamingTemplateError(`Acknowledgement of ${id} on ${scope.node.path} needs a real reason`);
  }
  Validations.of(scope).acknowledge({ id, reason });
}

/** One recorded acknowledgement (read back from construct metadata). */
export interface RecordedAcknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: string;
}

/** Every acknowledgement recorded under `root`, for reviews and tests. */
export function listAcknowledgements(root: IConstruct): RecordedAcknowledgement[] {
  const out: RecordedAcknowledgement[] = [];
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        out.push({ path: construct.node.path, id, reason });
      }
    }
  }
  return out;
}

const RUNTIME_REASON =
  'Pinned to nodejs22.x on purpose: the Lambda bundles are built for and tested on Node 22 (esbuild target node22); a runtime upgrade is a deliberate change made together with the bundle target.';

/** Acknowledgements for the resources of one `QnaStreaming`. Call it where you run cdk-nag on a CDK bot. */
export function acknowledgeQnaStreaming(streaming: QnaStreaming): void {
  acknowledgeFinding(streaming.connectionFunction, `${AWS_SOLUTIONS}-L1`, RUNTIME_REASON);

  for (const id of ['DisconnectRoute', 'DefaultRoute', 'CancelRoute', 'PingRoute']) {
    acknowledgeFinding(
      streaming.node.findChild(id),
      `${AWS_SOLUTIONS}-APIG4`,
      'WebSocket APIs authorize only the $connect route (AWS_IAM here, with the session bound to the Cognito identity); other routes cannot have an authorizer and receive messages only from connections that passed $connect.',
    );
  }

  if (streaming.hasWildcardStatements) {
    acknowledgeFinding(
      streaming.connectionRole,
      `${AWS_SOLUTIONS}-IAM5[Resource::*]`,
      'Only the X-Ray segment writes and the Lambda VPC network-interface actions use Resource "*": neither service supports resource-level permissions for them.',
    );
  }

  const apiLogicalId = Stack.of(streaming).getLogicalId(streaming.api);
  acknowledgeFinding(
    streaming.publisherPolicy,
    `${AWS_SOLUTIONS}-IAM5[Resource::arn:<AWS::Partition>:execute-api:<AWS::Region>:<AWS::AccountId>:<${apiLogicalId}>/Prod/POST/@connections/*]`,
    'Connection ids exist only at run time; the wildcard covers nothing but POST to the @connections of this one API and stage.',
  );
}

/** Acknowledgements specific to the parameter-driven streaming template (streaming-stack.ts). */
export function acknowledgeStreamingTemplate(
  stack: Stack,
  streaming: QnaStreaming,
  accountRole: IConstruct,
): void {
  acknowledgeQnaStreaming(streaming);
  acknowledgeFinding(
    accountRole,
    `${AWS_SOLUTIONS}-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]`,
    'This is the policy AWS documents for the API Gateway account CloudWatch role; the role serves every API in the region, so a hand-written policy would need the same log-group wildcards. Created only when ConfigureApiGatewayAccount=TRUE.',
  );
  const vpcReason =
    'VpcConfig sits inside Fn::If on VpcEnabled, which is false while the subnet and security group lists are empty (their default); the empty strings never reach Lambda.';
  acknowledgeFinding(streaming.connectionFunction, `${CFN_VALIDATE}::F3031`, vpcReason);
  acknowledgeFinding(streaming.connectionFunction, `${CFN_VALIDATE}::E1150`, vpcReason);
  acknowledgeFinding(
    stack,
    `${CFN_VALIDATE}::W1030`,
    'RetentionInDays is Fn::If(LogsNeverExpire, AWS::NoValue, LogRetentionPeriod): the allowed value 0 removes the property (never expire) and is never passed to CloudWatch Logs.',
  );
  acknowledgeFinding(
    stack,
    `${CFN_VALIDATE}::W2001`,
    "CFNLambda, CFNInvokePolicy and S3Clean are unused on purpose: QnABot 7.4's master passes them to its streaming nested stack, and CloudFormation rejects a nested-stack parameter the template does not declare, so the drop-in template declares and ignores them.",
  );
}

/** Acknowledgements for the direct-ask route and Lambda (templates/direct-ask.ts). */
export function acknowledgeDirectAsk(directAsk: DirectAsk): void {
  acknowledgeFinding(directAsk.function, `${AWS_SOLUTIONS}-L1`, RUNTIME_REASON);
  acknowledgeFinding(
    directAsk.route,
    `${AWS_SOLUTIONS}-APIG4`,
    'WebSocket APIs authorize only the $connect route (AWS_IAM here, with the session bound to the Cognito identity); the ask route receives messages only from connections that passed $connect, and the Lambda answers only into the session of the asking connection.',
  );
}

/** Acknowledgement of the example fulfillment Lambda in the parent templates. */
export function acknowledgeExampleFunction(fn: IConstruct): void {
  acknowledgeFinding(fn, `${AWS_SOLUTIONS}-L1`, RUNTIME_REASON);
}

/** Acknowledgement of the alarm topic (templates/streaming-observability.ts). */
export function acknowledgeAlarmTopic(topic: IConstruct): void {
  acknowledgeFinding(
    topic,
    `${AWS_SOLUTIONS}-SNS2`,
    'The topic carries only alarm state changes (alarm name, metric, threshold), no user data. CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, and a customer-managed key would add a monthly cost to an opt-in feature; publishing is restricted to TLS and to CloudWatch of this account.',
  );
}
