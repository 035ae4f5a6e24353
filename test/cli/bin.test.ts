/**
 * The `qna-streaming` bin as a user runs it (a child process through cli/bin.js, no build step):
 * help and exit codes, and `ask` against the local stack with and without the direct-ask route,
 * signed with the dev credentials from the environment (the SDK's default chain).
 */
import { DEV_CREDENTIALS } from '../../cli/local-stack/credentials';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { runBin } from './run-bin';

const credentialsEnv = {
  AWS_ACCESS_KEY_ID: DEV_CREDENTIALS.accessKeyId,
  AWS_SECRET_ACCESS_KEY: DEV_CREDENTIALS.secretAccessKey,
  AWS_SESSION_TOKEN: '',
  AWS_PROFILE: '',
};

describe('help and exit codes', () => {
  test('--help lists every command and exits 0', async () => {
    // Act
    const result = await runBin(['--help']);
    // Assess
    expect(result.code).toBe(0);
    for (const command of ['synth', 'package', 'publish', 'ask', 'doctor']) {
      expect(result.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    }
  });

  test('each command has --help with its options', async () => {
    // Act
    const results = await Promise.all(
      ['synth', 'package', 'publish', 'ask', 'doctor'].map((command) => runBin([command, '--help'])),
    );
    // Assess
    for (const result of results) {
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^Usage: qna-streaming \w+/);
    }
    expect(results[2]?.stdout).toContain('--bucket BUCKET');
    expect(results[3]?.stdout).toContain('--endpoint WSS_URL');
    expect(results[4]?.stdout).toContain('--stack NAME');
  });

  test('no command, an unknown command or a missing required option exit 2 with the usage', async () => {
    // Act
    const [none, unknown, missing, badFlag] = await Promise.all([
      runBin([]),
      runBin(['deploy']),
      runBin(['publish']),
      runBin(['doctor', '--stack', 'bot', '--colour']),
    ]);
    // Assess
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: qna-streaming <command>');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown command "deploy"');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--bucket is required');
    expect(missing.stderr).toContain('Usage: qna-streaming publish');
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('unknown option --colour');
  });
});

describe('ask against the local stack', () => {
  let withAsk: LocalStack;
  let withoutAsk: LocalStack;

  beforeAll(async () => {
    [withAsk, withoutAsk] = await Promise.all([
      startLocalStack({
        parameters: { EnableDirectAsk: 'TRUE' },
        demo: false,
        modelBehaviour: { timeToFirstTokenMs: 200, tokensPerSecond: 200 },
      }),
      startLocalStack({ demo: false }),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([withAsk?.stop(), withoutAsk?.stop()]);
  });

  test('prints the streamed answer on stdout and the time to first token on stderr', async () => {
    // Act
    const result = await runBin(
      ['ask', '--endpoint', withAsk.endpoints.webSocketUrl, '--region', 'us-east-1', 'What is QnABot?'],
      credentialsEnv,
    );
    // Assess
    expect(result.stderr).not.toContain('Warning');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/QnABot on AWS is an open source solution/);
    // The status before the first text is progress on stderr, never part of the answer
    expect(result.stderr).toMatch(/Thinking/);
    expect(result.stdout).not.toMatch(/Thinking/);
    // Times of a second or more print as seconds ("1.23 s"), as on a loaded machine.
    const timing = /time to first token: ([\d.]+) (ms|s) \(server: [\d.]+ m?s\)/;
    expect(result.stderr).toMatch(timing);
    const [, value, unit] = timing.exec(result.stderr) ?? [];
    // The model waits 200 ms before its first token; the CLI cannot see it sooner.
    expect(Number(value) * (unit === 's' ? 1000 : 1)).toBeGreaterThanOrEqual(200);
  });

  test('--raw prints the json frames of the turn, start to end', async () => {
    // Act
    const result = await runBin(
      [
        'ask',
        '--raw',
        '--endpoint',
        withAsk.endpoints.webSocketUrl,
        '--region',
        'us-east-1',
        'What is QnABot?',
      ],
      credentialsEnv,
    );
    // Assess
    expect(result.code).toBe(0);
    const frames = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; seq: number; turnId: string });
    expect(frames[0]?.type).toBe('start');
    expect(frames.at(-1)?.type).toBe('end');
    expect(frames.map((frame) => frame.seq)).toEqual(frames.map((_, index) => index));
  });

  test('an endpoint without the ask route is named as such, exit 1', async () => {
    // Act
    const result = await runBin(
      ['ask', '--endpoint', withoutAsk.endpoints.webSocketUrl, '--region', 'us-east-1', 'What is QnABot?'],
      credentialsEnv,
    );
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'this local stack has no direct-ask route: restart it with `npm start -- --direct-ask`',
    );
  });

  test('credentials the API does not accept: the refusal and what to check, exit 1', async () => {
    // Act
    const result = await runBin(
      ['ask', '--endpoint', withAsk.endpoints.webSocketUrl, '--region', 'us-east-1', 'What is QnABot?'],
      { ...credentialsEnv, AWS_SECRET_ACCESS_KEY: 'not-the-secret' },
    );
    // Assess
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('could not connect');
    expect(result.stderr).toContain('403');
  });

  test('no region for a non-AWS host is a usage error, exit 2', async () => {
    // Act
    const result = await runBin(['ask', '--endpoint', withAsk.endpoints.webSocketUrl, 'What is QnABot?'], {
      ...credentialsEnv,
      AWS_REGION: '',
      AWS_DEFAULT_REGION: '',
    });
    // Assess
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--region is required');
  });
});
