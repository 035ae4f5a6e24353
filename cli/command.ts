/** The shape every `qna-streaming` command has, and its `--help` text. */
import { describeFlags, type FlagSpecs, type ParsedArgs } from './args';
import type { CliIo } from './io';

export interface Command {
  readonly name: string;
  /** One line for the command list. */
  readonly summary: string;
  /** Synopsis after `qna-streaming`, e.g. `publish --bucket BUCKET [--prefix PREFIX]`. */
  readonly synopsis: string;
  readonly flags: FlagSpecs;
  /** Paragraphs after the flags in `--help`. */
  readonly details?: string;
  /** Runs the command; resolves to the exit code. Throws CliError/UsageError for failures. */
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

export function commandHelp(command: Command): string {
  const parts = [
    `Usage: qna-streaming ${command.synopsis}`,
    '',
    command.summary,
    '',
    'Options:',
    describeFlags(command.flags),
  ];
  if (command.details) parts.push('', command.details.trim());
  return `${parts.join('\n')}\n`;
}
