import { type MarkdownNode, markdownToHtml, parseMarkdown, safeHref } from '../../web-plugin/markdown';

const ALLOWED_TAGS = new Set(['p', 'strong', 'em', 'code', 'pre', 'a', 'ul', 'ol', 'li', 'br']);

function everyElement(nodes: MarkdownNode[], visit: (node: Exclude<MarkdownNode, string>) => void): void {
  for (const node of nodes) {
    if (typeof node === 'string') continue;
    visit(node);
    everyElement(node.children, visit);
  }
}

const HOSTILE = [
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(1)>',
  '[click](javascript:alert(1))',
  '[click](JaVaScRiPt:alert(1))',
  '[data](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)',
  '[x](https://ok.example/"onmouseover="alert(1))',
  '**<b onclick="alert(1)">bold</b>**',
  '- <iframe src="https://evil.example"></iframe>',
  '```\n</code></pre><script>alert(1)</script>\n```',
  '`<svg onload=alert(1)>`',
  'see https://ok.example/path?a=1&b=<script>',
  '&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#x3C;img src=x onerror=alert(1)&#x3E; &#60;b&#62;',
  '```\n<script>alert(1)</script>\n<img src=x onerror=alert(1)>\n</code></pre><b>unclosed fence',
  '[x](javascript:alert(1)',
  '[x](javascript',
  '[x](java\nscript:alert(1))',
  '**[x](javascript:void)** *[y](vbscript:msgbox)*',
];

