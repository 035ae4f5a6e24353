/**
 * The README's parameter and output tables are the synthesized streaming template's: a test fails
 * when they drift (a parameter added, a default changed, an output missing) and says how to fix it.
 */
import { readFileSync } from 'node:fs';
import {
  endMarker,
  README_PATH,
  type README_TABLES,
  ReadmeTablesError,
  readmeTables,
  rewriteReadme,
  startMarker,
} from '../../scripts/readme-tables';
import { MONITORING_OUTPUTS, STREAMING_PARAMETERS } from '../../templates';
import { templates } from '../support/templates';

// Prepare (once per file): the templates the test run synthesized, and the README as committed.
const synthesized = templates();
const streaming = synthesized.streaming as {
  Parameters: Record<string, { Default?: string | number }>;
  Outputs: Record<string, unknown>;
};
const readme = readFileSync(README_PATH, 'utf8');
const tables = readmeTables(synthesized);

/** The rows of one generated table in the README, split into cells (escaped pipes kept). */
function readmeRows(table: (typeof README_TABLES)[number]): string[][] {
  const section = readme.slice(readme.indexOf(startMarker(table)), readme.indexOf(endMarker(table)));
  return section
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) =>
      line
        .slice(2, -2)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

test('README.md holds the tables the synthesized template gives (else: run npm run docs:tables)', () => {
  // Act
  const expected = rewriteReadme(readme, tables);
  // Assess
  if (expected !== readme) {
    const ours = readme.split('\n');
    const theirs = expected.split('\n');
    const line = ours.findIndex((text, index) => text !== theirs[index]);
    throw new Error(
      `README.md's parameter or output table differs from the synthesized template: run \`npm run docs:tables\` and commit README.md.\n` +
        `first difference at line ${line + 1}:\n  README:    ${ours[line]}\n  generated: ${theirs[line]}`,
    );
  }
});

test('the parameter table has one row per template parameter, with its default', () => {
  const rows = readmeRows('parameters');
  const names = rows.map((cells) => cells[0]);
  expect(names.sort()).toEqual(
    Object.keys(streaming.Parameters)
      .map((name) => `\`${name}\``)
      .sort(),
  );
  for (const cells of rows) expect(cells).toHaveLength(5);
  const row = (name: string) => rows.find((cells) => cells[0] === `\`${name}\``) as string[];
  expect(row(STREAMING_PARAMETERS.directAskModelId)[1]).toBe('`amazon.nova-micro-v1:0`');
  expect(row(STREAMING_PARAMETERS.enableAlarms)[1]).toBe('`FALSE`');
  expect(row(STREAMING_PARAMETERS.alarmEmail)[1]).toBe('empty');
  expect(row(STREAMING_PARAMETERS.alarmTimeToFirstTokenMs)[1]).toBe('`3000`');
  expect(row(STREAMING_PARAMETERS.bootstrapBucket)[1]).toBe('— (required)');
});

test('the parameter table says which parameters the bot’s stack sets (the parent fragment passes them on)', () => {
  const onParent = readmeRows('parameters')
    .filter((cells) => cells[3] === 'yes')
    .map((cells) => (cells[0] as string).replace(/`/g, ''));
  expect(onParent.sort()).toEqual(
    Object.keys(synthesized.parentFragment.Parameters)
      .filter((name) => name in streaming.Parameters)
      .sort(),
  );
  expect(onParent).toEqual(expect.arrayContaining(['EnableDirectAsk', 'EnableAlarms', 'AlarmEmail']));
});

test('the output table lists every output, the dashboard and the alarm topic included', () => {
  const names = readmeRows('outputs').map((cells) => (cells[0] as string).replace(/`/g, ''));
  expect(names.sort()).toEqual(Object.keys(streaming.Outputs).sort());
  expect(names).toEqual(
    expect.arrayContaining([MONITORING_OUTPUTS.dashboardUrl, MONITORING_OUTPUTS.alarmTopicArn]),
  );
});

test('descriptions stay inside their cell: pipes escaped, <placeholders> kept visible', () => {
  // Prepare
  const template = structuredClone(synthesized);
  const parameters = template.streaming.Parameters as Record<string, { Description: string }>;
  (parameters.BootstrapPrefix as { Description: string }).Description = 'a | b, keys <prefix>/x';
  // Act
  const table = readmeTables(template).parameters;
  // Assess
  const row = table.split('\n').find((line) => line.startsWith('| `BootstrapPrefix`')) as string;
  expect(row.split(/(?<!\\)\|/).length).toBe(7);
  expect(row).toContain('a \\| b, keys &lt;prefix&gt;/x');
});

test('rewriting touches only what lies between the markers, and refuses a README without them', () => {
  // Prepare
  const text = [
    'before',
    startMarker('parameters'),
    'old parameters',
    endMarker('parameters'),
    'middle',
    startMarker('outputs'),
    endMarker('outputs'),
    'after',
  ].join('\n');
  // Act
  const rewritten = rewriteReadme(text, { parameters: 'P', outputs: 'O' });
  // Assess
  expect(rewritten).toBe(
    [
      'before',
      startMarker('parameters'),
      'P',
      endMarker('parameters'),
      'middle',
      startMarker('outputs'),
      'O',
      endMarker('outputs'),
      'after',
    ].join('\n'),
  );
  expect(rewriteReadme(rewritten, { parameters: 'P', outputs: 'O' })).toBe(rewritten);
  expect(() => rewriteReadme('no markers', { parameters: 'P', outputs: 'O' })).toThrow(ReadmeTablesError);
  expect(() =>
    rewriteReadme(`${endMarker('parameters')}\n${startMarker('parameters')}`, {
      parameters: 'P',
      outputs: 'O',
    }),
  ).toThrow('followed by');
});
