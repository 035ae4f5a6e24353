/**
 * The guides in docs/ stay true: every shell block marked `bash tested` runs as written and
 * succeeds (the `local-stack` ones against a local stack with the direct-ask route, whose port is
 * chosen at run time), the hook example in the hook author guide is the type-checked file
 * docs/examples/streaming-hook.ts verbatim (its LangChain.js section: docs/examples/langchain-hook.ts),
 * and relative links point at files that exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { runProcess } from './run-bin';

const ROOT = path.join(__dirname, '..', '..');
const DOCS = path.join(ROOT, 'docs');
/** The endpoint the guides show for a local stack (npm start's gateway port). */
const GUIDE_LOCAL_ENDPOINT = 'ws://127.0.0.1:8081/Prod';

interface Block {
  file: string;
  info: string;
  code: string;
  /** The line before the opening fence. */
  before: string;
}

function blocks(file: string): Block[] {
  const lines = readFileSync(path.join(DOCS, file), 'utf8').split('\n');
  const found: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(.*)$/.exec(lines[i] as string);
    if (!open) continue;
    const end = lines.indexOf('```', i + 1);
    if (end === -1) throw new Error(`${file}:${i + 1}: unclosed code block`);
    found.push({
      file,
      info: (open[1] ?? '').trim(),
      code: `${lines.slice(i + 1, end).join('\n')}\n`,
      before: lines[i - 1] ?? '',
    });
    i = end;
  }
  return found;
}

const guides = readdirSync(DOCS).filter((name) => name.endsWith('.md'));
const all = guides.flatMap(blocks);
const tested = all.filter((block) => block.info === 'bash tested');
const localStackBlocks = all.filter((block) => block.info === 'bash tested local-stack');

function runBlock(code: string) {
  return runProcess('bash', ['-e', '-o', 'pipefail', '-c', code], { cwd: ROOT, timeoutMs: 180_000 });
}

test('the guides mark the commands that run without AWS as tested', () => {
  expect(guides).toEqual(
    expect.arrayContaining([
      'admin-guide.md',
      'hook-author-guide.md',
      'front-end-guide.md',
      'troubleshooting.md',
    ]),
  );
  const testedCode = tested.map((block) => block.code).join('');
  expect(testedCode).toContain('npx qna-streaming synth');
  expect(testedCode).toContain('npx qna-streaming package');
  expect(testedCode).toContain('--help');
  expect(localStackBlocks.map((block) => block.code).join('')).toContain('npx qna-streaming ask');
});

describe.each(tested.map((block, index) => [`${block.file} #${index + 1}`, block] as const))(
  'tested block %s',
  (_name, block) => {
    test(`runs as written: ${block.code.trim().split('\n').join(' ; ')}`, async () => {
      // Act
      const result = await runBlock(block.code);
      // Assess
      if (result.code !== 0) throw new Error(`exit ${result.code}\n${result.stdout}\n${result.stderr}`);
      if (block.code.includes('qna-streaming synth')) {
        expect(result.stdout).toContain('wrote build/templates/streaming.json');
      }
      if (block.code.includes('qna-streaming package\n')) {
        expect(result.stdout).toContain('templates/streaming.json');
        expect(existsSync(path.join(ROOT, 'build', 'publish', 'templates', 'streaming.json'))).toBe(true);
      }
    }, 180_000);
  },
);

describe('local-stack blocks', () => {
  let stack: LocalStack;

  beforeAll(async () => {
    stack = await startLocalStack({ parameters: { EnableDirectAsk: 'TRUE' }, demo: false });
  }, 60_000);

  afterAll(async () => {
    await stack?.stop();
  });

  test.each(localStackBlocks.map((block) => [block.file, block] as const))(
    '%s: ask streams the answer from the local stack',
    async (_file, block) => {
      // Prepare: the guide's fixed port becomes the port this stack got.
      expect(block.code).toContain(GUIDE_LOCAL_ENDPOINT);
      const code = block.code.split(GUIDE_LOCAL_ENDPOINT).join(stack.endpoints.webSocketUrl);
      // Act
      const result = await runBlock(code);
      // Assess
      if (result.code !== 0) throw new Error(`exit ${result.code}\n${result.stdout}\n${result.stderr}`);
      expect(result.stdout).toContain('QnABot on AWS is an open source solution');
      expect(result.stderr).toMatch(/time to first token: \d+ ms/);
    },
    60_000,
  );
});

describe('hook example', () => {
  const file = path.join(DOCS, 'examples', 'streaming-hook.ts');

  test('the hook author guide includes docs/examples/streaming-hook.ts verbatim, in about a dozen statements', () => {
    const included = blocks('hook-author-guide.md').filter((block) =>
      block.before.includes('<!-- include: examples/streaming-hook.ts -->'),
    );
    expect(included).toHaveLength(1);
    expect(included[0]?.info).toBe('ts');
    const source = readFileSync(file, 'utf8');
    expect(included[0]?.code).toBe(source);
    const body = source.slice(source.indexOf('const runtime'));
    expect(
      body.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('//')).length,
    ).toBeLessThanOrEqual(15);
  });

  test('type checks under the project settings (strict)', () => {
    // Act
    const messages = typeCheck(file);
    // Assess
    expect(messages).toEqual([]);
  }, 120_000);
});

/** The type checker's messages for `file` under the project's tsconfig.json (strict), none when it compiles. */
function typeCheck(file: string): string[] {
  const configPath = path.join(ROOT, 'tsconfig.json');
  const config = ts.readConfigFile(configPath, (name) => ts.sys.readFile(name));
  const parsed = ts.parseJsonConfigFileContent(config.config, ts.sys, ROOT);
  const program = ts.createProgram([file], { ...parsed.options, noEmit: true });
  return ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
}

describe('LangChain.js hook example', () => {
  const file = path.join(DOCS, 'examples', 'langchain-hook.ts');

  test('the hook author guide includes docs/examples/langchain-hook.ts verbatim in its LangChain.js section', () => {
    const guide = readFileSync(path.join(DOCS, 'hook-author-guide.md'), 'utf8');
    const included = blocks('hook-author-guide.md').filter((block) =>
      block.before.includes('<!-- include: examples/langchain-hook.ts -->'),
    );
    expect(included).toHaveLength(1);
    expect(included[0]?.info).toBe('ts');
    expect(included[0]?.code).toBe(readFileSync(file, 'utf8'));
    expect(guide.indexOf('<!-- include: examples/langchain-hook.ts -->')).toBeGreaterThan(
      guide.indexOf('## LangChain.js'),
    );
  });

  test('type checks under the project settings (strict), against the installed LangChain packages', () => {
    // Act
    const messages = typeCheck(file);
    // Assess
    expect(messages).toEqual([]);
  }, 120_000);
});

test('relative links of the guides and their index point at files that exist', () => {
  const missing: string[] = [];
  for (const name of [...guides.map((guide) => path.join('docs', guide)), 'README.md']) {
    const text = readFileSync(path.join(ROOT, name), 'utf8');
    for (const match of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
      const target = match[1] as string;
      if (/^[a-z]+:/.test(target)) continue;
      if (!existsSync(path.join(ROOT, path.dirname(name), target))) missing.push(`${name} → ${target}`);
    }
  }
  expect(missing).toEqual([]);
});