describe('markdown renderer safety', () => {
  it.each(HOSTILE)('never emits script, event handlers or non-http links: %s', (source) => {
    // Act
    const tree = parseMarkdown(source);
    const html = markdownToHtml(source);

    // Assess
    everyElement(tree, (node) => {
      expect(ALLOWED_TAGS.has(node.tag)).toBe(true);
      if (node.href !== undefined) expect(node.href).toMatch(/^https?:\/\//);
    });
    // Every real tag (text `<` is escaped) is an allowed one with only href/rel/target attributes.
    for (const [, name, attributes] of html.matchAll(/<\/?([a-zA-Z][\w-]*)([^>]*)>/g)) {
      expect(ALLOWED_TAGS.has(String(name).toLowerCase())).toBe(true);
      const attributeNames = [...String(attributes).matchAll(/([^\s=]+)="[^"]*"/g)].map((m) => m[1]);
      for (const attribute of attributeNames) expect(['href', 'rel', 'target']).toContain(attribute);
    }
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/href="(?!https?:)/i);
  });

  it('shows HTML entities as typed, never decoded into markup', () => {
    expect(markdownToHtml('&lt;b&gt; &#60;i&#62;')).toBe('<p>&amp;lt;b&amp;gt; &amp;#60;i&amp;#62;</p>');
  });

  it('keeps HTML inside an unclosed fence as code text', () => {
    expect(markdownToHtml('```\n<script>alert(1)</script>')).toBe(
      '<pre><code>&lt;script&gt;alert(1)&lt;/script&gt;</code></pre>',
    );
  });

  it('shows raw HTML as text', () => {
    expect(markdownToHtml('<script>alert(1)</script>')).toBe('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
  });

  it('accepts only absolute http(s) URLs', () => {
    expect(safeHref('https://docs.aws.amazon.com/lex/')).toBe('https://docs.aws.amazon.com/lex/');
    expect(safeHref('javascript:alert(1)')).toBeUndefined();
    expect(safeHref('/relative')).toBeUndefined();
    expect(safeHref('mailto:a@b.c')).toBeUndefined();
  });
});

describe('markdown subset', () => {
  it('renders paragraphs, emphasis, code, links and lists', () => {
    const source = [
      'QnABot **streams** answers *word by word*.',
      'Use `EnableStreaming=TRUE`.',
      '',
      '- one [docs](https://docs.aws.amazon.com/)',
      '- two',
      '',
      '1. first',
      '2. second',
    ].join('\n');
    expect(markdownToHtml(source)).toBe(
      '<p>QnABot <strong>streams</strong> answers <em>word by word</em>.<br>Use <code>EnableStreaming=TRUE</code>.</p>' +
        '<ul><li>one <a href="https://docs.aws.amazon.com/" rel="noopener noreferrer nofollow" target="_blank">docs</a></li><li>two</li></ul>' +
        '<ol><li>first</li><li>second</li></ol>',
    );
  });

  it('keeps code blocks verbatim and escaped', () => {
    expect(markdownToHtml('```\nconst a = b * c * d;\n<div>\n```')).toBe(
      '<pre><code>const a = b * c * d;\n&lt;div&gt;</code></pre>',
    );
  });

  it('does not treat underscores inside words as emphasis and links bare URLs', () => {
    expect(markdownToHtml('set snake_case_name, see https://example.com/a.')).toBe(
      '<p>set snake_case_name, see <a href="https://example.com/a" rel="noopener noreferrer nofollow" target="_blank">https://example.com/a</a>.</p>',
    );
  });
});

describe('markdown links', () => {
  it('links plain http:// URLs as well as https://, bare and in [text](url)', () => {
    // Act
    const html = markdownToHtml('See http://intranet.example/faq. Or [the wiki](http://wiki.example/a).');

    // Assess
    expect(html).toBe(
      '<p>See <a href="http://intranet.example/faq" rel="noopener noreferrer nofollow" target="_blank">http://intranet.example/faq</a>. ' +
        'Or <a href="http://wiki.example/a" rel="noopener noreferrer nofollow" target="_blank">the wiki</a>.</p>',
    );
  });

  it('shows the text of a link whose target is not http(s) as emphasis, with no link', () => {
    expect(markdownToHtml('[files](ftp://files.example/x) and [me](mailto:a@b.c)')).toBe(
      '<p><em>files</em> and <em>me</em></p>',
    );
  });

  it('gives safeHref callers the normalized URL, surrounding spaces ignored', () => {
    expect(safeHref('  https://Docs.Example/a b  ')).toBe('https://docs.example/a%20b');
    expect(safeHref('HTTP://x.example')).toBe('http://x.example/');
    expect(safeHref('not a url')).toBeUndefined();
  });
});

describe('markdown blocks', () => {
  it.each([
    ['# Title', '<p><strong>Title</strong></p>'],
    ['###### Six', '<p><strong>Six</strong></p>'],
    ['  ## Indented *and* `code`', '<p><strong>Indented <em>and</em> <code>code</code></strong></p>'],
    ['####### Seven is text', '<p>####### Seven is text</p>'],
    ['#hashtag', '<p>#hashtag</p>'],
    ['##    Spaced out', '<p><strong>Spaced out</strong></p>'],
  ])('renders the heading %j as a bold paragraph, and only real headings', (source, html) => {
    expect(markdownToHtml(source)).toBe(html);
  });

  it('ends a paragraph at a heading, list or code block, and goes on after it', () => {
    // Prepare
    const source = ['intro', '# Heading', 'middle', '- item', 'after list', '```', 'code', '```', 'end'].join(
      '\n',
    );

    // Act
    const html = markdownToHtml(source);

    // Assess
    expect(html).toBe(
      '<p>intro</p><p><strong>Heading</strong></p><p>middle</p><ul><li>item</li></ul><p>after list</p>' +
        '<pre><code>code</code></pre><p>end</p>',
    );
  });

  it('reads Windows and old Mac line ends as newlines', () => {
    expect(markdownToHtml('one\r\ntwo\rthree\r\n\r\nfour')).toBe('<p>one<br>two<br>three</p><p>four</p>');
  });

  it('loses no text of a list line or heading that holds a Unicode line or paragraph separator', () => {
    // Prepare: U+2028 / U+2029 end a line for a regex's dot, not for this renderer's line split
    const sources = ['- one\u2028two', '1. one\u2029two', '# one\u2028two'];
    for (const source of sources) {
      // Act
      const html = markdownToHtml(source);
      // Assess: shown as a paragraph, every character there
      expect(html).toBe(`<p>${source}</p>`);
    }
  });

  it('separates paragraphs at a line of spaces only', () => {
    expect(markdownToHtml('first\n   \t\nsecond')).toBe('<p>first</p><p>second</p>');
  });

  it.each([
    ['- a\n* b\n+ c', '<ul><li>a</li><li>b</li><li>c</li></ul>'],
    ['  - indented\n    - deeper', '<ul><li>indented</li><li>deeper</li></ul>'],
    ['1. a\n2) b\n123456789. c', '<ol><li>a</li><li>b</li><li>c</li></ol>'],
    ['- bullet\n1. number', '<ul><li>bullet</li></ul><ol><li>number</li></ol>'],
    ['1. number\n- bullet', '<ol><li>number</li></ol><ul><li>bullet</li></ul>'],
    ['-no space\n1.5 litres\n1234567890. too long', '<p>-no space<br>1.5 litres<br>1234567890. too long</p>'],
    ['-   three spaces\n-\ttab', '<ul><li>three spaces</li><li>tab</li></ul>'],
    ['1.    wide\n2)\t\ttabs', '<ol><li>wide</li><li>tabs</li></ol>'],
    [
      '- **bold** [x](https://x.example/)',
      '<ul><li><strong>bold</strong> <a href="https://x.example/" rel="noopener noreferrer nofollow" target="_blank">x</a></li></ul>',
    ],
  ])('renders the list %j', (source, html) => {
    expect(markdownToHtml(source)).toBe(html);
  });

  it.each([
    ['an indented fence with a language', '  ```js\nlet a = 1;\n  ```', '<pre><code>let a = 1;</code></pre>'],
    ['a fence never closed: code to the end', '```\n**x**\n\n- y', '<pre><code>**x**\n\n- y</code></pre>'],
    ['an empty block', '```\n```', '<pre><code></code></pre>'],
    ['backticks inside a line', 'use ``` to fence', '<p>use ``` to fence</p>'],
  ])('renders code blocks: %s', (_name, source, html) => {
    expect(markdownToHtml(source)).toBe(html);
  });

  it('escapes every character HTML gives meaning to', () => {
    expect(markdownToHtml(`a & b < c > d " e ' f`)).toBe('<p>a &amp; b &lt; c &gt; d &quot; e &#39; f</p>');
  });

  it('renders nothing for an empty or blank answer', () => {
    expect(parseMarkdown('')).toEqual([]);
    expect(parseMarkdown('\n \n')).toEqual([]);
  });
});
