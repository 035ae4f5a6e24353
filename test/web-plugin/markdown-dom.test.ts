/**
 * renderMarkdown, what the chat widget shows: the same tree as markdownToHtml, built with
 * createElement / createTextNode / setAttribute only. The document below records exactly those
 * calls (markdown-recording-dom.ts; the test environment has no DOM) and fails on innerHTML, so
 * hostile answer text can only ever become text nodes.
 */
import { markdownToHtml, renderMarkdown } from '../../web-plugin/markdown';
import {
  asElement,
  bubble,
  RecordingDocument,
  RecordingElement,
  RecordingText,
} from './markdown-recording-dom';

const ANSWERS = [
  'QnABot **streams** answers *word by word*.\nUse `EnableStreaming=TRUE`.',
  '# Setup\n\n- one [docs](https://docs.aws.amazon.com/)\n- two http://x.example/a.\n\n1. first\n2. second',
  '```\nconst a = b * c;\n<div>\n```\nafter',
  '<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror=alert(1)>',
  '[click](javascript:void) [data](data:text/html,x) **<b onclick="x">b</b>**',
  '[x](https://ok.example/"onmouseover="alert(1)) & "quotes" \'single\'',
];

describe('renderMarkdown', () => {
  it.each(ANSWERS)('builds the tree markdownToHtml describes: %j', (source) => {
    // Prepare
    const parent = bubble();

    // Act
    renderMarkdown(asElement(parent), source);

    // Assess
    expect(parent.contentHtml()).toBe(markdownToHtml(source));
  });

  it('gives links only href, rel and target, and opens them in a new tab without the opener', () => {
    // Prepare
    const parent = bubble();

    // Act
    renderMarkdown(asElement(parent), 'see [docs](https://docs.example/a) and https://x.example/b');

    // Assess
    const links = (parent.childNodes[0] as RecordingElement).childNodes.filter(
      (node): node is RecordingElement => node instanceof RecordingElement,
    );
    expect(links.map((link) => [link.tagName, link.attributes])).toEqual([
      [
        'a',
        [
          ['href', 'https://docs.example/a'],
          ['rel', 'noopener noreferrer nofollow'],
          ['target', '_blank'],
        ],
      ],
      [
        'a',
        [
          ['href', 'https://x.example/b'],
          ['rel', 'noopener noreferrer nofollow'],
          ['target', '_blank'],
        ],
      ],
    ]);
  });

  it('keeps hostile markup as text: no element but the subset, no attribute on them but a link’s', () => {
    // Prepare
    const parent = bubble();

    // Act
    renderMarkdown(asElement(parent), ANSWERS[3] as string);

    // Assess
    const paragraph = parent.childNodes[0] as RecordingElement;
    expect(parent.childNodes).toHaveLength(1);
    expect(paragraph.tagName).toBe('p');
    expect(paragraph.attributes).toEqual([]);
    expect(
      paragraph.childNodes.map((node) => (node instanceof RecordingText ? node.data : node.tagName)),
    ).toEqual(['<script>alert(1)</script> [click](javascript:alert(1)) <img src=x onerror=alert(1)>']);
  });

  it('uses the document it is given, else the parent’s', () => {
    // Prepare
    const parent = bubble();
    const other = new RecordingDocument();
    const created: string[] = [];
    other.createElement = (tagName) => {
      created.push(tagName);
      return new RecordingElement(tagName, other);
    };

    // Act
    renderMarkdown(asElement(parent), '**a**', other as unknown as Document);
    renderMarkdown(asElement(parent), '*b*');

    // Assess
    expect(created).toEqual(['p', 'strong']);
    expect(parent.contentHtml()).toBe('<p><strong>a</strong></p><p><em>b</em></p>');
  });
});
