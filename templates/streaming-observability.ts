/**
 * `StreamingObservability`: a CloudWatch dashboard for one streaming add-on, and opt-in alarms.
 *
 * The publisher metrics are the EMF lines of functions/streaming/pipeline/metrics.ts: namespace
 * `QnaStreaming`, one dimension `Service` whose value is the publishing Lambda's service name
 * (`qnabot-hook`, `fulfillment`, `ask`, or the library default `publisher`). Those Lambdas may live
 * in another stack (the bot's), so the dashboard graphs use SEARCH over every `Service` value. Alarms
 * cannot use SEARCH; they combine the known service names with metric math (MAX of the p90s, SUM of
 * the errors). API Gateway's own `AWS/ApiGateway` metrics (ApiId, Stage) and the connection
 * Lambda's `AWS/Lambda` errors complete the picture.
 */
import { Aws, type CfnCondition, type CfnResource, Fn, Stack } from 'aws-cdk-lib';
import { CfnAlarm, CfnDashboard } from 'aws-cdk-lib/aws-cloudwatch';
import { CfnSubscription, CfnTopic, CfnTopicPolicy } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type QnaStreaming, STREAMING_STAGE_NAME } from './streaming-construct';

/** Namespace of the publisher's EMF metrics (functions/shared/metrics.ts DEFAULT_METRICS_NAMESPACE). */
export const METRICS_NAMESPACE = 'QnaStreaming';
/** The one dimension of the publisher's EMF metrics. */
export const METRICS_SERVICE_DIMENSION = 'Service';
/**
 * `Service` values of this project's publishers: the library default and the example/ask Lambdas
 * (functions/{qnabot-hook,fulfillment,ask}/handler.ts). Alarms watch exactly these.
 */
export const PUBLISHER_SERVICES = ['publisher', 'qnabot-hook', 'fulfillment', 'ask'] as const;

/** EMF metric names the dashboard and alarms read (functions/streaming/pipeline/metrics.ts). */
export const PUBLISHER_METRICS = {
  timeToFirstToken: 'TimeToFirstToken',
  totalTime: 'TotalTime',
  chunks: 'Chunks',
  posts: 'Posts',
  connections: 'Connections',
  goneConnections: 'GoneConnections',
  cancelled: 'Cancelled',
  errors: 'Errors',
} as const;

/** Construct ids (logical ids in the streaming template). Changing one replaces the resource. */
export const OBSERVABILITY_IDS = {
  dashboard: 'Dashboard',
  topic: 'AlarmTopic',
  topicPolicy: 'AlarmTopicPolicy',
  subscription: 'AlarmEmailSubscription',
  errorsAlarm: 'ErrorsAlarm',
  timeToFirstTokenAlarm: 'TimeToFirstTokenAlarm',
} as const;

/** Seconds per data point on the dashboard and in the alarms. */
const PERIOD = 300;

export interface StreamingAlarmProps {
  /** Deploy-time switch: the topic and the alarms exist only when this holds. @default - always */
  readonly enabled?: CfnCondition;
  /** Address subscribed to the alarm topic (may be a token). @default - no subscription */
  readonly email?: string;
  /** Deploy-time switch of the email subscription (e.g. "AlarmEmail is not empty"). @default - always */
  readonly emailEnabled?: CfnCondition;
  /** Alarm when the p90 time to first token of any publisher exceeds this (ms; may be a token). @default 3000 */
  readonly timeToFirstTokenP90Ms?: number;
  /** Alarm when this many answers fail in 5 minutes (may be a token). @default 1 */
  readonly errorsPerPeriod?: number;
}

export interface StreamingObservabilityProps {
  readonly streaming: QnaStreaming;
  /** @default '<stack name>-streaming' */
  readonly dashboardName?: string;
  /** @default - no alarms */
  readonly alarms?: StreamingAlarmProps;
}

type Row = unknown[];

function searchExpression(metric: string, stat: string, label: string, id: string): Row {
  return [
    {
      expression: `SEARCH('{${METRICS_NAMESPACE},${METRICS_SERVICE_DIMENSION}} MetricName="${metric}"', '${stat}', ${PERIOD})`,
      label,
      id,
    },
  ];
}

function graph(title: string, metrics: Row[], x: number, y: number, extra: Record<string, unknown> = {}) {
  return {
    type: 'metric',
    x,
    y,
    width: 12,
    height: 6,
    properties: { title, view: 'timeSeries', region: Aws.REGION, period: PERIOD, metrics, ...extra },
  };
}

