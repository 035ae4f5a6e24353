/**
 * The shape every `qna-streaming` command has, its `--help` text, and how its command line is read:
 * node:util `parseArgs` splits it into tokens; the checks below give the messages users get
 * (`unknown option --x`, `--x needs a value`, `--x takes no value`, `--x is required`).
 */
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors';
import type { CliIo } from './io';

export interface FlagSpec {
  /** `string` takes a value; `boolean` does not. */
  readonly type: 'string' | 'boolean';
  /** Shown in `--help`. */
  readonly description: string;
  /** Value placeholder in `--help`, e.g. `BUCKET`. @default 'VALUE' */
  readonly placeholder?: string;
  readonly required?: boolean;
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

export interface ParsedArgs {
  readonly flags: Readonly<Record<string, string | boolean | undefined>>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

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

/**
 * Reads `argv` (after the command name) against `specs`: `--name value`, `--name=value`, boolean
 * `--flag`, `--` ends the flags, everything else is positional; `--help`/`-h` is always accepted and
 * skips the required check. A value may start with one dash (`--session-id -x`), not two.
 */
export function parseCommandLine(argv: readonly string[], specs: FlagSpecs): ParsedArgs {
  const options: NonNullable<ParseArgsConfig['options']> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, spec] of Object.entries(specs)) options[name] = { type: spec.type };
  // Not strict: parseArgs' own errors read differently and refuse values that start with a dash.
  const { tokens } = parseArgs({
    args: [...argv],
    options,
    strict: false,
    allowPositionals: true,
    tokens: true,
  });
  const flags: Record<string, string | boolean | undefined> = {};
  const positionals: string[] = [];
  let help = false;
  for (const token of tokens) {
    if (token.kind === 'positional') positionals.push(token.value);
    if (token.kind !== 'option') continue;
    // The argument as typed: `-hv` is one unknown option, not -h then -v.
    const typed = argv[token.index] as string;
    const isLong = typed.startsWith('--');
    if ((isLong && typed === '--help') || typed === '-h') {
      help = true;
      continue;
    }
    const spec = isLong && Object.hasOwn(specs, token.name) ? specs[token.name] : undefined;
    if (!spec) throw new UsageError(`unknown option ${isLong ? typed.split('=')[0] : typed}`);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`--${token.name} takes no value`);
      flags[token.name] = true;
      continue;
    }
    const value = token.value;
    if (value === undefined || value === '' || (!token.inlineValue && value.startsWith('--'))) {
      throw new UsageError(`--${token.name} needs a value`);
    }
    flags[token.name] = value;
  }
  if (!help) {
    for (const [name, spec] of Object.entries(specs)) {
      if (spec.required && flags[name] === undefined) throw new UsageError(`--${name} is required`);
    }
  }
  return { flags, positionals, help };
}

/** The value of a string flag (undefined when absent). */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const value = args.flags[name];
  return typeof value === 'string' ? value : undefined;
}

/** The value of a required string flag (parseCommandLine already refused its absence). */
export function requiredFlag(args: ParsedArgs, name: string): string {
  const value = stringFlag(args, name);
  if (value === undefined) throw new UsageError(`--${name} is required`);
  return value;
}

/** The flag lines of a command's `--help`. */
export function describeFlags(specs: FlagSpecs): string {
  const rows = Object.entries(specs).map(([name, spec]) => {
    const left = spec.type === 'string' ? `--${name} ${spec.placeholder ?? 'VALUE'}` : `--${name}`;
    return [left, `${spec.description}${spec.required ? ' (required)' : ''}`] as const;
  });
  rows.push(['--help', 'show this help']);
  const width = Math.max(...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n');
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
