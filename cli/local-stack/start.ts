/**
 * `npm start`: the whole add-on on 127.0.0.1 with no AWS account. Prints every endpoint, the dev
 * credentials and the page to open, writes the same to build/local/endpoints.json, and stops
 * everything cleanly on Ctrl-C. Flags: see USAGE.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { REPO_ROOT } from '../../templates/lambda-assets';
import { DEFAULT_BEHAVIOUR, type LocalBedrockBehaviour } from './bedrock';
import type { LocalEndpoints } from './endpoints';
import { DEFAULT_PORTS, type LocalStackOptions, type LocalStackPorts, startLocalStack } from './stack';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export const USAGE = `Usage: npm start [-- flags]

  --web-port=8080 --gateway-port=8081 --dynamodb-port=8082
  --bedrock-port=8083 --cognito-port=8084 --lex-port=8085
        Ports on 127.0.0.1 (or QNA_STREAMING_<NAME>_PORT, e.g. QNA_STREAMING_WEB_PORT); 0 = any free port.
  --bedrock=local|aws
        local (default): the bundled knowledge-base model. aws: real Amazon Bedrock with your AWS
        credentials (environment, profile or SSO); pick the model with --model-id=<id>.
  --model-tokens-per-second=${DEFAULT_BEHAVIOUR.tokensPerSecond} --model-ttft-ms=${DEFAULT_BEHAVIOUR.timeToFirstTokenMs}
        Timing of the local model (or QNA_STREAMING_MODEL_TOKENS_PER_SECOND, QNA_STREAMING_MODEL_TTFT_MS):
        output rate in tokens per second (a number > 0, e.g. 15 for a slow model) and the delay before
        its first token in milliseconds (a number >= 0). Only with --bedrock=local.
  --direct-ask
        Also serve the streaming template's direct-ask route (EnableDirectAsk=TRUE), so
        \`npx qna-streaming ask --endpoint <WebSocket URL> "question"\` works against this stack.
  --verbose
        Print every log line of every double and Lambda (default: warnings and errors).
  --help
        This text.
`;

export interface StartArguments {
  ports: LocalStackPorts;
  bedrock: 'local' | 'aws';
  modelId?: string;
  /** Local model timing given by flag or environment; absent = the double's defaults. */
  modelTokensPerSecond?: number;
  modelTtftMs?: number;
  verbose: boolean;
  directAsk: boolean;
}

const PORT_FLAGS: Record<keyof LocalStackPorts, string> = {
  web: 'web-port',
  gateway: 'gateway-port',
  dynamodb: 'dynamodb-port',
  bedrock: 'bedrock-port',
  cognito: 'cognito-port',
  lex: 'lex-port',
};

export class UsageError extends Error {}

/** Exit code of a usage error (bad flag or value), as the `qna-streaming` CLI uses. */
export const USAGE_EXIT_CODE = 2;

/** The model timing flags and the environment variables that stand in for them. */
const MODEL_TIMING = {
  tokensPerSecond: { flag: 'model-tokens-per-second', env: 'QNA_STREAMING_MODEL_TOKENS_PER_SECOND' },
  ttftMs: { flag: 'model-ttft-ms', env: 'QNA_STREAMING_MODEL_TTFT_MS' },
} as const;

/** Upper bounds that catch a slip of the keyboard (a unit mix-up) rather than limit the double. */
const MAX_TOKENS_PER_SECOND = 100_000;
const MAX_TTFT_MS = 600_000;

function parseNumber(
  name: string,
  raw: string,
  check: { min: number; exclusiveMin: boolean; max: number; what: string },
): number {
  const value = /^\s*$/.test(raw) ? Number.NaN : Number(raw);
  const tooLow = check.exclusiveMin ? value <= check.min : value < check.min;
  if (!Number.isFinite(value) || tooLow || value > check.max) {
    throw new UsageError(`${name} must be ${check.what}, got "${raw}"`);
  }
  return value;
}

function parsePort(name: string, raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`${name} must be a port number from 0 to 65535, got "${raw}"`);
  }
  return port;
}