export class StreamingObservability extends Construct {
  readonly dashboard: CfnDashboard;
  readonly dashboardName: string;
  /** `https://console.aws.amazon.com/cloudwatch/…#dashboards:name=…` */
  readonly dashboardUrl: string;
  readonly topic?: CfnTopic;
  readonly errorsAlarm?: CfnAlarm;
  readonly timeToFirstTokenAlarm?: CfnAlarm;

  constructor(scope: Construct, id: string, props: StreamingObservabilityProps) {
    super(scope, id);
    const { streaming } = props;
    const stack = Stack.of(this);
    const apiId = streaming.apiId;
    const functionName = streaming.connectionFunction.ref;
    const apiMetric = (name: string, label: string): Row => [
      'AWS/ApiGateway',
      name,
      'ApiId',
      apiId,
      'Stage',
      STREAMING_STAGE_NAME,
      { stat: 'Sum', label },
    ];
    const m = PUBLISHER_METRICS;

    const widgets = [
      {
        type: 'text',
        x: 0,
        y: 0,
        width: 24,
        height: 2,
        properties: {
          markdown: `## Answer streaming\nPublisher metrics: namespace \`${METRICS_NAMESPACE}\`, one line per answer, every \`${METRICS_SERVICE_DIMENSION}\` (publishing Lambda). WebSocket API: \`AWS/ApiGateway\` ApiId ${apiId}, stage ${STREAMING_STAGE_NAME}.`,
        },
      },
      graph(
        'Time to first token (ms)',
        [
          searchExpression(m.timeToFirstToken, 'p50', 'p50', 'ttft50'),
          searchExpression(m.timeToFirstToken, 'p90', 'p90', 'ttft90'),
        ],
        0,
        2,
        { yAxis: { left: { min: 0 } } },
      ),
      graph('Answers streamed', [searchExpression(m.totalTime, 'SampleCount', 'answers', 'answers')], 12, 2, {
        stat: 'SampleCount',
      }),
      graph(
        'Posts and model chunks',
        [
          searchExpression(m.posts, 'Sum', 'posts', 'posts'),
          searchExpression(m.chunks, 'Sum', 'model chunks', 'chunks'),
        ],
        0,
        8,
      ),
      graph(
        'Gone connections and cancelled answers',
        [
          searchExpression(m.goneConnections, 'Sum', 'gone (410)', 'gone'),
          searchExpression(m.cancelled, 'Sum', 'cancelled', 'cancelled'),
        ],
        12,
        8,
      ),
      graph(
        'Errors',
        [
          searchExpression(m.errors, 'Sum', 'failed answers', 'answerErrors'),
          [
            'AWS/Lambda',
            'Errors',
            'FunctionName',
            functionName,
            { stat: 'Sum', label: 'connection Lambda errors' },
          ],
          apiMetric('IntegrationError', 'integration errors'),
          apiMetric('ExecutionError', 'execution errors'),
          apiMetric('ClientError', 'client errors (refused connects)'),
        ],
        0,
        14,
      ),
      graph(
        'WebSocket API',
        [apiMetric('ConnectCount', 'connects'), apiMetric('MessageCount', 'messages')],
        12,
        14,
      ),
    ];

    this.dashboardName = props.dashboardName ?? Fn.join('-', [Aws.STACK_NAME, 'streaming']);
    this.dashboard = new CfnDashboard(this, OBSERVABILITY_IDS.dashboard, {
      dashboardName: this.dashboardName,
      dashboardBody: stack.toJsonString({ widgets }),
    });
    this.dashboardUrl = Fn.join('', [
      'https://console.aws.amazon.com/cloudwatch/home?region=',
      Aws.REGION,
      '#dashboards:name=',
      this.dashboardName,
    ]);

    if (props.alarms) {
      const created = this.addAlarms(props.alarms, functionName);
      this.topic = created.topic;
      this.errorsAlarm = created.errorsAlarm;
      this.timeToFirstTokenAlarm = created.timeToFirstTokenAlarm;
    }
  }

