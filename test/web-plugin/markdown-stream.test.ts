/**
 * StreamingMarkdown, what the widget shows while an answer streams: rendered prefix by prefix, it
 * never builds an element outside the safe subset nor touches innerHTML (the recording document
 * throws), every character it has shown keeps its form (code, bold, list item, heading, link text)
 * in every later prefix of a well-formed answer, finished blocks are never touched again, `finish`
 * gives renderMarkdown's DOM, and an update costs the growing line, not the answer.
 */
import {
  markdownToHtml,
  parseOpenInline,
  renderMarkdown,
  StreamingMarkdown,
} from '../../web-plugin/markdown';
import { largeAnswer, searchedCharacters, streamedAnswer, words } from './markdown-answers';
import {
  asElement,
  bubble,
  RecordingDocument,
  RecordingElement,
  type RecordingNode,
  RecordingText,
} from './markdown-recording-dom';

const SAFE_TAGS = new Set(['p', 'strong', 'em', 'code', 'pre', 'a', 'ul', 'ol', 'li', 'br']);

/** Answers in which every construct that opens closes on its line. */
const WELL_FORMED = [
  'QnABot **streams** answers *word by word*.\nUse `EnableStreaming=TRUE`.',
  '# Setup\n\n- one [docs](https://docs.aws.amazon.com/)\n- two http://x.example/a.\n\n1. first\n2. second',
  '```\nconst a = b * c;\n<div>\n```\nafter',
  'Intro with __strong__ and _em_ text, a snake_case_name and 2 * 3 = 6.\n\n' +
    '## Links\nSee [the **guide**](https://docs.example/a_b) or https://x.example/p?q=1, then `npm test`.\n' +
    '* star item with `code`\n+ plus item\n\n3) third\n4) fourth\n\n```js\nlet x = `template`;\n  ```\ndone',
  // A list right under its paragraph, a line of spaces between paragraphs, a code block opening blank,
  // a two-digit item, a fence indented under a paragraph line.
  'Steps:\n1. *open* it\n2. run `x`\n10. tenth\nThen:\n- a\n- b\nmore\n   \nnext\n```\n\n  indented\n```\n' +
    'text\n  ```\nfenced\n  ```',
];

/** Hostile input: markup that must stay inert text, links that must never get a non-http href. */
const HOSTILE = [
  '<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror=alert(1)>',
  '[click](javascript:void) [data](data:text/html,x) **<b onclick="x">b</b>**',
  '[x](https://ok.example/"onmouseover="alert(1)) & "quotes" \'single\'',
  '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#x3C;img src=x onerror=alert(1)&#x3E; &#60;b&#62;',
  '```\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n</code></pre><b>unclosed fence',
  '- <iframe src="https://evil.example"></iframe>\n- [ok](JaVaScRiPt:alert(1))\n# <svg onload=alert(1)>',
  '`<svg onload=alert(1)>` **[x](javascript:alert(1))** *<a href="javascript:x">y</a>*',
];

