/**
 * `npm run docs:tables`: writes the README's tables of the streaming template's parameters and
 * outputs from the synthesized template, so they cannot drift from what CloudFormation shows:
 * each parameter's default, allowed values and description, whether a parent (the fragment) lets
 * the bot's stack set it, and each output's description and condition. The tables live between
 * marker comments (`<!-- parameters:start -->` … `<!-- parameters:end -->`, the same for
 * `outputs`); everything else in the README is left as it is. test/docs/readme-tables.test.ts fails
 * when the README differs from what this would write.
 *
 * Reads the templates the test run already synthesized when QNA_STREAMING_SYNTH_CACHE names them,
 * else synthesizes (bundling the Lambdas: some seconds).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { QnaStreamingError } from '../functions/protocol/errors';
import { REPO_ROOT } from '../templates/lambda-assets';
import { cachedSynthTemplates, type SynthesizedTemplates } from '../templates/synth-templates';

export const README_PATH = path.join(REPO_ROOT, 'README.md');

/** The README sections this script owns, by name. */
export const README_TABLES = ['parameters', 'outputs'] as const;
export type ReadmeTable = (typeof README_TABLES)[number];

export const startMarker = (table: ReadmeTable) => `<!-- ${table}:start -->`;
export const endMarker = (table: ReadmeTable) => `<!-- ${table}:end -->`;

/** The README lacks a marker pair, or has it twice or out of order. */
export class ReadmeTablesError extends QnaStreamingError {
  constructor(message: string) {
    super(message);
    this.name = 'ReadmeTablesError';
  }
}

interface ParameterDeclaration {
  Type: string;
  Default?: string | number;
  Description?: string;
  AllowedValues?: (string | number)[];
  AllowedPattern?: string;
  ConstraintDescription?: string;
  MinValue?: number;
  MaxValue?: number;
  MinLength?: number;
  NoEcho?: boolean;
}

interface OutputDeclaration {
  Description?: string;
  Condition?: string;
}

type TemplateSections = {
  Parameters?: Record<string, ParameterDeclaration>;
  Outputs?: Record<string, OutputDeclaration>;
  Metadata?: {
    'AWS::CloudFormation::Interface'?: { ParameterGroups?: { Parameters: string[] }[] };
  };
};

/** A table cell: one line, pipes escaped (also inside code spans, as GitHub's tables require). */
function cell(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '\\|');
}

const code = (value: string | number) => `\`${value}\``;

/** Plain text for Markdown: `<prefix>` would otherwise be read as an HTML tag and vanish. */
function text(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function defaultOf(declaration: ParameterDeclaration): string {
  if (declaration.Default === undefined) return '— (required)';
  if (declaration.Default === '') return 'empty';
  return code(declaration.Default);
}

function valuesOf(declaration: ParameterDeclaration): string {
  const parts: string[] = [];
  if (declaration.AllowedValues) {
    parts.push(declaration.AllowedValues.map(code).join(', '));
  } else if (declaration.Type === 'Number') {
    const { MinValue: min, MaxValue: max } = declaration;
    if (min !== undefined && max !== undefined) parts.push(`number, ${min} to ${max}`);
    else if (min !== undefined) parts.push(`number ≥ ${min}`);
    else if (max !== undefined) parts.push(`number ≤ ${max}`);
    else parts.push('number');
  } else if (declaration.Type === 'CommaDelimitedList') {
    parts.push('comma-separated list');
  } else if (declaration.ConstraintDescription) {
    parts.push(text(declaration.ConstraintDescription));
  } else if (declaration.MinLength !== undefined && declaration.MinLength > 0) {
    parts.push('non-empty string');
  } else {
    parts.push('string');
  }
  if (declaration.NoEcho) parts.push('`NoEcho`');
  return parts.join('; ');
}

/** Parameter names in the template's console order (its ParameterGroups), then any others. */
function parameterOrder(template: TemplateSections): string[] {
  const declared = Object.keys(template.Parameters ?? {});
  const grouped = (template.Metadata?.['AWS::CloudFormation::Interface']?.ParameterGroups ?? []).flatMap(
    (group) => group.Parameters,
  );
  const ordered = grouped.filter((name) => declared.includes(name));
  return [...ordered, ...declared.filter((name) => !ordered.includes(name))];
}

/** The parameter table: name, default, allowed values, settable on a parent, description. */
export function parameterTable(
  templates: Pick<SynthesizedTemplates, 'streaming' | 'parentFragment'>,
): string {
  const streaming = templates.streaming as TemplateSections;
  const onParent = new Set(Object.keys(templates.parentFragment.Parameters));
  const rows = parameterOrder(streaming).map((name) => {
    const declaration = streaming.Parameters?.[name] as ParameterDeclaration;
    return `| ${[
      code(name),
      defaultOf(declaration),
      valuesOf(declaration),
      onParent.has(name) ? 'yes' : '',
      text(declaration.Description ?? ''),
    ]
      .map(cell)
      .join(' | ')} |`;
  });
  return [
    '| parameter | default | values | on the parent | description |',
    '| --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The output table: name and description, and the condition of an output that may be absent. */
export function outputTable(templates: Pick<SynthesizedTemplates, 'streaming'>): string {
  const outputs = (templates.streaming as TemplateSections).Outputs ?? {};
  const rows = Object.entries(outputs).map(([name, output]) => {
    const when = output.Condition ? ` Only when the \`${output.Condition}\` condition holds.` : '';
    return `| ${code(name)} | ${cell(`${text(output.Description ?? '')}${when}`)} |`;
  });
  return ['| output | description |', '| --- | --- |', ...rows].join('\n');
}

export function readmeTables(
  templates: Pick<SynthesizedTemplates, 'streaming' | 'parentFragment'>,
): Record<ReadmeTable, string> {
  return { parameters: parameterTable(templates), outputs: outputTable(templates) };
}

/** `readme` with each table replaced between its markers (which stay); the rest untouched. */
export function rewriteReadme(readme: string, tables: Record<ReadmeTable, string>): string {
  let text = readme;
  for (const table of README_TABLES) {
    const start = startMarker(table);
    const end = endMarker(table);
    const from = text.indexOf(start);
    const to = text.indexOf(end);
    if (from === -1 || to === -1 || to < from || text.indexOf(start, from + 1) !== -1) {
      throw new ReadmeTablesError(
        `README.md must hold "${start}" once, followed by "${end}": the ${table} table goes between them`,
      );
    }
    text = `${text.slice(0, from + start.length)}\n${tables[table]}\n${text.slice(to)}`;
  }
  return text;
}

function main(): void {
  const readme = readFileSync(README_PATH, 'utf8');
  const next = rewriteReadme(readme, readmeTables(cachedSynthTemplates()));
  if (next === readme) {
    console.log('README.md: the parameter and output tables are up to date');
    return;
  }
  writeFileSync(README_PATH, next);
  console.log('README.md: rewrote the parameter and output tables from the synthesized template');
}

if (require.main === module) {
  try {
    main();
  } catch (error) {
    console.error(error instanceof Error ? `${error.name}: ${error.message}` : error);
    process.exitCode = 1;
  }
}
