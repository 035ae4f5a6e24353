/**
 * The `streaming` template: `QnaStreaming` driven by CloudFormation parameters. Deployable on its
 * own (`aws cloudformation deploy`) and as an `AWS::CloudFormation::Stack` of a QnABot-style parent.
 *
 * It is a drop-in replacement for QnABot 7.4's nested streaming stack (docs/qnabot-admin-guide.md):
 * - it declares every parameter QnABot's master passes (upstream
 *   source/templates/master/streamingstack.js) and accepts every value the master's declarations
 *   allow (upstream source/templates/master/index.js): a blank `BootstrapPrefix`, a
 *   `LogRetentionPeriod` of 0 (never expire) or any of QnABot's other values, comma-joined VPC
 *   lists; `CFNLambda`, `CFNInvokePolicy` and `S3Clean` are accepted and unused;
 * - every other parameter has a default, as the master passes nothing else;
 * - Lambda code keys are QnABot's `${BootstrapPrefix}/lambda/<zip>` (`Fn::Join` with "/", so a
 *   blank prefix gives QnABot's own leading-slash keys), next to `${BootstrapPrefix}/templates/…`;
 * - it has the outputs the master reads, and QnABot's logical ids for the resources both
 *   templates have (streaming-construct.ts explains why and which).
 */
import { Aws, CfnCondition, CfnDeletionPolicy, CfnOutput, CfnParameter, Fn, Token } from 'aws-cdk-lib';
import { CfnAccount } from 'aws-cdk-lib/aws-apigateway';
import { CfnRole } from 'aws-cdk-lib/aws-iam';
import { Code } from 'aws-cdk-lib/aws-lambda';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import type { Construct } from 'constructs';
import { DIRECT_ASK_LIMIT_RANGES } from '../functions/shared/config';
import { DIRECT_ASK_MAX_TOKENS_LIMIT, DIRECT_ASK_SPEND_DEFAULTS, DirectAsk } from './direct-ask';
import { StreamingTemplateError } from './errors';
import { findLambdaAsset, type LambdaAssetKeys } from './lambda-assets';
import { acknowledgeAlarmTopic, acknowledgeDirectAsk, acknowledgeStreamingTemplate } from './nag';
import { ReadableStack } from './readable-stack';
import {
  addAlarmParameters,
  addBootstrapParameters,
  addConfigureApiGatewayAccountParameter,
  addDirectAskSwitchParameters,
  addIdentityBindingParameters,
  addLogHashKeyParameter,
  addQnabotMasterOnlyParameters,
  addSharedSettingsParameters,
  LOG_HASH_KEY_PARAMETER,
  PARENT_SETTING_NAMES,
  QNABOT_MASTER_ONLY_PARAMETER_NAMES,
  SHARED_PARAMETER_NAMES,
} from './shared-parameters';
import {
  CONNECTION_RESERVED_CONCURRENCY_DEFAULT,
  QnaStreaming,
  UNKNOWN_ACTION_THROTTLE_DEFAULTS,
} from './streaming-construct';
import { StreamingObservability } from './streaming-observability';

/** Output names of the streaming template: the contract with parents and chat clients. */
export const STREAMING_OUTPUTS = {
  webSocketEndpoint: 'StreamingWebSocketEndpoint',
  callbackUrl: 'StreamingCallbackUrl',
  apiId: 'StreamingWebSocketApiId',
  tableName: 'StreamingDynamoDbTable',
  tableArn: 'StreamingDynamoDbTableArn',
  lambdaArn: 'StreamingLambdaArn',
  publisherPolicyArn: 'StreamingPublisherPolicyArn',
} as const;

/** Outputs about monitoring (not wired into parents). */
export const MONITORING_OUTPUTS = {
  dashboardUrl: 'StreamingDashboardUrl',
  alarmTopicArn: 'StreamingAlarmTopicArn',
} as const;

/** Parameter names of the streaming template. */
export const STREAMING_PARAMETERS = {
  ...SHARED_PARAMETER_NAMES,
  ...QNABOT_MASTER_ONLY_PARAMETER_NAMES,
  ...PARENT_SETTING_NAMES,
  throttlingBurstLimit: 'ThrottlingBurstLimit',
  throttlingRateLimit: 'ThrottlingRateLimit',
  unknownActionThrottlingBurstLimit: 'UnknownActionThrottlingBurstLimit',
  unknownActionThrottlingRateLimit: 'UnknownActionThrottlingRateLimit',
  connectionReservedConcurrency: 'ConnectionReservedConcurrency',
  logHashKey: LOG_HASH_KEY_PARAMETER,
  directAskMaxTokens: 'DirectAskMaxTokens',
  directAskAnswersInFlight: 'DirectAskAnswersInFlight',
  directAskQuestionsPerMinute: 'DirectAskQuestionsPerMinute',
  directAskReservedConcurrency: 'DirectAskReservedConcurrency',
  directAskThrottlingBurstLimit: 'DirectAskThrottlingBurstLimit',
  directAskThrottlingRateLimit: 'DirectAskThrottlingRateLimit',
} as const;

