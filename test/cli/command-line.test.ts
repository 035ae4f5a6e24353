/**
 * How `qna-streaming <command>` reads its command line: what a typo gets (message, usage, exit 2),
 * `--help`/`-h`, `--name value` and `--name=value`, and `--` before a question that starts with a dash.
 * Runs the CLI in process (runCli), on commands that stop before any AWS call.
 */
import { runCli } from '../../cli/main';
import { captureIo } from './capture-io';

const ENDPOINT = 'wss://abc123.execute-api.us-east-1.amazonaws.com/Prod';

async function run(argv: readonly string[]) {
  const io = captureIo();
  const code = await runCli(argv, io);
  return { code, stdout: io.stdout(), stderr: io.stderr() };
}

it.each([
  [['doctor', '--stack', 'bot', '--colour'], 'qna-streaming doctor: unknown option --colour'],
  [['doctor', '--stack', 'bot', '--colour=red'], 'qna-streaming doctor: unknown option --colour'],
  [['doctor', '--stack', 'bot', '-v'], 'qna-streaming doctor: unknown option -v'],
  [['doctor', '--stack', 'bot', '-hv'], 'qna-streaming doctor: unknown option -hv'],
  [['doctor', '--stack'], 'qna-streaming doctor: --stack needs a value'],
  [['doctor', '--stack', '--region', 'eu-west-1'], 'qna-streaming doctor: --stack needs a value'],
  [['doctor', '--stack='], 'qna-streaming doctor: --stack needs a value'],
  [['doctor', '--stack', ''], 'qna-streaming doctor: --stack needs a value'],
  [['doctor', '--region', 'eu-west-1'], 'qna-streaming doctor: --stack is required'],
  [['ask', '--endpoint', ENDPOINT, '--raw=yes', 'q'], 'qna-streaming ask: --raw takes no value'],
  [['ask', '--endpoint', ENDPOINT, '--help=yes'], 'qna-streaming ask: unknown option --help'],
  [
    ['ask', '--endpoint', ENDPOINT, '--timeout', 'soon', 'q'],
    'qna-streaming ask: --timeout must be a positive number of seconds, got "soon"',
  ],
  [
    ['ask', '--endpoint', ENDPOINT, '--timeout=0', 'q'],
    'qna-streaming ask: --timeout must be a positive number of seconds, got "0"',
  ],
  [['ask', '--endpoint', ENDPOINT], 'qna-streaming ask: give the question as the last argument, in quotes'],
  [['ask', '--endpoint', ENDPOINT, '-5'], 'qna-streaming ask: unknown option -5'],
])('refuses %j with exit 2, the problem and the usage', async (argv, message) => {
  // Act
  const result = await run(argv);

  // Assess
  expect(result.code).toBe(2);
  expect(result.stderr).toContain(`${message}\n\nUsage: qna-streaming ${argv[0]} `);
  expect(result.stdout).toBe('');
});

it.each([
  [['doctor', '--help']],
  [['doctor', '-h']],
  [['publish', '--bucket', 'b', '--help']],
  [['ask', '--endpoint', ENDPOINT, '-h', 'question']],
])('%j prints the command help on stdout and exits 0, required options or not', async (argv) => {
  // Act
  const result = await run(argv);

  // Assess
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(new RegExp(`^Usage: qna-streaming ${argv[0]} `));
  expect(result.stdout).toContain('  --help');
  expect(result.stderr).toBe('');
});

it('reads --name value and --name=value alike, and a value may start with one dash', async () => {
  // Act: the session id is checked after the command line, before any connection.
  const spaced = await run(['ask', '--endpoint', ENDPOINT, '--session-id', '-bad id', 'q']);
  const inline = await run(['ask', `--endpoint=${ENDPOINT}`, '--session-id=-bad id', 'q']);

  // Assess
  for (const result of [spaced, inline]) {
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(
      '--session-id must be 2-100 characters of [0-9a-zA-Z._:-], got "-bad id"',
    );
  }
});

it('takes everything after -- as the question, dashes and all', async () => {
  // Act: a question of its own reaches the session-id check; without `--`, "-5" is an unknown option.
  const result = await run([
    'ask',
    '--endpoint',
    ENDPOINT,
    '--session-id',
    'no spaces!',
    '--',
    '-5',
    '--raw',
  ]);

  // Assess
  expect(result.code).toBe(2);
  expect(result.stderr).toContain('--session-id must be 2-100 characters');
  expect(result.stderr).not.toContain('give the question');
});