  private addAlarms(
    alarms: StreamingAlarmProps,
    connectionFunctionName: string,
  ): { topic: CfnTopic; errorsAlarm: CfnAlarm; timeToFirstTokenAlarm: CfnAlarm } {
    const conditional: CfnResource[] = [];
    const topic = new CfnTopic(this, OBSERVABILITY_IDS.topic, {
      displayName: 'qna-streaming alarms',
    });
    const topicPolicy = new CfnTopicPolicy(this, OBSERVABILITY_IDS.topicPolicy, {
      topics: [topic.ref],
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'AllowCloudWatchAlarms',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: topic.ref,
            Condition: { StringEquals: { 'AWS:SourceAccount': Aws.ACCOUNT_ID } },
          },
          {
            Sid: 'EnforceTls',
            Effect: 'Deny',
            Principal: '*',
            Action: 'sns:Publish',
            Resource: topic.ref,
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          },
        ],
      },
    });
    conditional.push(topic, topicPolicy);

    if (alarms.email !== undefined) {
      const subscription = new CfnSubscription(this, OBSERVABILITY_IDS.subscription, {
        topicArn: topic.ref,
        protocol: 'email',
        endpoint: alarms.email,
      });
      if (alarms.emailEnabled) subscription.cfnOptions.condition = alarms.emailEnabled;
      else conditional.push(subscription);
    }

    const perService = (metric: string, stat: string, prefix: string) =>
      PUBLISHER_SERVICES.map((service, index) => ({
        id: `${prefix}${index}`,
        returnData: false,
        metricStat: {
          metric: {
            namespace: METRICS_NAMESPACE,
            metricName: metric,
            dimensions: [{ name: METRICS_SERVICE_DIMENSION, value: service }],
          },
          period: PERIOD,
          stat,
        },
      }));
    const ids = (prefix: string) => PUBLISHER_SERVICES.map((_, index) => `${prefix}${index}`).join(', ');

    const timeToFirstTokenAlarm = new CfnAlarm(this, OBSERVABILITY_IDS.timeToFirstTokenAlarm, {
      alarmDescription: `Time to first token: p90 above the threshold in 2 of 3 five-minute periods, for any publisher (${METRICS_NAMESPACE} ${METRICS_SERVICE_DIMENSION}=${PUBLISHER_SERVICES.join('|')}). Check the model's latency and throttling first.`,
      comparisonOperator: 'GreaterThanThreshold',
      threshold: alarms.timeToFirstTokenP90Ms ?? 3000,
      evaluationPeriods: 3,
      datapointsToAlarm: 2,
      treatMissingData: 'notBreaching',
      alarmActions: [topic.ref],
      okActions: [topic.ref],
      metrics: [
        ...perService(PUBLISHER_METRICS.timeToFirstToken, 'p90', 'ttft'),
        {
          id: 'worst',
          expression: `MAX([${ids('ttft')}])`,
          label: 'worst p90 time to first token (ms)',
          returnData: true,
        },
      ],
    });

    const errorsAlarm = new CfnAlarm(this, OBSERVABILITY_IDS.errorsAlarm, {
      alarmDescription: `Failed answers (${METRICS_NAMESPACE} ${PUBLISHER_METRICS.errors}, any publisher) plus connection Lambda errors in 5 minutes. The final answer still reached users through Lex; read the publisher's logs for the cause.`,
      comparisonOperator: 'GreaterThanOrEqualToThreshold',
      threshold: alarms.errorsPerPeriod ?? 1,
      evaluationPeriods: 1,
      treatMissingData: 'notBreaching',
      alarmActions: [topic.ref],
      okActions: [topic.ref],
      metrics: [
        ...perService(PUBLISHER_METRICS.errors, 'Sum', 'errors'),
        {
          id: 'connection',
          returnData: false,
          metricStat: {
            metric: {
              namespace: 'AWS/Lambda',
              metricName: 'Errors',
              dimensions: [{ name: 'FunctionName', value: connectionFunctionName }],
            },
            period: PERIOD,
            stat: 'Sum',
          },
        },
        {
          id: 'total',
          expression: `SUM([${ids('errors')}, connection])`,
          label: 'failed answers + connection Lambda errors',
          returnData: true,
        },
      ],
    });
    conditional.push(timeToFirstTokenAlarm, errorsAlarm);

    if (alarms.enabled) {
      for (const resource of conditional) resource.cfnOptions.condition = alarms.enabled;
    }
    return { topic, errorsAlarm, timeToFirstTokenAlarm };
  }
}
