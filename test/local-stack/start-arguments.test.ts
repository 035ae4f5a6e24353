/** `npm start`'s flags and environment variables, and the errors a typo gets. */

import type { LocalEndpoints } from '../../cli/local-stack/endpoints';
import { DEFAULT_PORTS } from '../../cli/local-stack/stack';
import {
  describeEndpoints,
  modelBehaviourOf,
  parseStartArguments,
  USAGE,
  UsageError,
} from '../../cli/local-stack/start';

it('uses the documented defaults when nothing is given', () => {
  // Act
  const args = parseStartArguments([], {});

  // Assess
  expect(args).toEqual({ ports: DEFAULT_PORTS, bedrock: 'local', verbose: false, directAsk: false });
});

it('takes ports from flags before the environment, and turns on the direct-ask route', () => {
  // Act
  const args = parseStartArguments(['--web-port=9000', '--direct-ask', '--bedrock=aws', '--model-id=m1'], {
    QNA_STREAMING_WEB_PORT: '9100',
    QNA_STREAMING_LEX_PORT: '9105',
  });

  // Assess
  expect(args.ports).toEqual({ ...DEFAULT_PORTS, web: 9000, lex: 9105 });
  expect(args).toMatchObject({ bedrock: 'aws', modelId: 'm1', directAsk: true });
});

it.each([
  [['--web-port=70000'], /--web-port must be a port number from 0 to 65535, got "70000"/],
  [['--gateway-port=abc'], /--gateway-port must be a port number/],
  [['--bedrock=openai'], /--bedrock must be "local" or "aws", got "openai"/],
  [['--colour'], /unknown flag --colour/],
  [['start'], /unknown argument "start"/],
])('refuses %j with a message that names the problem', (argv, message) => {
  // Act / Assess
  expect(() => parseStartArguments(argv, {})).toThrow(UsageError);
  expect(() => parseStartArguments(argv, {})).toThrow(message);
});

it('names the environment variable when that is where a bad port came from', () => {
  // Act / Assess
  expect(() => parseStartArguments([], { QNA_STREAMING_DYNAMODB_PORT: '-1' })).toThrow(
    /QNA_STREAMING_DYNAMODB_PORT must be a port number/,
  );
});

