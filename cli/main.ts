/**
 * `qna-streaming <command>`: the admin and developer CLI. Every command has `--help`; exit codes are
 * 0 (ok), 1 (failure, with what to do) and 2 (wrong command line, with the usage).
 */
import { askCommand } from './ask';
import { packageCommand, synthCommand } from './build-commands';
import { type Command, commandHelp, parseCommandLine } from './command';
import { doctorCommand } from './doctor';
import { CliError, EXIT, UsageError } from './errors';
import { type CliIo, nodeIo } from './io';
import { publishCommand } from './publish';

export { nodeIo };

/** Every command, in the order `--help` lists them. */
export const COMMANDS: readonly Command[] = [
  synthCommand,
  packageCommand,
  publishCommand,
  askCommand,
  doctorCommand,
];

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'Usage: qna-streaming <command> [options]',
    '',
    'Streaming of LLM answers for QnABot / Lex Web UI bots: build, publish, check and try it.',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Run "qna-streaming <command> --help" for the options of one command.',
    '',
  ].join('\n');
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error instanceof CliError ? error.message : `${error.name}: ${error.message}`;
}

/** Runs one command line (without `node` and the script); resolves to the exit code. */
export async function runCli(argv: readonly string[], io: CliIo = nodeIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(mainHelp());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    io.err(`qna-streaming: unknown command "${name}"\n\n${mainHelp()}`);
    return EXIT.usage;
  }
  try {
    const args = parseCommandLine(rest, command.flags);
    if (args.help) {
      io.out(commandHelp(command));
      return EXIT.ok;
    }
    return await command.run(args, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`qna-streaming ${command.name}: ${error.message}\n\n${commandHelp(command)}`);
      return EXIT.usage;
    }
    io.err(`qna-streaming ${command.name}: ${describe(error)}\n`);
    return error instanceof CliError ? error.exitCode : EXIT.failure;
  }
}