/** Condition names of the streaming template. */
export const STREAMING_CONDITIONS = {
  xrayEnabled: 'XrayEnabled',
  vpcEnabled: 'VpcEnabled',
  logsNeverExpire: 'LogsNeverExpire',
  configureApiGatewayAccount: 'ConfigureApiGatewayAccountEnabled',
  directAskEnabled: 'DirectAskEnabled',
  connectionConcurrencyReserved: 'ConnectionConcurrencyReserved',
  directAskConcurrencyReserved: 'DirectAskConcurrencyReserved',
  alarmsEnabled: 'AlarmsEnabled',
  alarmEmailGiven: 'AlarmEmailGiven',
} as const;

/** Id of the `StreamingObservability` inside the template (logical ids `Dashboard`, `ErrorsAlarm`, …). */
export const OBSERVABILITY_CONSTRUCT_ID = 'Monitoring';

/** Id of the `DirectAsk` inside the template (logical ids `AskRoute`, `AskFunction`, …). */
export const DIRECT_ASK_CONSTRUCT_ID = 'Ask';

/** Id of the `QnaStreaming` inside the template; left out of logical ids (`WebSocketApi`, …). */
export const STREAMING_CONSTRUCT_ID = 'Streaming';

/** The S3 key (relative to BootstrapPrefix) of the streaming template itself. */
export const STREAMING_TEMPLATE_KEY = 'templates/streaming.json';

export interface StreamingStackProps {
  /** Prefix-relative S3 keys of the Lambda zips (templates/lambda-assets.ts). */
  readonly assetKeys: LambdaAssetKeys;
  /** @default 'qna-streaming' */
  readonly stackName?: string;
}

export class StreamingStack extends ReadableStack {
  readonly streaming: QnaStreaming;
  /** The `ask` route and Lambda; every resource under the `DirectAskEnabled` condition. */
  readonly directAsk: DirectAsk;
  /** The dashboard, and the alarms under the `AlarmsEnabled` condition. */
  readonly observability: StreamingObservability;