describe('local model timing: --model-tokens-per-second and --model-ttft-ms', () => {
  it('reads both flags, and leaves them out when neither flag nor variable is given', () => {
    // Act
    const args = parseStartArguments(['--model-tokens-per-second=15', '--model-ttft-ms=800'], {});

    // Assess
    expect(args).toMatchObject({ modelTokensPerSecond: 15, modelTtftMs: 800 });
    expect(parseStartArguments([], {})).not.toHaveProperty('modelTokensPerSecond');
    expect(parseStartArguments([], {})).not.toHaveProperty('modelTtftMs');
  });

  it('reads QNA_STREAMING_MODEL_TOKENS_PER_SECOND and QNA_STREAMING_MODEL_TTFT_MS; a flag wins', () => {
    const env = { QNA_STREAMING_MODEL_TOKENS_PER_SECOND: '12.5', QNA_STREAMING_MODEL_TTFT_MS: '0' };

    expect(parseStartArguments([], env)).toMatchObject({ modelTokensPerSecond: 12.5, modelTtftMs: 0 });
    expect(parseStartArguments(['--model-tokens-per-second=40'], env)).toMatchObject({
      modelTokensPerSecond: 40,
      modelTtftMs: 0,
    });
    expect(parseStartArguments([], { QNA_STREAMING_MODEL_TTFT_MS: '' })).not.toHaveProperty('modelTtftMs');
  });

  it('hands them to startLocalStack as the local model behaviour', () => {
    expect(modelBehaviourOf(parseStartArguments(['--model-tokens-per-second=15'], {}))).toEqual({
      modelBehaviour: { tokensPerSecond: 15 },
    });
    expect(modelBehaviourOf(parseStartArguments(['--model-ttft-ms=50'], {}))).toEqual({
      modelBehaviour: { timeToFirstTokenMs: 50 },
    });
    expect(modelBehaviourOf(parseStartArguments([], {}))).toEqual({});
  });

  it.each([
    [
      ['--model-tokens-per-second=0'],
      /--model-tokens-per-second must be a number of tokens per second greater than 0/,
    ],
    [['--model-tokens-per-second=-3'], /got "-3"/],
    [['--model-tokens-per-second=fast'], /--model-tokens-per-second must be .*got "fast"/],
    [['--model-tokens-per-second=Infinity'], /got "Infinity"/],
    [['--model-tokens-per-second='], /got ""/],
    [
      ['--model-tokens-per-second'],
      /--model-tokens-per-second needs a value, e.g. --model-tokens-per-second=15/,
    ],
    [['--model-ttft-ms=-1'], /--model-ttft-ms must be a number of milliseconds from 0 to 600000, got "-1"/],
    [['--model-ttft-ms=1s'], /--model-ttft-ms must be .*got "1s"/],
    [['--model-ttft-ms=9999999'], /got "9999999"/],
    [['--model-ttft-ms'], /--model-ttft-ms needs a value/],
    [
      ['--bedrock=aws', '--model-tokens-per-second=15'],
      /--model-tokens-per-second set the local model's timing; they cannot be used with --bedrock=aws/,
    ],
  ])('refuses %j with a message that names the problem', (argv, message) => {
    expect(() => parseStartArguments(argv, {})).toThrow(UsageError);
    expect(() => parseStartArguments(argv, {})).toThrow(message);
  });

  it('names the environment variable when that is where a bad value came from', () => {
    expect(() => parseStartArguments([], { QNA_STREAMING_MODEL_TOKENS_PER_SECOND: 'lots' })).toThrow(
      /QNA_STREAMING_MODEL_TOKENS_PER_SECOND must be a number of tokens per second/,
    );
    expect(() => parseStartArguments([], { QNA_STREAMING_MODEL_TTFT_MS: '-5' })).toThrow(
      /QNA_STREAMING_MODEL_TTFT_MS must be a number of milliseconds/,
    );
  });

  it('are listed in --help with their environment variables', () => {
    expect(USAGE).toContain('--model-tokens-per-second=60 --model-ttft-ms=300');
    expect(USAGE).toContain('QNA_STREAMING_MODEL_TOKENS_PER_SECOND');
    expect(USAGE).toContain('QNA_STREAMING_MODEL_TTFT_MS');
  });

  it('are printed in the endpoint block when the local model runs, and not with real Bedrock', () => {
    const endpoints: LocalEndpoints = {
      region: 'us-east-1',
      webSocketUrl: 'ws://127.0.0.1:8081/Prod',
      callbackUrl: 'http://127.0.0.1:8081/Prod',
      dynamodb: 'http://127.0.0.1:8082',
      bedrockRuntime: 'http://127.0.0.1:8083',
      bedrockAgentRuntime: 'http://127.0.0.1:8083',
      cognitoIdentity: 'http://127.0.0.1:8084',
      identityPoolId: 'us-east-1:pool',
      lexRuntime: 'http://127.0.0.1:8085',
      botId: 'BOT',
      botAliasId: 'ALIAS',
      localeId: 'en_US',
      tableName: 'streaming-sessions',
      credentials: { accessKeyId: 'AKIA', secretAccessKey: 'secret' },
      webUrl: 'http://127.0.0.1:8080/',
      modelId: 'local.knowledge-base',
      modelTiming: { timeToFirstTokenMs: 300, tokensPerSecond: 15 },
    };

    expect(describeEndpoints(endpoints)).toMatch(
      /Local model timing\s+300 ms to first token, 15 tokens\/s {2}\(--model-ttft-ms, --model-tokens-per-second\)/,
    );
    const { modelTiming: _omitted, ...realBedrock } = endpoints;
    expect(describeEndpoints(realBedrock)).not.toContain('Local model timing');
  });
});