/** What breaks the subset: tags outside it, attributes but a link's, hrefs that are not http(s). */
function unsafeParts(root: RecordingElement): string[] {
  const found: string[] = [];
  const visit = (element: RecordingElement) => {
    if (!SAFE_TAGS.has(element.tagName)) found.push(`<${element.tagName}>`);
    for (const [name, value] of element.attributes) {
      const allowed = element.tagName === 'a' && ['href', 'rel', 'target'].includes(name);
      if (!allowed || (name === 'href' && !/^https?:\/\//.test(value))) found.push(`${name}="${value}"`);
    }
    for (const child of element.childNodes) if (child instanceof RecordingElement) visit(child);
  };
  for (const child of root.childNodes) if (child instanceof RecordingElement) visit(child);
  return found;
}

/**
 * What a reader sees, in order: the start of each element and each character with the elements
 * around it. Links are left out of the path (a link is added when its `)` arrives, around text
 * already shown) and reported per character in `linked` instead.
 */
function reading(root: RecordingElement): { tokens: string[]; linked: boolean[] } {
  const tokens: string[] = [];
  const linked: boolean[] = [];
  const walk = (node: RecordingNode, path: string, inLink: boolean) => {
    if (node instanceof RecordingText) {
      for (const character of node.data) {
        tokens.push(`${path} ${character}`);
        linked.push(inLink);
      }
      return;
    }
    const inner = node.tagName === 'a' ? path : `${path}>${node.tagName}`;
    if (node.tagName !== 'a') {
      tokens.push(`<${node.tagName}>`);
      linked.push(inLink);
    }
    for (const child of node.childNodes) walk(child, inner, inLink || node.tagName === 'a');
  };
  for (const child of root.childNodes) walk(child, '', false);
  return { tokens, linked };
}

function rendered(source: string): RecordingElement {
  const parent = bubble();
  renderMarkdown(asElement(parent), source);
  return parent;
}

/** Streams `pieces` (each appended to the text so far), calling `check` after each update. */
function stream(pieces: string[], check: (parent: RecordingElement, text: string) => void = () => {}) {
  const parent = bubble();
  const markdown = new StreamingMarkdown(asElement(parent));
  let text = '';
  for (const piece of pieces) {
    text += piece;
    markdown.update(text);
    check(parent, text);
  }
  return { parent, markdown, text };
}

/** Where the reading of a prefix stops being a prefix of the final reading, else undefined. */
function formChange(shown: RecordingElement, final: ReturnType<typeof reading>): string | undefined {
  const { tokens, linked } = reading(shown);
  const at = tokens.findIndex(
    (token, index) => token !== final.tokens[index] || (linked[index] && !final.linked[index]),
  );
  return at < 0
    ? undefined
    : `${JSON.stringify(tokens.slice(at, at + 3))} became ${JSON.stringify(final.tokens.slice(at, at + 3))}`;
}

describe('StreamingMarkdown, prefix by prefix', () => {
  it.each(WELL_FORMED)(
    'shows every character in its final form from the first time it shows it: %j',
    (source) => {
      // Prepare
      const final = reading(rendered(source));
      const changes: string[] = [];

      // Act: one character at a time
      const { parent, markdown } = stream([...source], (shown, text) => {
        const change = formChange(shown, final);
        if (change) changes.push(`after ${JSON.stringify(text)}: ${change}`);
      });
      markdown.finish();

      // Assess
      expect(changes.slice(0, 3)).toEqual([]);
      expect(parent.contentHtml()).toBe(markdownToHtml(source));
    },
  );

  it('keeps every form of a 2,000-token answer with code blocks and lists streamed word by word', () => {
    // Prepare
    const source = streamedAnswer(1);
    const final = reading(rendered(source));
    const changes: string[] = [];
    let formatted = 0;

    // Act
    const { parent, markdown } = stream(words(source), (shown, text) => {
      const change = formChange(shown, final);
      if (change) changes.push(`after …${JSON.stringify(text.slice(-40))}: ${change}`);
      if (/<pre>|<li>|<strong>/.test(shown.contentHtml())) formatted += 1;
    });
    markdown.finish();

    // Assess: formatted while it streamed, never a form taken back, and renderMarkdown's DOM at the end
    expect(changes.slice(0, 3)).toEqual([]);
    expect(formatted).toBeGreaterThan(words(source).length * 0.9);
    expect(parent.contentHtml()).toBe(markdownToHtml(source));
  });

  it.each([...WELL_FORMED, ...HOSTILE])(
    'builds only the safe subset, and finish after any prefix gives renderMarkdown’s DOM: %j',
    (source) => {
      // Prepare
      const problems: string[] = [];

      for (let length = 0; length <= source.length; length += 1) {
        // Act: half the prefix, then all of it, then finish
        const prefix = source.slice(0, length);
        const { parent, markdown } = stream(
          [prefix.slice(0, length >> 1), prefix.slice(length >> 1)],
          (shown) => {
            problems.push(...unsafeParts(shown));
          },
        );
        markdown.finish();

        // Assess
        problems.push(...unsafeParts(parent));
        const expected = markdownToHtml(prefix);
        if (parent.contentHtml() !== expected)
          problems.push(`finish of ${JSON.stringify(prefix)}: ${parent.contentHtml()}`);
      }
      expect(problems.slice(0, 3)).toEqual([]);
    },
  );

  it.each(HOSTILE)(
    'keeps hostile markup inert text while it streams character by character: %j',
    (source) => {
      // Prepare
      const problems: string[] = [];

      // Act
      const { parent, markdown } = stream([...source], (shown) => problems.push(...unsafeParts(shown)));
      markdown.finish();

      // Assess
      expect(problems).toEqual([]);
      expect(parent.contentHtml()).toBe(markdownToHtml(source));
    },
  );

  it.each([
    [['[x', '](java', 'script:', 'alert(1))']],
    [['see [cl', 'ick](javascript', ':void)', ' now']],
    [['[ok](', 'https://', 'ok.example/', '"onmouseover="alert(1))']],
    [['**[x](', 'data:text/html,<script>', 'alert(1)</script>)**']],
  ])('never links a javascript:, data: or broken target arriving in pieces: %j', (pieces) => {
    // Prepare
    const hrefs: string[] = [];

    // Act
    const { parent, markdown, text } = stream(pieces, (shown) => {
      const html = shown.contentHtml();
      for (const [, href] of html.matchAll(/href="([^"]*)"/g)) hrefs.push(String(href));
      expect(unsafeParts(shown)).toEqual([]);
    });
    markdown.finish();

    // Assess: every href shown was an http(s) URL, and the end is renderMarkdown's
    for (const href of hrefs) expect(href).toMatch(/^https?:\/\/[^"<>\s]*$/);
    expect(parent.contentHtml()).toBe(markdownToHtml(text));
  });
});

describe('StreamingMarkdown', () => {
  it('shows an unclosed fence as a code block, an opened span already formatted, a list item from its marker', () => {
    // Act
    const shown = (text: string) => stream([text]).parent.contentHtml();

    // Assess
    expect(shown('Run:\n```\n<b>npm')).toBe('<p>Run:</p><pre><code>&lt;b&gt;npm</code></pre>');
    expect(shown('a **bold and `co')).toBe('<p>a <strong>bold and <code>co</code></strong></p>');
    expect(shown('*it')).toBe('<p><em>it</em></p>');
    expect(shown('- ')).toBe('<ul><li></li></ul>');
    expect(shown('1. one\n2')).toBe('<ol><li>one</li></ol>');
    expect(shown('see [the guide](https://docs.exa')).toBe('<p>see the guide</p>');
    expect(shown('see [the guide](javascript:')).toBe('<p>see <em>the guide</em></p>');
    // A lone marker at the end waits for the next character.
    expect(shown('a *')).toBe('<p>a </p>');
    expect(shown('#')).toBe('');
    expect(shown('text\n`')).toBe('<p>text</p>');
    // Markers only, after a paragraph line or a blank line: nothing yet, not even an empty line.
    expect(shown('text\n**')).toBe('<p>text</p>');
    expect(shown('text\n\n**[')).toBe('<p>text</p>');
  });

  it('keeps the finished nodes when asked to finish the same text again', () => {
    // Prepare
    const { parent, markdown } = stream(['**a**\n', '- b']);
    markdown.finish();
    const nodes = parent.childNodes.slice();

    // Act
    markdown.finish();
    markdown.finish('**a**\n- b');

    // Assess: the same nodes, so a reader's selection in them stays
    expect(parent.childNodes.length).toBe(nodes.length);
    expect(nodes.every((node, index) => parent.childNodes[index] === node)).toBe(true);
    expect(parent.contentHtml()).toBe(markdownToHtml('**a**\n- b'));
  });

  it('renders a different text given to finish after finishing', () => {
    // Prepare
    const { parent, markdown } = stream(['**a**']);
    markdown.finish();

    // Act
    markdown.finish('- b');

    // Assess
    expect(parent.contentHtml()).toBe('<ul><li>b</li></ul>');
  });

  it('renders a text anew after finishing, even one that extends the finished text', () => {
    // Prepare
    const { parent, markdown } = stream(['hello']);
    markdown.finish();

    // Act
    markdown.update('hello *world');
    const extended = parent.contentHtml();
    markdown.update('*b');
    const replaced = parent.contentHtml();
    markdown.finish('*b');

    // Assess: one paragraph, not the finished line plus a new one; then *b as text once finished
    expect(extended).toBe('<p>hello <em>world</em></p>');
    expect(replaced).toBe('<p><em>b</em></p>');
    expect(parent.contentHtml()).toBe(markdownToHtml('*b'));
    expect(parent.contentHtml()).toBe('<p>*b</p>');
  });

  it('never touches a finished block again', () => {
    // Prepare
    const source = streamedAnswer(1);
    const finished = new Map<RecordingNode, number>();

    // Act: once a block is followed by another, remember how often it had changed
    const { parent, markdown } = stream(words(source), (shown) => {
      for (const block of shown.childNodes.slice(0, -1)) {
        if (!finished.has(block)) finished.set(block, (block as RecordingElement).subtreeChanges());
      }
    });
    markdown.finish();

    // Assess: still there, in order, unchanged
    expect(finished.size).toBeGreaterThan(30);
    const blocks = [...finished.keys()];
    // (compared by identity: a deep comparison of these linked nodes would print the whole tree)
    expect(blocks.flatMap((block, index) => (parent.childNodes[index] === block ? [] : [index]))).toEqual([]);
    expect(blocks.map((block) => (block as RecordingElement).subtreeChanges())).toEqual([
      ...finished.values(),
    ]);
  });

  it('renders again from scratch when the text is not the previous text extended', () => {
    // Prepare
    const { parent, markdown } = stream(['**a** and\n- b\n', '```\ncode']);

    // Act
    markdown.update('x *y*');
    const replaced = parent.contentHtml();
    markdown.update('x');
    const shortened = parent.contentHtml();
    markdown.finish('## done');

    // Assess
    expect(replaced).toBe('<p>x <em>y</em></p>');
    expect(shortened).toBe('<p>x</p>');
    expect(parent.contentHtml()).toBe(markdownToHtml('## done'));
  });

  it('reads \\r\\n and \\r as line ends, even split between updates', () => {
    // Act
    const { parent, markdown, text } = stream(['- a\r', '\n- b\r', 'c\r\n', '\r\nd']);
    markdown.finish();

    // Assess
    expect(parent.contentHtml()).toBe(markdownToHtml(text));
    expect(parent.contentHtml()).toBe('<ul><li>a</li><li>b</li></ul><p>c</p><p>d</p>');
  });

  it('leaves what was in the target before it alone, and uses the document it is given', () => {
    // Prepare
    const parent = bubble();
    const before = parent.appendChild(new RecordingDocument().createElement('p'));
    const other = new RecordingDocument();
    const markdown = new StreamingMarkdown(asElement(parent), other as unknown as Document);

    // Act
    markdown.update('**a**\n\nb');
    markdown.update('c');

    // Assess
    expect(parent.childNodes.length).toBe(2);
    expect(parent.childNodes[0] === before).toBe(true);
    expect(other.work.nodes).toBeGreaterThan(0);
    expect(parent.contentHtml()).toBe('<p></p><p>c</p>');
  });
});

describe('StreamingMarkdown work', () => {
  /** Characters searched and written into the DOM while streaming `source` word by word. */
  function work(source: string): number {
    const doc = new RecordingDocument();
    const parent = bubble(doc);
    const searched = searchedCharacters(() => {
      const markdown = new StreamingMarkdown(asElement(parent));
      let text = '';
      for (const word of words(source)) {
        text += word;
        markdown.update(text);
      }
      markdown.finish();
    });
    return searched + doc.work.characters + doc.work.nodes;
  }

  it('costs 8 times as much for an answer 8 times as long, updated once per word (linear, not quadratic)', () => {
    // Prepare: 2,000 tokens of headings, paragraphs, lists and code blocks, and 16,000 tokens
    const small = streamedAnswer(1);
    const large = streamedAnswer(8);

    // Act
    const smallWork = work(small);
    const largeWork = work(large);

    // Assess: re-rendering the whole answer per word would cost 64 times as much
    expect(largeWork / smallWork).toBeLessThan(9);
    expect(largeWork / large.length).toBeLessThan(smallWork / small.length + 5);
  });

  it('costs a fraction of re-rendering the answer per word', () => {
    // Prepare
    const source = streamedAnswer(1);
    const pieces = words(source);

    // Act
    const streaming = work(source);
    const doc = new RecordingDocument();
    const searched = searchedCharacters(() => {
      let text = '';
      for (const word of pieces) {
        text += word;
        renderMarkdown(asElement(bubble(doc)), text);
      }
    });

    // Assess
    expect(streaming * 10).toBeLessThan(searched + doc.work.characters + doc.work.nodes);
  });

  it('streams the 25 KB answer of long lines and near-misses word by word to renderMarkdown’s DOM', () => {
    // Prepare
    const source = largeAnswer(1);
    const problems: string[] = [];

    // Act
    const { parent, markdown } = stream(words(source), (shown) => {
      if (shown.childNodes.length % 7 === 0) problems.push(...unsafeParts(shown));
    });
    markdown.finish();

    // Assess
    expect(problems).toEqual([]);
    expect(parent.contentHtml()).toBe(markdownToHtml(source));
  });
});

it('a growing line of markers only shows nothing yet, whatever the markers', () => {
  // Act: what arrives before the first word of an emphasised, coded or linked line
  const shown = ['*', '**', '_', '`', '[', '***', '**_`[', '][', '**[`'].map((line) => parseOpenInline(line));

  // Assess
  expect(shown).toEqual(shown.map(() => []));
});

it.each([
  ['an open code span at the start of the line', '`abc', [{ tag: 'code', children: ['abc'] }]],
  ['an open code span keeps its spaces', 'x ` y', ['x ', { tag: 'code', children: [' y'] }]],
  ['open bold at the start', '**bo', [{ tag: 'strong', children: ['bo'] }]],
  ['open bold with underscores', '__bo', [{ tag: 'strong', children: ['bo'] }]],
  ['open bold after text', 'a **b', ['a ', { tag: 'strong', children: ['b'] }]],
  ['open italic at the start', '*it', [{ tag: 'em', children: ['it'] }]],
  ['open italic with an underscore at the start', '_it', [{ tag: 'em', children: ['it'] }]],
  ['open italic with an underscore after a space', 'a _it', ['a ', { tag: 'em', children: ['it'] }]],
  ['an underscore inside a word is no italic', 'snake_ca', ['snake_ca']],
  ['an underscore inside a word before a link text', 'a_b [c', ['a_b ', 'c']],
  ['a star before a space is no italic', 'a * b', ['a * b']],
  ['a trailing marker waits', 'a *', ['a ']],
  [
    'italic inside open bold',
    '**b *i',
    [{ tag: 'strong', children: ['b ', { tag: 'em', children: ['i'] }] }],
  ],
  ['italic inside open italic', '*a _b', [{ tag: 'em', children: ['a ', { tag: 'em', children: ['b'] }] }]],
  ['a link text whose target is arriving', '[x](ht', ['x']],
  ['a link text whose target cannot be http', '[x](java', [{ tag: 'em', children: ['x'] }]],
  ['the last link text after a closed bracket pair', '[x] and [y](htt', ['[x] and ', 'y']],
  ['an open link text', 'see [te', ['see ', 'te']],
  ['an open link text at the start', '[te', ['te']],
  ['open link texts one in another', '[a [b', ['a ', 'b']],
  [
    'a finished link, then an open link text',
    'x [a](h) [b',
    ['x ', { tag: 'em', children: ['a'] }, ' ', 'b'],
  ],
  ['a link text inside open bold', '**a [b](ht', [{ tag: 'strong', children: ['a ', 'b'] }]],
  ['brackets inside an open code span are code', '`a [b](ht', [{ tag: 'code', children: ['a [b](ht'] }]],
  ['bold inside a link text', '[**b**](ht', [{ tag: 'strong', children: ['b'] }]],
  ['a star inside a word opens italic', 'a*b', ['a', { tag: 'em', children: ['b'] }]],
  [
    'an underscore right after a closed span',
    '__a___b',
    [
      { tag: 'strong', children: ['a'] },
      { tag: 'em', children: ['b'] },
    ],
  ],
  ['an empty link text is no link', '[](ht', ['[](ht']],
  ['empty brackets before a link text', 'x[][b](ht', ['x[]', 'b']],
  ['an open link text after a closed bracket pair', '[a] b [c', ['[a] b ', 'c']],
  ['a parenthesis after a bracket pair and a space is no link target', '[a] see (b', ['[a] see (b']],
  ['a space in what follows `](` ends the link', '[a](b c', ['[a](b c']],
])('a growing line, %s, shows in the form it takes once closed', (_name, line, expected) => {
  // Act
  const shown = parseOpenInline(line);

  // Assess
  expect(shown).toEqual(expected);
});

describe('parseOpenInline work', () => {
  /** Characters searched reading a growing line of `count` closed spans and an open end. */
  const searched = (count: number, end: string) =>
    searchedCharacters(() => parseOpenInline(`${'**b** `x` '.repeat(count)}${end}`));

  it.each([
    ['an open italic', '*it'],
    ['an open link text', '[te'],
    ['a link whose target is arriving', '[te](ht'],
  ])('searches a line 8 times as long 8 times as much, ending in %s', (_name, end) => {
    // Act
    const small = searched(250, end);
    const large = searched(2_000, end);

    // Assess: linear (quadratic would be 64 times)
    expect(large / small).toBeGreaterThan(6);
    expect(large / small).toBeLessThan(10);
  });
});
