/**
 * The streaming template's CloudWatch dashboard and opt-in alarms: the graphs read the metrics the
 * publisher really emits (namespace, dimension and names taken from metricsLine itself), API
 * Gateway's metrics of this API and stage, and the alarms exist only when asked for.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CfnEvaluator, type CfnTemplate } from '../../cli/local-stack/cloudformation/evaluator';
import { metricsLine } from '../../functions/streaming/pipeline/metrics';
import { MONITORING_OUTPUTS, PUBLISHER_SERVICES, synthTemplates } from '../../templates';
import { TEST_ASSET_KEYS } from './asset-keys';

// Prepare (once per file): the template, and one EMF line as the publisher writes it.
const json = synthTemplates({ assetKeys: TEST_ASSET_KEYS }).streaming as unknown as CfnTemplate;
const bootstrap = { BootstrapBucket: 'b', BootstrapPrefix: 'p' };
const emf = JSON.parse(
  metricsLine({
    timeToFirstTokenMs: 1,
    totalMs: 2,
    chunks: 3,
    posts: 1,
    connections: 1,
    goneConnections: 0,
    cancelled: false,
    error: false,
  }),
) as {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
  Service: string;
};
const emitted = emf._aws.CloudWatchMetrics[0];
const emittedNames = new Set(emitted?.Metrics.map((metric) => metric.Name));

type Json = Record<string, unknown>;
interface Widget {
  type: string;
  properties: { title?: string; metrics?: unknown[][] };
}

/** The dashboard body as JSON, with each intrinsic inside it shown as `<Ref:Id>` / `<…>`. */
function dashboardBody(): { widgets: Widget[] } {
  const body = ((json.Resources.Dashboard?.Properties ?? {}) as Json).DashboardBody as {
    'Fn::Join': [string, unknown[]];
  };
  const text = body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const ref = (part as { Ref?: string }).Ref;
      return ref ? `<Ref:${ref}>` : '<intrinsic>';
    })
    .join('');
  return JSON.parse(text) as { widgets: Widget[] };
}

function effective(parameters: Record<string, string> = {}) {
  return new CfnEvaluator(json, { ...bootstrap, ...parameters }).effective();
}

const resourcesOfType = (resources: Record<string, Json>, type: string) =>
  Object.entries(resources).filter(([, resource]) => resource.Type === type);

describe('dashboard', () => {
  const widgets = dashboardBody().widgets;
  const searches = widgets.flatMap((widget) =>
    (widget.properties.metrics ?? [])
      .map((row) => (row[0] as { expression?: string }).expression)
      .filter((expression): expression is string => typeof expression === 'string'),
  );

  test('every publisher graph searches the namespace and dimension the EMF lines carry', () => {
    expect(emitted?.Dimensions).toEqual([['Service']]);
    expect(searches.length).toBeGreaterThanOrEqual(7);
    for (const expression of searches) {
      expect(expression).toMatch(
        new RegExp(`^SEARCH\\('\\{${emitted?.Namespace},Service\\} MetricName="\\w+"'`),
      );
      const name = /MetricName="(\w+)"/.exec(expression)?.[1] ?? '';
      expect(emittedNames).toContain(name);
    }
  });

  test('shows time to first token (p50, p90), answers, posts, gone connections and errors', () => {
    const graphs = Object.fromEntries(
      widgets.map((widget) => [widget.properties.title, JSON.stringify(widget.properties.metrics ?? [])]),
    );
    expect(graphs['Time to first token (ms)']).toMatch(/TimeToFirstToken.*'p50'.*TimeToFirstToken.*'p90'/);
    expect(graphs['Answers streamed']).toContain(`MetricName=\\"TotalTime\\"', 'SampleCount'`);
    expect(graphs['Posts and model chunks']).toContain('MetricName=\\"Posts\\"');
    expect(graphs['Gone connections and cancelled answers']).toContain('MetricName=\\"GoneConnections\\"');
    expect(graphs.Errors).toContain('MetricName=\\"Errors\\"');
    expect(graphs.Errors).toContain('"AWS/Lambda","Errors","FunctionName","<Ref:StreamingLambda>"');
  });

  test('API Gateway connects and messages of this API and its Prod stage', () => {
    const api = widgets.find((widget) => widget.properties.title === 'WebSocket API');
    expect(api?.properties.metrics?.map((row) => row.slice(0, 6))).toEqual([
      ['AWS/ApiGateway', 'ConnectCount', 'ApiId', '<Ref:WebSocketAPI>', 'Stage', 'Prod'],
      ['AWS/ApiGateway', 'MessageCount', 'ApiId', '<Ref:WebSocketAPI>', 'Stage', 'Prod'],
    ]);
  });

  test('is always created, and its URL is an output', () => {
    const { resources, outputs } = effective();
    expect(resourcesOfType(resources, 'AWS::CloudWatch::Dashboard')).toHaveLength(1);
    expect(outputs).toHaveProperty([MONITORING_OUTPUTS.dashboardUrl]);
  });
});

