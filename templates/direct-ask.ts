/**
 * `DirectAsk`: the `ask` route for apps without Lex. A browser sends
 * `{"action":"ask","question":"…"}` on its socket; the ask Lambda streams the answer back to the
 * socket's session (functions/ask/).
 *
 * API Gateway gives a route integration at most 29 s, and an answer can take longer. So the route
 * invokes the Lambda asynchronously: integration type `AWS` (not proxy) with the header
 * `X-Amz-Invocation-Type: 'Event'`, whose request template hands over the connection id, the request
 * time and the client's message. API Gateway returns as soon as Lambda has queued the event; the
 * answer goes out through `@connections` like any other. No route response: the client gets nothing
 * back from the route itself, only the streamed frames. Lambda's own retries of async events are
 * off (a retry would stream the answer twice) and a question older than a minute is dropped.
 *
 * Everything here may sit under one condition (`EnableDirectAsk` in the streaming template).
 */
import { type CfnCondition, type CfnResource, Fn } from 'aws-cdk-lib';
import { CfnIntegration, CfnRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import { CfnEventInvokeConfig, CfnFunction, CfnPermission, type Code } from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { PUBLISHER_DEFAULTS } from '../functions/shared/config';
import { ENV, ROUTES } from '../functions/shared/constants';
import { StreamingTemplateError } from './errors';
import { executeApiArn, foundationModelArn, lambdaInvocationUri, lambdaRole } from './iam-arns';
import {
  type QnaStreaming,
  STREAMING_LAMBDA_HANDLER,
  STREAMING_LAMBDA_RUNTIME,
  STREAMING_STAGE_NAME,
} from './streaming-construct';

/**
 * The payload API Gateway sends the ask Lambda (functions/ask/ask-request.ts reads it). The
 * message is pasted as JSON (it reached this route because `$request.body.action` parsed, so it is
 * a JSON object) and comes **first**; the fields API Gateway supplies follow it, so the client
 * cannot override them. Whatever trailing text a body carries (`{…},"connectionId":"other"`), the
 * fixed tail `,"connectionId":"…","requestId":"…","requestTimeEpoch":…}` then either closes the
 * top-level object, making the genuine fields the last keys there (`JSON.parse` keeps the last of
 * duplicate keys), or leaves the payload unparsable (an open string, array or object before it),
 * which Lambda refuses. With the body last, as before, trailing text could append a second
 * `connectionId` after the genuine one.
 *
 * The body is not turned into a string with `"$util.escapeJavaScript($input.body)"`:
 * escapeJavaScript writes `'` as `\'`, which is not JSON, so every "What's …?" would break unless
 * `.replaceAll("\\'","'")` followed, and the ask Lambda would have to parse a second time.
 * test/local-execute-api/async-integration.test.ts renders crafted bodies through this template.
 */
export const DIRECT_ASK_REQUEST_TEMPLATE =
  '{"body":$input.body,"connectionId":"$context.connectionId","requestId":"$context.requestId","requestTimeEpoch":$context.requestTimeEpoch}';

/** Construct ids inside `DirectAsk` (logical ids `Ask<id>` in the streaming template). */
export const DIRECT_ASK_IDS = {
  logs: 'FunctionLogs',
  role: 'FunctionRole',
  function: 'Function',
  eventInvokeConfig: 'EventInvokeConfig',
  invokePermission: 'InvokePermission',
  integration: 'Integration',
  route: 'Route',
} as const;

export interface DirectAskProps {
  /** The streaming add-on whose API, table and publisher policy the route uses. */
  readonly streaming: QnaStreaming;
  /** Code of the ask Lambda: a zip whose `index.js` exports `handler` (asset `ask`). */
  readonly code: Code;
  /** Bedrock foundation model id the Lambda answers with; its role may call this model only. */
  readonly modelId: string;
  /** Deploy-time switch: every resource exists only when this condition holds. @default - always */
  readonly enabled?: CfnCondition;
  /** Retention of the Lambda's log group; may be a token. @default 30 */
  readonly logRetentionDays?: number;
  /** Seconds one answer may take. @default 120 */
  readonly timeoutSeconds?: number;
}

export class DirectAsk extends Construct {
  readonly route: CfnRoute;
  readonly integration: CfnIntegration;
  readonly function: CfnFunction;
  readonly role: CfnRole;

  constructor(scope: Construct, id: string, props: DirectAskProps) {
    super(scope, id);
    const { streaming } = props;
    const apiId = streaming.api.ref;
    const timeout = props.timeoutSeconds ?? 120;
    if (!(timeout >= 10 && timeout <= 900)) {
      throw new StreamingTemplateError(`timeoutSeconds must be from 10 to 900, got ${timeout}`);
    }

    const logs = new CfnLogGroup(this, DIRECT_ASK_IDS.logs, {
      retentionInDays: props.logRetentionDays ?? 30,
    });
    this.role = lambdaRole(this, DIRECT_ASK_IDS.role, {
      description: 'Direct-ask Lambda: its logs, one Bedrock model, and the publisher policy of this API.',
      policyName: 'DirectAskFunction',
      logGroupArn: logs.attrArn,
      managedPolicyArns: [streaming.publisherPolicyArn],
      statements: [
        {
          // ConverseStream is authorized as InvokeModelWithResponseStream.
          Sid: 'AnswerModel',
          Effect: 'Allow',
          Action: 'bedrock:InvokeModelWithResponseStream',
          Resource: foundationModelArn(props.modelId),
        },
      ],
    });

    const codeConfig = props.code.bind(this);
    if (!codeConfig.s3Location) throw new StreamingTemplateError('DirectAsk code must be an S3 lambda.Code');
    this.function = new CfnFunction(this, DIRECT_ASK_IDS.function, {
      description: 'Answers {"action":"ask"} messages by streaming the model answer to the session sockets.',
      runtime: STREAMING_LAMBDA_RUNTIME,
      handler: STREAMING_LAMBDA_HANDLER,
      architectures: ['arm64'],
      memorySize: 512,
      timeout,
      role: this.role.attrArn,
      code: {
        s3Bucket: codeConfig.s3Location.bucketName,
        s3Key: codeConfig.s3Location.objectKey,
        s3ObjectVersion: codeConfig.s3Location.objectVersion,
      },
      environment: {
        variables: {
          ...streaming.publisherEnvironment(),
          [ENV.modelId]: props.modelId,
          [ENV.coalesceWindowMs]: String(PUBLISHER_DEFAULTS.coalesceWindowMs),
          [ENV.coalesceMaxBytes]: String(PUBLISHER_DEFAULTS.coalesceMaxBytes),
          [ENV.logLevel]: 'info',
        },
      },
      loggingConfig: { logGroup: logs.ref },
    });
    props.code.bindToResource(this.function);

    const eventInvokeConfig = new CfnEventInvokeConfig(this, DIRECT_ASK_IDS.eventInvokeConfig, {
      functionName: this.function.ref,
      qualifier: '$LATEST',
      maximumRetryAttempts: 0,
      maximumEventAgeInSeconds: 60,
    });

    const permission = new CfnPermission(this, DIRECT_ASK_IDS.invokePermission, {
      action: 'lambda:InvokeFunction',
      functionName: this.function.attrArn,
      principal: 'apigateway.amazonaws.com',
      sourceArn: executeApiArn(apiId, `/${STREAMING_STAGE_NAME}/${ROUTES.ask}`),
    });

    this.integration = new CfnIntegration(this, DIRECT_ASK_IDS.integration, {
      apiId,
      integrationType: 'AWS',
      integrationMethod: 'POST',
      integrationUri: lambdaInvocationUri(this.function.attrArn),
      requestParameters: { 'integration.request.header.X-Amz-Invocation-Type': "'Event'" },
      templateSelectionExpression: '\\$default',
      requestTemplates: { $default: DIRECT_ASK_REQUEST_TEMPLATE },
      passthroughBehavior: 'NEVER',
      description: 'Ask Lambda, invoked asynchronously (Event): answers stream back through @connections.',
    });
    this.route = new CfnRoute(this, DIRECT_ASK_IDS.route, {
      apiId,
      routeKey: ROUTES.ask,
      authorizationType: 'NONE',
      operationName: 'Ask',
      target: Fn.join('/', ['integrations', this.integration.ref]),
    });

    if (props.enabled) {
      const resources: CfnResource[] = [
        logs,
        this.role,
        this.function,
        eventInvokeConfig,
        permission,
        this.integration,
        this.route,
      ];
      for (const resource of resources) resource.cfnOptions.condition = props.enabled;
    }
  }
}
