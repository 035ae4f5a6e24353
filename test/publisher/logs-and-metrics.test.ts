/**
 * What an operator reads of a Lambda: the log lines (Powertools' Logger in the project's line format)
 * and the EMF metric lines (Powertools' Metrics), and the standard variables that steer them.
 */
import { readLogLevel } from '../../functions/shared/config';
import { createLogger } from '../../functions/shared/logger';
import { emitMetrics } from '../../functions/streaming/pipeline/metrics';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

function capture() {
  const lines: string[] = [];
  return { lines, write: (line: string) => lines.push(line), parsed: () => lines.map((l) => JSON.parse(l)) };
}

describe('log lines', () => {
  it('keep the fixed keys and the whole cause chain of an error, status codes included', () => {
    // Prepare
    const out = capture();
    const logger = createLogger({ service: 'test', write: out.write }).child({ turnId: 't-1' });
    const gone = Object.assign(new Error('gone'), {
      name: 'GoneException',
      $metadata: { httpStatusCode: 410 },
    });
    const failure = new Error('post failed', { cause: new Error('socket closed', { cause: gone }) });

    // Act
    logger.error('posting stopped', { error: failure, connectionId: 'c=' });

    // Assess
    expect(out.parsed()).toEqual([
      {
        level: 'error',
        time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        service: 'test',
        message: 'posting stopped',
        turnId: 't-1',
        error: {
          name: 'Error',
          message: 'post failed',
          cause: {
            name: 'Error',
            message: 'socket closed',
            cause: { name: 'GoneException', message: 'gone', statusCode: 410 },
          },
        },
        connectionId: 'c=',
      },
    ]);
  });

  it('follow the level of the standard variables: LOG_LEVEL, POWERTOOLS_LOG_LEVEL over it, Lambda’s own over both', () => {
    // Prepare / Act
    process.env.LOG_LEVEL = 'debug';
    const debug = capture();
    createLogger({ service: 'test', write: debug.write }).debug('details');
    process.env.POWERTOOLS_LOG_LEVEL = 'WARN';
    const warn = capture();
    createLogger({ service: 'test', write: warn.write }).info('progress');
    process.env.AWS_LAMBDA_LOG_LEVEL = 'ERROR';
    const lambda = capture();
    const chosen = createLogger({ service: 'test', level: 'debug', write: lambda.write });
    chosen.warn('a warning');
    chosen.error('a failure');

    // Assess
    expect(debug.parsed().map((line) => line.message)).toEqual(['details']);
    expect(warn.lines).toEqual([]);
    expect(lambda.parsed().map((line) => line.message)).toContain('a failure');
    expect(lambda.parsed().map((line) => line.message)).not.toContain('a warning');
    expect(readLogLevel({ AWS_LAMBDA_LOG_LEVEL: 'FATAL', LOG_LEVEL: 'debug' })).toBe('CRITICAL');
    expect(readLogLevel({})).toBeUndefined();
  });

  it('fail at cold start on a level that does not exist, naming the variable', () => {
    expect(() => readLogLevel({ LOG_LEVEL: 'verbose' })).toThrow(
      'LOG_LEVEL must be one of TRACE, DEBUG, INFO, WARN, ERROR, CRITICAL, SILENT, got "verbose"',
    );
  });
});

describe('metric lines', () => {
  const answer = {
    totalMs: 900,
    chunks: 12,
    posts: 4,
    connections: 1,
    goneConnections: 0,
    cancelled: false,
    error: false,
  };

  it('are one EMF line per answer in QnaStreaming with the Service dimension only', () => {
    // Prepare
    process.env.POWERTOOLS_SERVICE_NAME = 'something-else';
    const out = capture();

    // Act
    emitMetrics({ ...answer, timeToFirstTokenMs: 300 }, { service: 'ask', write: out.write });

    // Assess: Powertools' own `service` dimension does not appear
    const [line, ...more] = out.parsed();
    expect(more).toEqual([]);
    expect(line._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'QnaStreaming',
        Dimensions: [['Service']],
        Metrics: [
          { Name: 'TotalTime', Unit: 'Milliseconds' },
          { Name: 'Chunks', Unit: 'Count' },
          { Name: 'Posts', Unit: 'Count' },
          { Name: 'Connections', Unit: 'Count' },
          { Name: 'GoneConnections', Unit: 'Count' },
          { Name: 'Cancelled', Unit: 'Count' },
          { Name: 'Errors', Unit: 'Count' },
          { Name: 'TimeToFirstToken', Unit: 'Milliseconds' },
        ],
      },
    ]);
    expect(line).toMatchObject({ Service: 'ask', TotalTime: 900, TimeToFirstToken: 300, Errors: 0 });
    expect(line).not.toHaveProperty('service');
  });

  it('are not written when POWERTOOLS_METRICS_DISABLED is on', () => {
    process.env.POWERTOOLS_METRICS_DISABLED = 'true';
    const out = capture();
    emitMetrics(answer, { write: out.write });
    expect(out.lines).toEqual([]);
  });
});