describe('alarms', () => {
  test('off by default: no alarm, topic or subscription', () => {
    const { resources, outputs } = effective();
    expect(resourcesOfType(resources, 'AWS::CloudWatch::Alarm')).toHaveLength(0);
    expect(resourcesOfType(resources, 'AWS::SNS::Topic')).toHaveLength(0);
    expect(resourcesOfType(resources, 'AWS::SNS::Subscription')).toHaveLength(0);
    expect(outputs).not.toHaveProperty([MONITORING_OUTPUTS.alarmTopicArn]);
  });

  test('EnableAlarms=TRUE: both alarms notify the topic; no email subscription', () => {
    const { resources, outputs } = effective({ EnableAlarms: 'TRUE' });
    const alarms = resourcesOfType(resources, 'AWS::CloudWatch::Alarm');
    expect(alarms.map(([id]) => id).sort()).toEqual(['ErrorsAlarm', 'TimeToFirstTokenAlarm']);
    for (const [, alarm] of alarms) {
      expect((alarm.Properties as Json).AlarmActions).toEqual([{ Ref: 'AlarmTopic' }]);
    }
    expect(resourcesOfType(resources, 'AWS::SNS::Subscription')).toHaveLength(0);
    expect(outputs).toHaveProperty([MONITORING_OUTPUTS.alarmTopicArn]);
  });

  test('AlarmEmail alone turns the alarms on and subscribes that address', () => {
    const { resources } = effective({ AlarmEmail: 'ops@example.com' });
    expect(resourcesOfType(resources, 'AWS::CloudWatch::Alarm')).toHaveLength(2);
    const [subscription] = resourcesOfType(resources, 'AWS::SNS::Subscription');
    expect(subscription?.[1].Properties).toEqual({
      TopicArn: { Ref: 'AlarmTopic' },
      Protocol: 'email',
      Endpoint: { Ref: 'AlarmEmail' },
    });
  });

  test('time to first token: the worst p90 over every publisher service, threshold from the parameter', () => {
    const { resources } = effective({ EnableAlarms: 'TRUE' });
    const properties = resources.TimeToFirstTokenAlarm?.Properties as {
      Threshold: unknown;
      Metrics: { Id: string; Expression?: string; MetricStat?: Json }[];
    };
    expect(properties.Threshold).toEqual({ Ref: 'AlarmTimeToFirstTokenMs' });
    const stats = properties.Metrics.filter((metric) => metric.MetricStat).map((metric) => metric.MetricStat);
    expect(stats).toEqual(
      PUBLISHER_SERVICES.map((service) => ({
        Metric: {
          Namespace: emitted?.Namespace,
          MetricName: 'TimeToFirstToken',
          Dimensions: [{ Name: 'Service', Value: service }],
        },
        Period: 300,
        Stat: 'p90',
      })),
    );
    expect(properties.Metrics.find((metric) => metric.Expression)?.Expression).toBe(
      'MAX([ttft0, ttft1, ttft2, ttft3])',
    );
  });

  test('the alarmed services are the Service values the publishers emit', () => {
    // The library default, and the name each handler gives getPublisherRuntime.
    const handlerServices = ['ask', 'fulfillment', 'qnabot-hook'].map((folder) => {
      const source = readFileSync(
        path.join(__dirname, '..', '..', 'functions', folder, 'handler.ts'),
        'utf8',
      );
      return /getPublisherRuntime\('([^']+)'\)/.exec(source)?.[1];
    });
    expect(new Set(PUBLISHER_SERVICES)).toEqual(new Set([emf.Service, ...handlerServices]));
  });

  test('the topic accepts only TLS publishes and CloudWatch of this account', () => {
    const { resources } = effective({ EnableAlarms: 'TRUE' });
    const document = ((resources.AlarmTopicPolicy?.Properties ?? {}) as Json).PolicyDocument as {
      Statement: Json[];
    };
    expect(document.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
    expect(document.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' } }),
    );
  });
});
