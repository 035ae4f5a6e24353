/** `npm start`'s flags and environment variables, and the errors a typo gets. */
import { DEFAULT_PORTS } from '../../scripts/local/stack';
import { parseStartArguments, UsageError } from '../../scripts/local/start';

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
