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
