/**
 * parseInline (web-plugin/markdown.ts) searches each rule forward once and caches what it found, so a
 * long answer parses in linear time. What a reader sees must be exactly what the plain version gives:
 * at each position, every rule's regular expression run on the rest of the text (the text before
 * the position sliced off), the leftmost match winning and the earlier rule on a tie. The reference
 * below is that plain version, written from the patterns documented in markdown.ts; random answers
 * made of markdown's own characters must give the same tree.
 */
import { type MarkdownNode, parseInline, safeHref } from '../../web-plugin/markdown';

/** The rules in order of precedence, as plain regular expressions on the rest of the text. */
const REFERENCE_RULES: readonly { pattern: RegExp; build: (m: RegExpExecArray) => MarkdownNode }[] = [
  { pattern: /`([^`\n]+)`/, build: (m) => ({ tag: 'code', children: [m[1] as string] }) },
  {
    pattern: /\[([^\]\n]+)\]\(([^()\s]+)\)/,
    build: (m) => {
      const href = safeHref(m[2] as string);
      const children = referenceInline(m[1] as string);
      return href ? { tag: 'a', href, children } : { tag: 'em', children };
    },
  },
  {
    pattern: /\*\*(.+?)\*\*|__(.+?)__/,
    build: (m) => ({ tag: 'strong', children: referenceInline(m[1] ?? (m[2] as string)) }),
  },
  {
    pattern: /\*([^*\s][^*]*?)\*|(?<!\w)_([^_\s][^_]*?)_(?!\w)/,
    build: (m) => ({ tag: 'em', children: referenceInline(m[1] ?? (m[2] as string)) }),
  },
  {
    pattern: /https?:\/\/[^\s<>()\]]+[^\s<>()\].,;:!?'"]/,
    build: (m) => {
      const href = safeHref(m[0]);
      return href ? { tag: 'a', href, children: [m[0]] } : m[0];
    },
  },
];

function referenceInline(text: string): MarkdownNode[] {
  const nodes: MarkdownNode[] = [];
  let position = 0;
  while (position < text.length) {
    const rest = text.slice(position);
    let best: { match: RegExpExecArray; build: (m: RegExpExecArray) => MarkdownNode } | undefined;
    for (const rule of REFERENCE_RULES) {
      const match = rule.pattern.exec(rest);
      if (match && (!best || match.index < best.match.index)) best = { match, build: rule.build };
    }
    if (!best) {
      nodes.push(rest);
      break;
    }
    if (best.match.index > 0) nodes.push(rest.slice(0, best.match.index));
    nodes.push(best.build(best.match));
    position += best.match.index + best.match[0].length;
  }
  return nodes;
}

/** Markdown's own characters and the words around them: what makes the rules meet and overlap. */
const TOKENS = [
  '`',
  '*',
  '**',
  '_',
  '__',
  '[',
  ']',
  '(',
  ')',
  '](',
  'http://',
  'https://',
  'x.example/',
  'a',
  'b',
  'word',
  'snake_case',
  ' ',
  ' ',
  '.',
  ',',
  '!',
  "'",
  '"',
  '<',
  '>',
  '\n',
  'javascript:',
  'é',
  '😀',
];

function randomAnswer(next: () => number, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += TOKENS[Math.floor(next() * TOKENS.length)];
  return text;
}

/** A small seeded generator, so a failure names an answer that can be replayed. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

describe('parseInline against the plain regular expressions it replaced', () => {
  it('gives the same tree for 3,000 random answers of markdown characters', () => {
    // Prepare
    const next = seeded(20261202);
    for (let run = 0; run < 3000; run++) {
      const text = randomAnswer(next, 1 + Math.floor(next() * 40));
      // Act
      const tree = parseInline(text);
      // Assess
      expect({ text, tree }).toEqual({ text, tree: referenceInline(text) });
    }
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
  ])('gives the same tree for %s', (_name, text) => {
    expect(parseInline(text)).toEqual(referenceInline(text));
  });
});