export function parseStartArguments(argv: readonly string[], env: NodeJS.ProcessEnv): StartArguments {
  const flags = new Map<string, string>();
  const withoutValue = new Set<string>();
  // node:util parseArgs splits `--name` and `--name=value` (no option is declared, so none takes
  // the next argument); anything else, `-x` or `--` included, is refused as typed.
  const { tokens } = parseArgs({ args: [...argv], strict: false, allowPositionals: true, tokens: true });
  for (const token of tokens) {
    const typed = argv[token.index] as string;
    if (token.kind !== 'option' || !typed.startsWith('--') || !/^[a-z-]+$/.test(token.name)) {
      throw new UsageError(`unknown argument "${typed}"`);
    }
    flags.set(token.name, token.value ?? 'true');
    if (token.value === undefined) withoutValue.add(token.name);
  }
  const known = new Set([
    ...Object.values(PORT_FLAGS),
    'bedrock',
    'model-id',
    MODEL_TIMING.tokensPerSecond.flag,
    MODEL_TIMING.ttftMs.flag,
    'verbose',
    'direct-ask',
    'help',
  ]);
  for (const name of flags.keys()) {
    if (!known.has(name)) throw new UsageError(`unknown flag --${name}`);
  }
  const ports = { ...DEFAULT_PORTS };
  for (const [key, flag] of Object.entries(PORT_FLAGS) as [keyof LocalStackPorts, string][]) {
    const envName = `QNA_STREAMING_${key.toUpperCase()}_PORT`;
    const raw = flags.get(flag) ?? env[envName];
    if (raw !== undefined && raw !== '') ports[key] = parsePort(flags.has(flag) ? `--${flag}` : envName, raw);
  }
  const bedrock = flags.get('bedrock') ?? env.QNA_STREAMING_BEDROCK ?? 'local';
  if (bedrock !== 'local' && bedrock !== 'aws') {
    throw new UsageError(`--bedrock must be "local" or "aws", got "${bedrock}"`);
  }
  const modelId = flags.get('model-id') ?? env.QNA_STREAMING_MODEL_ID;
  const timing = (key: keyof typeof MODEL_TIMING) => {
    const { flag, env: envName } = MODEL_TIMING[key];
    if (withoutValue.has(flag))
      throw new UsageError(`--${flag} needs a value, e.g. --${flag}=${key === 'ttftMs' ? 300 : 15}`);
    const raw = flags.get(flag) ?? env[envName];
    if (raw === undefined || (!flags.has(flag) && raw === '')) return undefined;
    return { name: flags.has(flag) ? `--${flag}` : envName, raw };
  };
  const tokensPerSecondInput = timing('tokensPerSecond');
  const ttftInput = timing('ttftMs');
  const modelTokensPerSecond =
    tokensPerSecondInput &&
    parseNumber(tokensPerSecondInput.name, tokensPerSecondInput.raw, {
      min: 0,
      exclusiveMin: true,
      max: MAX_TOKENS_PER_SECOND,
      what: `a number of tokens per second greater than 0 and at most ${MAX_TOKENS_PER_SECOND}`,
    });
  const modelTtftMs =
    ttftInput &&
    parseNumber(ttftInput.name, ttftInput.raw, {
      min: 0,
      exclusiveMin: false,
      max: MAX_TTFT_MS,
      what: `a number of milliseconds from 0 to ${MAX_TTFT_MS}`,
    });
  if (bedrock === 'aws' && (tokensPerSecondInput || ttftInput)) {
    const names = [tokensPerSecondInput?.name, ttftInput?.name].filter(Boolean).join(' and ');
    throw new UsageError(`${names} set the local model's timing; they cannot be used with --bedrock=aws`);
  }
  return {
    ports,
    bedrock,
    ...(modelId ? { modelId } : {}),
    ...(modelTokensPerSecond !== undefined ? { modelTokensPerSecond } : {}),
    ...(modelTtftMs !== undefined ? { modelTtftMs } : {}),
    verbose: flags.get('verbose') === 'true' || env.QNA_STREAMING_VERBOSE === 'true',
    directAsk: flags.get('direct-ask') === 'true' || env.QNA_STREAMING_DIRECT_ASK === 'true',
  };
}

/** Compact console lines: warnings and errors always, every line with --verbose. */
function consoleLog(verbose: boolean) {
  return (line: string, source: string) => {
    let entry: { level?: string; message?: string } = {};
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      if (verbose) process.stdout.write(`[${source}] ${line}\n`);
      return;
    }
    if (verbose || entry.level === 'warn' || entry.level === 'error') {
      process.stdout.write(`[${source}] ${line}\n`);
    }
  };
}

