/**
 * The README and the guides name files by their repository paths (`functions/protocol/frames.ts`,
 * `cli/local-stack/`); a move that forgets them sends a newcomer to nothing. Every backticked path
 * that starts with a top-level folder must exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');
const TOP_LEVEL = ['templates', 'functions', 'web-plugin', 'cli', 'scripts', 'test', 'docs'];
const PATH_IN_BACKTICKS = new RegExp(`\`((?:${TOP_LEVEL.join('|')})/[\\w./-]*)\``, 'g');

function documents(): string[] {
  const guides = readdirSync(path.join(ROOT, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => path.join('docs', name));
  return ['README.md', ...guides];
}

test('every repository path the README and the guides name exists', () => {
  // Prepare
  const missing: string[] = [];
  let named = 0;
  // Act
  for (const document of documents()) {
    const text = readFileSync(path.join(ROOT, document), 'utf8');
    for (const match of text.matchAll(PATH_IN_BACKTICKS)) {
      const namedPath = (match[1] as string).replace(/[.,:;]$/, '');
      if (namedPath.includes('<') || namedPath.includes('*')) continue;
      // `templates/streaming.json` etc. are keys of the published bucket, not source files.
      if (/^templates\/[\w-]+\.json$/.test(namedPath)) continue;
      named++;
      if (!existsSync(path.join(ROOT, namedPath))) missing.push(`${document}: ${namedPath}`);
    }
  }
  // Assess
  expect(named).toBeGreaterThan(30);
  expect(missing).toEqual([]);
});
