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
 * What one visitor, or all of them together, can spend:
 * - per session and identity, the ask Lambda's limits (functions/ask/ask-limits.ts): one answer in
 *   flight per session (`Busy`), a number of questions a minute per identity (`RateLimited`);
 * - per answer, `maxTokens` output tokens (`STREAMING_MAX_TOKENS`) and the Lambda timeout;
 * - for everyone together, the `ask` route's own throttle on the stage (far below the stage's
 *   default) and the Lambda's reserved concurrency, so asks can never take the account's Lambda
 *   concurrency from the bot's fulfillment. Anyone can mint unauthenticated Cognito identities, so
 *   only these account-wide bounds hold against a determined flood; the per-identity limits keep
 *   one visitor from using them all up casually.
 *
 * Everything here may sit under one condition (`EnableDirectAsk` in the streaming template).
 */
import { type CfnCondition, type CfnResource, Fn, Token } from 'aws-cdk-lib';
import { CfnIntegration, CfnRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import type { CfnRole } from 'aws-cdk-lib/aws-iam';
import { CfnEventInvokeConfig, CfnFunction, CfnPermission, type Code } from 'aws-cdk-lib/aws-lambda';
import { CfnLogGroup } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { ROUTES } from '../functions/protocol/websocket';
import { DIRECT_ASK_LIMIT_RANGES, PUBLISHER_DEFAULTS } from '../functions/shared/config';
import { DIRECT_ASK_DEFAULTS, ENV, TABLE } from '../functions/shared/constants';
import { StreamingTemplateError } from './errors';
import { executeApiArn, foundationModelArn, lambdaInvocationUri, lambdaRole } from './iam-arns';
import {
  type QnaStreaming,
  type RouteThrottle,
  reservedConcurrencyProperty,
  STREAMING_LAMBDA_HANDLER,
  STREAMING_LAMBDA_RUNTIME,
  STREAMING_STAGE_NAME,
} from './streaming-construct';

/** Defaults of the direct-ask route's spend limits (also the streaming template's parameter defaults). */
export const DIRECT_ASK_SPEND_DEFAULTS = {
  /** Output tokens of one answer (Bedrock `maxTokens`). */
  maxTokens: 1024,
  /** The ask Lambda's reserved concurrency: at most this many answers run at once, account-wide. */
  reservedConcurrency: 10,
  /** The `ask` route's throttle on the stage, for all clients together. */
  throttle: { burstLimit: 20, rateLimit: 10 },
  answersInFlight: DIRECT_ASK_DEFAULTS.answersInFlight,
  questionsPerMinute: DIRECT_ASK_DEFAULTS.questionsPerMinute,
} as const;

/** Largest `maxTokens` the template accepts. */
export const DIRECT_ASK_MAX_TOKENS_LIMIT = 8192;

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
  /** Output tokens of one answer, 1 to 8192. May be a token. @default 1024 */
  readonly maxTokens?: number;
  /** Answers one session may have running at once, 1 to 10. May be a token. @default 1 */
  readonly answersInFlight?: number;
  /** Questions one identity may ask a minute, 0 (no limit) to 600. May be a token. @default 10 */
  readonly questionsPerMinute?: number;
  /**
   * Reserved concurrency of the ask Lambda: -1 for none (it then shares the account's pool), 0
   * stops it (asks wait in Lambda's queue up to a minute and are dropped: an emergency stop), N lets
   * at most N answers run at once. May be a token. @default 10
   */
  readonly reservedConcurrency?: number;
  /** Throttle of the `ask` route, for all clients together. May be tokens. @default burst 20, 10/s */
  readonly throttle?: RouteThrottle;
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
    const maxTokens = checkedNumber('maxTokens', props.maxTokens ?? DIRECT_ASK_SPEND_DEFAULTS.maxTokens, {
      min: 1,
      max: DIRECT_ASK_MAX_TOKENS_LIMIT,
    });
    const answersInFlight = checkedNumber(
      'answersInFlight',
      props.answersInFlight ?? DIRECT_ASK_SPEND_DEFAULTS.answersInFlight,
      DIRECT_ASK_LIMIT_RANGES.answersInFlight,
    );
    const questionsPerMinute = checkedNumber(
      'questionsPerMinute',
      props.questionsPerMinute ?? DIRECT_ASK_SPEND_DEFAULTS.questionsPerMinute,
      DIRECT_ASK_LIMIT_RANGES.questionsPerMinute,
    );

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
        {
          // Ends an answer's lease in one write (functions/shared/session-table.ts releaseAskLease);
          // only the ask-limit items (`a#…`), which no other writer touches.
          Sid: 'AskLeases',
          Effect: 'Allow',
          Action: 'dynamodb:UpdateItem',
          Resource: streaming.tableArn,
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${TABLE.askKeyPrefix}*`] } },
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
      reservedConcurrentExecutions: reservedConcurrencyProperty(
        props.reservedConcurrency ?? DIRECT_ASK_SPEND_DEFAULTS.reservedConcurrency,
      ),
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
          [ENV.maxTokens]: maxTokens,
          [ENV.askAnswersInFlight]: answersInFlight,
          [ENV.askQuestionsPerMinute]: questionsPerMinute,
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

    streaming.addRouteThrottle(ROUTES.ask, props.throttle ?? DIRECT_ASK_SPEND_DEFAULTS.throttle, {
      ...(props.enabled ? { condition: props.enabled } : {}),
      route: this.route,
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

/** A whole number in range as an environment value; a token (a parameter's Ref) stays a token. */
function checkedNumber(name: string, value: number, range: { min: number; max: number }): string {
  if (Token.isUnresolved(value)) return Token.asString(value);
  if (!(Number.isInteger(value) && value >= range.min && value <= range.max)) {
    throw new StreamingTemplateError(
      `${name} must be a whole number from ${range.min} to ${range.max}, got ${value}`,
    );
  }
  return String(value);
}
