/**
 * The markdown parser is linear in the answer's length (it was quadratic: about 0.4 s for a 60 KB
 * line of `code` spans, 16 s for the 200 KB answer of markdown-answers.ts) and parses exactly as the
 * former parser did. The wall-clock check is in markdown-timing.test.ts (kept out of mutation runs:
 * seconds per mutant, and the searched-characters test here judges the same property exactly).
 */
import { type MarkdownNode, markdownToHtml, parseInline } from '../../web-plugin/markdown';
import { largeAnswer, searchedCharacters } from './markdown-answers';

/** The former inline parser (re-ran every pattern on the rest of the text after each match): the reference output. */
function referenceInline(text: string): MarkdownNode[] {
  const rules: { pattern: RegExp; build(m: RegExpExecArray): MarkdownNode }[] = [
    { pattern: /`([^`\n]+)`/, build: (m) => ({ tag: 'code', children: [m[1] ?? ''] }) },
    {
      pattern: /\[([^\]\n]+)\]\(([^()\s]+)\)/,
      build: (m) => {
        const href = referenceHref(m[2] ?? '');
        const children = referenceInline(m[1] ?? '');
        return href ? { tag: 'a', href, children } : { tag: 'em', children };
      },
    },
    {
      pattern: /\*\*(.+?)\*\*|__(.+?)__/,
      build: (m) => ({ tag: 'strong', children: referenceInline(m[1] ?? m[2] ?? '') }),
    },
    {
      pattern: /\*([^*\s][^*]*?)\*|(?<![\w])_([^_\s][^_]*?)_(?![\w])/,
      build: (m) => ({ tag: 'em', children: referenceInline(m[1] ?? m[2] ?? '') }),
    },
    {
      pattern: /https?:\/\/[^\s<>()\]]+[^\s<>()\].,;:!?'"]/,
      build: (m) => {
        const href = referenceHref(m[0]);
        return href ? { tag: 'a', href, children: [m[0]] } : m[0];
      },
    },
  ];
  const nodes: MarkdownNode[] = [];
  let rest = text;
  while (rest) {
    let best: { match: RegExpExecArray; build(m: RegExpExecArray): MarkdownNode } | undefined;
    for (const rule of rules) {
      const match = rule.pattern.exec(rest);
      if (match && (!best || match.index < best.match.index)) best = { match, build: rule.build };
    }
    if (!best) {
      nodes.push(rest);
      break;
    }
    if (best.match.index > 0) nodes.push(rest.slice(0, best.match.index));
    nodes.push(best.build(best.match));
    rest = rest.slice(best.match.index + best.match[0].length);
  }
  return nodes;
}

function referenceHref(raw: string): string | undefined {
  try {
    const url = new URL(raw.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

/** Deterministic pseudo-random numbers in [0, 1). */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x80000000;
  };
}

const PIECES = [
  '*',
  '**',
  '_',
  '__',
  '`',
  '[',
  ']',
  '(',
  ')',
  '](',
  'http://',
  'https://',
  'http',
  's://',
  'a',
  'b_c',
  'a_',
  '_a',
  'w__',
  ' ',
  '.',
  ',',
  '"',
  '<',
  'x',
  '\t',
  'é',
  '*a*',
  '_b_',
  '[t](https://x.y/z)',
  'https://e.com/p?q=1',
  '[a](javascript:x)',
];

describe('markdown parser', () => {
  it('parses 3,000 seeded random texts of markup and near-misses exactly as the former parser', () => {
    // Prepare
    const random = seeded(12);
    const texts = Array.from({ length: 3000 }, () =>
      Array.from(
        { length: 1 + Math.floor(random() * 30) },
        () => PIECES[Math.floor(random() * PIECES.length)],
      ).join(''),
    );

    // Act: one comparison per text as JSON (a jest matcher per text made this test take 20 s)
    const differing = texts.filter(
      (text) => JSON.stringify(parseInline(text)) !== JSON.stringify(referenceInline(text)),
    );

    // Assess: the first few that differ, with both parses, when any do
    expect(
      differing
        .slice(0, 3)
        .map((text) => ({ text, parsed: parseInline(text), former: referenceInline(text) })),
    ).toEqual([]);
  });

  it.each([
    ['a link whose target never closes, then a real one', '[a](x [b](https://b.example/)'],
    ['brackets with no target, then a link', '[a] [b] [c](https://c.example/)'],
    ['an empty link text', '[](https://x.example/) and [ok](https://ok.example/)'],
    ['a URL ending in punctuation, then another', 'see http://a.example/x.. and https://b.example/y!'],
    ['URLs that share an end', 'http://a.example/(http://b.example/)'],
    ['underscores inside and after words', 'a_b_ _c_ d__e__ _f_g'],
    ['emphasis that must not start after a word', 'x_y_ then _z_'],
    ['code inside emphasis and a link', '*a `b* c` [d](https://d.example/) `e`'],
  ])('parses %s exactly as the former parser', (_name, text) => {
    expect(parseInline(text)).toEqual(referenceInline(text));
  });

  it('searches 8 times as much text for an answer 8 times as long (200 KB)', () => {
    // Prepare
    const small = largeAnswer(1);
    const large = largeAnswer(8);

    // Act
    const smallSearched = searchedCharacters(() => markdownToHtml(small));
    const largeSearched = searchedCharacters(() => markdownToHtml(large));

    // Assess: linear (the former parser searched 59 times as much at 8x, 1,193 characters per character)
    expect(large.length).toBeGreaterThan(200_000);
    expect(largeSearched / smallSearched).toBeLessThan(9);
    expect(largeSearched / large.length).toBeLessThan(20);
  });
  it.each([
    ['emphasis around the start of a URL that runs on', (scale: number) => '*http://x*a'.repeat(300 * scale)],
    [
      'the same, ending in a run of punctuation',
      (scale: number) => `${'*http://x*a'.repeat(300 * scale)}${'.'.repeat(3000 * scale)}`,
    ],
    ['emphasis around the starts of one long link', (scale: number) => `${'*[x'.repeat(300 * scale)}](y)`],
    [
      'the same with a long link target',
      (scale: number) => `${'*[x'.repeat(300 * scale)}](${'y'.repeat(3000 * scale)})`,
    ],
  ])('searches 8 times as much text for a line of %s 8 times as long', (_name, line) => {
    // Prepare: each emphasis swallows the start of the URL or link found after it, so the parser
    // looks for one again after each, through text it has searched before
    const small = line(1);
    const large = line(8);

    // Act
    const smallSearched = searchedCharacters(() => markdownToHtml(small));
    const largeSearched = searchedCharacters(() => markdownToHtml(large));

    // Assess: linear (without its memory of earlier searches the parser searched 60 times as much)
    expect(largeSearched / smallSearched).toBeLessThan(9);
    expect(largeSearched / large.length).toBeLessThan(20);
  });
});