export function describeEndpoints(endpoints: LocalEndpoints): string {
  const rows: [string, string][] = [
    ['Open in a browser', `${endpoints.webUrl}  (demo chat; what runs where: ${endpoints.webUrl}status)`],
    ['WebSocket (presign it)', endpoints.webSocketUrl],
    ['@connections callback', endpoints.callbackUrl],
    [
      'Lex V2 runtime',
      `${endpoints.lexRuntime}  bot ${endpoints.botId} alias ${endpoints.botAliasId} ${endpoints.localeId}`,
    ],
    ['Cognito Identity', `${endpoints.cognitoIdentity}  pool ${endpoints.identityPoolId}`],
    ['Bedrock runtime', `${endpoints.bedrockRuntime}  model ${endpoints.modelId}`],
    ...(endpoints.modelTiming
      ? ([
          [
            'Local model timing',
            `${endpoints.modelTiming.timeToFirstTokenMs} ms to first token, ${endpoints.modelTiming.tokensPerSecond} tokens/s` +
              '  (--model-ttft-ms, --model-tokens-per-second)',
          ],
        ] as [string, string][])
      : []),
    ['Bedrock agent runtime', endpoints.bedrockAgentRuntime],
    ['DynamoDB', `${endpoints.dynamodb}  table ${endpoints.tableName}`],
    ['Region', endpoints.region],
    ['Dev credentials', `${endpoints.credentials.accessKeyId} / ${endpoints.credentials.secretAccessKey}`],
  ];
  const width = Math.max(...rows.map(([name]) => name.length));
  return [
    '',
    'qna-streaming local stack is running (no AWS account needed)',
    '',
    ...rows.map(([name, value]) => `  ${name.padEnd(width)}  ${value}`),
    '',
    `  The same as JSON: build/local/endpoints.json and ${endpoints.webUrl}endpoints.json`,
    '  Press Ctrl-C to stop.',
    '',
  ].join('\n');
}

/** The `startLocalStack` option that carries the timing flags to the local Bedrock double. */
export function modelBehaviourOf(args: StartArguments): Pick<LocalStackOptions, 'modelBehaviour'> {
  const modelBehaviour: Partial<LocalBedrockBehaviour> = {
    ...(args.modelTokensPerSecond !== undefined ? { tokensPerSecond: args.modelTokensPerSecond } : {}),
    ...(args.modelTtftMs !== undefined ? { timeToFirstTokenMs: args.modelTtftMs } : {}),
  };
  return Object.keys(modelBehaviour).length > 0 ? { modelBehaviour } : {};
}

async function awsCredentials(
  region: string,
): Promise<NonNullable<Exclude<LocalStackOptions['bedrock'], 'local'>>['aws']> {
  const client = new BedrockRuntimeClient({ region });
  try {
    const credentials = await client.config.credentials();
    return {
      accessKeyId: credentials.accessKeyId,
      secretAccessKey: credentials.secretAccessKey,
      ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}),
    };
  } catch (error) {
    throw new UsageError(
      `--bedrock=aws needs AWS credentials (environment, ~/.aws profile or SSO): ${(error as Error).message}`,
    );
  } finally {
    client.destroy();
  }
}

export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<void> {
  if (argv.includes('--help')) {
    process.stdout.write(USAGE);
    return;
  }
  const args = parseStartArguments(argv, process.env);
  const region = process.env.AWS_REGION ?? 'us-east-1';
  const bedrock: LocalStackOptions['bedrock'] =
    args.bedrock === 'aws' ? { aws: await awsCredentials(region) } : 'local';
  process.stdout.write('Starting the local stack (synthesizing the templates, bundling the Lambdas)…\n');
  const stack = await startLocalStack({
    ports: args.ports,
    region,
    bedrock,
    ...(args.modelId ? { modelId: args.modelId } : {}),
    ...modelBehaviourOf(args),
    onLog: consoleLog(args.verbose),
    ...(args.directAsk ? { parameters: { EnableDirectAsk: 'TRUE' } } : {}),
  });
  const file = path.join(REPO_ROOT, 'build', 'local', 'endpoints.json');
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(stack.endpoints, null, 2)}\n`);
  process.stdout.write(describeEndpoints(stack.endpoints));

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`\n${signal}: stopping the local stack…\n`);
    stack.stop().then(
      () => {
        process.stdout.write('Stopped.\n');
        process.exit(0);
      },
      (error: unknown) => {
        process.stderr.write(`stop failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

if (require.main === module) {
  main().catch((error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`npm start: ${error.message}\nRun "npm start -- --help" for the flags.\n`);
      process.exit(USAGE_EXIT_CODE);
    } else {
      const cause = (error as { cause?: unknown }).cause;
      process.stderr.write(
        `npm start: ${(error as Error).message}\n${cause ? `  cause: ${String(cause)}\n` : ''}`,
      );
    }
    process.exit(1);
  });
}