  constructor(scope: Construct, id: string, props: StreamingStackProps) {
    super(scope, id, {
      stackName: props.stackName ?? 'qna-streaming',
      description:
        'qna-streaming: WebSocket API, session table and connection Lambda that stream LLM answers to QnABot / Lex Web UI chat clients word by word.',
      transparentIds: [STREAMING_CONSTRUCT_ID, OBSERVABILITY_CONSTRUCT_ID],
    });
    const p = STREAMING_PARAMETERS;
    const c = STREAMING_CONDITIONS;

    const { bucket: bootstrapBucket, prefix: bootstrapPrefix } = addBootstrapParameters(this);
    const { logRetention, xray, subnets, securityGroups } = addSharedSettingsParameters(this);
    addQnabotMasterOnlyParameters(this);
    const { identityBinding, maxSessions, maxTabs } = addIdentityBindingParameters(this);
    const burst = new CfnParameter(this, p.throttlingBurstLimit, {
      type: 'Number',
      default: 500,
      minValue: 1,
      description: 'Burst limit of every route of the Prod stage.',
    });
    const rate = new CfnParameter(this, p.throttlingRateLimit, {
      type: 'Number',
      default: 1000,
      minValue: 1,
      description: 'Steady-state requests per second of every route of the Prod stage.',
    });
    const unknownBurst = new CfnParameter(this, p.unknownActionThrottlingBurstLimit, {
      type: 'Number',
      default: UNKNOWN_ACTION_THROTTLE_DEFAULTS.burstLimit,
      minValue: 1,
      description:
        'Burst limit of the $default route (messages with an unknown action; no client needs it, and each costs a connection Lambda call), for all clients together.',
    });
    const unknownRate = new CfnParameter(this, p.unknownActionThrottlingRateLimit, {
      type: 'Number',
      default: UNKNOWN_ACTION_THROTTLE_DEFAULTS.rateLimit,
      minValue: 1,
      description: 'Steady-state messages per second of the $default route, for all clients together.',
    });
    const connectionConcurrency = new CfnParameter(this, p.connectionReservedConcurrency, {
      type: 'Number',
      default: CONNECTION_RESERVED_CONCURRENCY_DEFAULT,
      minValue: -1,
      description:
        "Reserved concurrency of the connection Lambda: caps what a flood of connects or messages can take of the account's Lambda concurrency. -1: no reservation (use it if the deploy fails because the account's unreserved concurrency would drop below its minimum). 0 stops the function: every connect fails (emergency stop).",
    });
    const configureAccount = addConfigureApiGatewayAccountParameter(this);
    const logHashKey = addLogHashKeyParameter(this);

    const { enableDirectAsk, directAskModelId } = addDirectAskSwitchParameters(this);
    const askMaxTokens = new CfnParameter(this, p.directAskMaxTokens, {
      type: 'Number',
      default: DIRECT_ASK_SPEND_DEFAULTS.maxTokens,
      minValue: 1,
      maxValue: DIRECT_ASK_MAX_TOKENS_LIMIT,
      description: 'Longest answer to an "ask" message, in output tokens (Bedrock maxTokens).',
    });
    const askInFlight = new CfnParameter(this, p.directAskAnswersInFlight, {
      type: 'Number',
      default: DIRECT_ASK_SPEND_DEFAULTS.answersInFlight,
      minValue: DIRECT_ASK_LIMIT_RANGES.answersInFlight.min,
      maxValue: DIRECT_ASK_LIMIT_RANGES.answersInFlight.max,
      description:
        'Answers one session may have running at once; one more "ask" gets an error frame with code Busy.',
    });
    const askPerMinute = new CfnParameter(this, p.directAskQuestionsPerMinute, {
      type: 'Number',
      default: DIRECT_ASK_SPEND_DEFAULTS.questionsPerMinute,
      minValue: DIRECT_ASK_LIMIT_RANGES.questionsPerMinute.min,
      maxValue: DIRECT_ASK_LIMIT_RANGES.questionsPerMinute.max,
      description:
        'Questions one identity (all its sessions together) may ask per minute; past it an error frame with code RateLimited says when to ask again. 0: no limit.',
    });
    const askConcurrency = new CfnParameter(this, p.directAskReservedConcurrency, {
      type: 'Number',
      default: DIRECT_ASK_SPEND_DEFAULTS.reservedConcurrency,
      minValue: -1,
      description:
        "Reserved concurrency of the ask Lambda: at most this many answers run at once for everyone, and the bot's own Lambdas keep the rest of the account's concurrency. -1: no reservation (shares the account pool, unbounded). 0 stops it: asks wait up to a minute in Lambda's queue and are dropped (emergency stop).",
    });
    const askBurst = new CfnParameter(this, p.directAskThrottlingBurstLimit, {
      type: 'Number',
      default: DIRECT_ASK_SPEND_DEFAULTS.throttle.burstLimit,
      minValue: 1,
      description: 'Burst limit of the "ask" route, for all clients together.',
    });
    const askRate = new CfnParameter(this, p.directAskThrottlingRateLimit, {
      type: 'Number',
      default: DIRECT_ASK_SPEND_DEFAULTS.throttle.rateLimit,
      minValue: 1,
      description: 'Steady-state "ask" messages per second, for all clients together.',
    });

    const { enableAlarms, alarmEmail, alarmTtft, alarmErrors } = addAlarmParameters(this);

    const xrayEnabled = new CfnCondition(this, c.xrayEnabled, {
      expression: Fn.conditionEquals(xray.valueAsString, 'TRUE'),
    });
    // Both lists must be given; one without the other would deploy a broken VPC config.
    const vpcEnabled = new CfnCondition(this, c.vpcEnabled, {
      expression: Fn.conditionAnd(
        Fn.conditionNot(Fn.conditionEquals(Fn.join('', subnets.valueAsList), '')),
        Fn.conditionNot(Fn.conditionEquals(Fn.join('', securityGroups.valueAsList), '')),
      ),
    });
    const logsNeverExpire = new CfnCondition(this, c.logsNeverExpire, {
      expression: Fn.conditionEquals(logRetention.valueAsString, '0'),
    });
    const accountEnabled = new CfnCondition(this, c.configureApiGatewayAccount, {
      expression: Fn.conditionEquals(configureAccount.valueAsString, 'TRUE'),
    });
    const directAskEnabled = new CfnCondition(this, c.directAskEnabled, {
      expression: Fn.conditionEquals(enableDirectAsk.valueAsString, 'TRUE'),
    });
    const connectionConcurrencyReserved = new CfnCondition(this, c.connectionConcurrencyReserved, {
      expression: Fn.conditionNot(Fn.conditionEquals(connectionConcurrency.valueAsString, '-1')),
    });
    const askConcurrencyReserved = new CfnCondition(this, c.directAskConcurrencyReserved, {
      expression: Fn.conditionNot(Fn.conditionEquals(askConcurrency.valueAsString, '-1')),
    });
    /** A reserved-concurrency parameter as the property: dropped for -1 (no reservation). */
    const reserved = (parameter: CfnParameter, condition: CfnCondition) =>
      Token.asNumber(Fn.conditionIf(condition.logicalId, parameter.valueAsNumber, Aws.NO_VALUE));

    const alarmEmailGiven = new CfnCondition(this, c.alarmEmailGiven, {
      expression: Fn.conditionNot(Fn.conditionEquals(alarmEmail.valueAsString, '')),
    });
    const alarmsEnabled = new CfnCondition(this, c.alarmsEnabled, {
      expression: Fn.conditionOr(Fn.conditionEquals(enableAlarms.valueAsString, 'TRUE'), alarmEmailGiven),
    });

    const connectionKey = props.assetKeys[findLambdaAsset('connection').name];
    if (!connectionKey) throw new StreamingTemplateError('assetKeys has no key for the "connection" Lambda');
    const askKey = props.assetKeys[findLambdaAsset('ask').name];
    if (!askKey) throw new StreamingTemplateError('assetKeys has no key for the "ask" Lambda');
    const bucket = Bucket.fromBucketName(this, 'BootstrapBucketRef', bootstrapBucket.valueAsString);
    const code = Code.fromBucket(bucket, Fn.join('/', [bootstrapPrefix.valueAsString, connectionKey]));
    const logRetentionDays = Token.asNumber(
      Fn.conditionIf(logsNeverExpire.logicalId, Aws.NO_VALUE, logRetention.valueAsNumber),
    );

    this.streaming = new QnaStreaming(this, STREAMING_CONSTRUCT_ID, {
      code,
      logRetentionDays,
      identityBinding: identityBinding.valueAsString,
      maxSessionsPerIdentity: maxSessions.valueAsNumber,
      maxTabsPerSession: maxTabs.valueAsNumber,
      throttlingBurstLimit: burst.valueAsNumber,
      throttlingRateLimit: rate.valueAsNumber,
      unknownActionThrottle: { burstLimit: unknownBurst.valueAsNumber, rateLimit: unknownRate.valueAsNumber },
      reservedConcurrency: reserved(connectionConcurrency, connectionConcurrencyReserved),
      tracing: xrayEnabled,
      vpc: {
        subnetIds: subnets.valueAsList,
        securityGroupIds: securityGroups.valueAsList,
        enabled: vpcEnabled,
      },
      apiName: Fn.join('-', [Aws.STACK_NAME, 'streaming']),
      // '' (the default) reaches the Lambdas as an empty STREAMING_LOG_HASH_KEY, which
      // functions/shared/config.ts reads as unset: a random key per container.
      logHashKey: logHashKey.valueAsString,
    });

    this.directAsk = new DirectAsk(this, DIRECT_ASK_CONSTRUCT_ID, {
      streaming: this.streaming,
      code: Code.fromBucket(bucket, Fn.join('/', [bootstrapPrefix.valueAsString, askKey])),
      modelId: directAskModelId.valueAsString,
      enabled: directAskEnabled,
      logRetentionDays,
      maxTokens: askMaxTokens.valueAsNumber,
      answersInFlight: askInFlight.valueAsNumber,
      questionsPerMinute: askPerMinute.valueAsNumber,
      reservedConcurrency: reserved(askConcurrency, askConcurrencyReserved),
      throttle: { burstLimit: askBurst.valueAsNumber, rateLimit: askRate.valueAsNumber },
    });

    this.observability = new StreamingObservability(this, OBSERVABILITY_CONSTRUCT_ID, {
      streaming: this.streaming,
      alarms: {
        enabled: alarmsEnabled,
        email: alarmEmail.valueAsString,
        emailEnabled: alarmEmailGiven,
        timeToFirstTokenP90Ms: alarmTtft.valueAsNumber,
        errorsPerPeriod: alarmErrors.valueAsNumber,
      },
    });

    // WebSocket stage logging needs the account-level API Gateway CloudWatch role. Setting it is
    // a region-wide side effect (every API in the region uses that role), so it happens only when
    // asked for. The role is retained on delete: the account setting keeps pointing at it.
    const accountRole = new CfnRole(this, 'ApiGatewayCloudWatchRole', {
      description: 'Lets API Gateway write access and execution logs of every API in this region.',
      assumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: { Service: 'apigateway.amazonaws.com' }, Action: 'sts:AssumeRole' },
        ],
      },
      managedPolicyArns: [
        Fn.join('', [
          'arn:',
          Aws.PARTITION,
          ':iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs',
        ]),
      ],
    });
    accountRole.cfnOptions.condition = accountEnabled;
    accountRole.cfnOptions.deletionPolicy = CfnDeletionPolicy.RETAIN;
    accountRole.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
    const account = new CfnAccount(this, 'ApiGatewayAccount', { cloudWatchRoleArn: accountRole.attrArn });
    account.cfnOptions.condition = accountEnabled;
    // DependsOn cannot name a resource that may not exist; a conditional reference in Metadata
    // orders the stage after the account setting when (and only when) it is created.
    this.streaming.stage.cfnOptions.metadata = {
      ...this.streaming.stage.cfnOptions.metadata,
      ApiGatewayAccount: Fn.conditionIf(accountEnabled.logicalId, account.ref, ''),
    };

    const o = STREAMING_OUTPUTS;
    const s = this.streaming;
    new CfnOutput(this, o.webSocketEndpoint, {
      value: s.webSocketEndpoint,
      description: 'wss:// URL chat clients connect to (paste into the Lex Web UI / plugin config).',
    });
    new CfnOutput(this, o.callbackUrl, {
      value: s.callbackUrl,
      description: 'https:// @connections endpoint publishers post to.',
    });
    new CfnOutput(this, o.apiId, { value: s.apiId, description: 'Id of the WebSocket API.' });
    new CfnOutput(this, o.tableName, { value: s.tableName, description: 'Session table name.' });
    new CfnOutput(this, o.tableArn, { value: s.tableArn, description: 'Session table ARN.' });
    new CfnOutput(this, o.lambdaArn, { value: s.functionArn, description: 'Connection Lambda ARN.' });
    new CfnOutput(this, o.publisherPolicyArn, {
      value: s.publisherPolicyArn,
      description: 'Managed policy to attach to the role of a Lambda that streams answers.',
    });

    new CfnOutput(this, MONITORING_OUTPUTS.dashboardUrl, {
      value: this.observability.dashboardUrl,
      description:
        'CloudWatch dashboard: time to first token, answers, posts, gone connections, errors, API traffic.',
    });
    if (this.observability.topic) {
      const topicOutput = new CfnOutput(this, MONITORING_OUTPUTS.alarmTopicArn, {
        value: this.observability.topic.ref,
        description: 'SNS topic the alarms notify (subscribe more endpoints to it).',
      });
      topicOutput.condition = alarmsEnabled;
      acknowledgeAlarmTopic(this.observability.topic);
    }

    acknowledgeStreamingTemplate(this, this.streaming, accountRole);
    acknowledgeDirectAsk(this.directAsk);

    this.templateOptions.metadata = {
      'AWS::CloudFormation::Interface': {
        ParameterGroups: [
          { Label: { default: 'Artifacts' }, Parameters: [p.bootstrapBucket, p.bootstrapPrefix] },
          {
            Label: { default: 'Security and limits' },
            Parameters: [
              p.identityBinding,
              p.maxSessionsPerIdentity,
              p.maxTabsPerSession,
              p.throttlingBurstLimit,
              p.throttlingRateLimit,
              p.unknownActionThrottlingBurstLimit,
              p.unknownActionThrottlingRateLimit,
              p.connectionReservedConcurrency,
            ],
          },
          {
            Label: { default: 'Operations' },
            Parameters: [p.logRetentionPeriod, p.xraySetting, p.configureApiGatewayAccount, p.logHashKey],
          },
          { Label: { default: 'Network' }, Parameters: [p.vpcSubnetIdList, p.vpcSecurityGroupIdList] },
          {
            Label: { default: 'Direct ask (apps without Lex)' },
            Parameters: [
              p.enableDirectAsk,
              p.directAskModelId,
              p.directAskMaxTokens,
              p.directAskAnswersInFlight,
              p.directAskQuestionsPerMinute,
              p.directAskReservedConcurrency,
              p.directAskThrottlingBurstLimit,
              p.directAskThrottlingRateLimit,
            ],
          },
          {
            Label: { default: 'Alarms' },
            Parameters: [p.enableAlarms, p.alarmEmail, p.alarmTimeToFirstTokenMs, p.alarmErrorThreshold],
          },
          {
            Label: { default: 'Passed by the QnABot master (unused; leave empty)' },
            Parameters: [p.cfnLambda, p.cfnInvokePolicy, p.s3Clean],
          },
        ],
      },
    };
  }
}
