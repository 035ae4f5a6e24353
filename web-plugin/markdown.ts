/**
 * A tiny markdown subset for final answers: paragraphs (single newlines become line breaks),
 * **bold**, *italic*, `code`, fenced code blocks, [links](https://…) with http(s) only, bare
 * http(s) URLs, and - / 1. lists. `#` headings render as bold paragraphs.
 *
 * Safety by construction: the parser produces a tree of a fixed set of tags whose only attribute
 * is a checked `href`; text stays text. It becomes DOM through createElement/textContent (never
 * innerHTML), or escaped HTML through `markdownToHtml`. Raw HTML in the source shows as text.
 */

export type MarkdownTag = 'p' | 'strong' | 'em' | 'code' | 'pre' | 'a' | 'ul' | 'ol' | 'li' | 'br';
export interface MarkdownElement {
  tag: MarkdownTag;
  /** Only on `a`: an absolute http(s) URL. */
  href?: string;
  children: MarkdownNode[];
}
export type MarkdownNode = string | MarkdownElement;

/** The URL when it is an absolute http(s) URL, else undefined (javascript:, data:, relative, …). */
export function safeHref(raw: string): string | undefined {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    return undefined;
  }
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
}

interface InlineRule {
  pattern: RegExp;
  build(match: RegExpExecArray): MarkdownNode;
}

const INLINE_RULES: InlineRule[] = [
  { pattern: /`([^`\n]+)`/, build: (m) => ({ tag: 'code', children: [m[1] ?? ''] }) },
  {
    pattern: /\[([^\]\n]+)\]\(([^()\s]+)\)/,
    build: (m) => {
      const href = safeHref(m[2] ?? '');
      const children = parseInline(m[1] ?? '');
      return href ? { tag: 'a', href, children } : { tag: 'em', children };
    },
  },
  {
    pattern: /\*\*(.+?)\*\*|__(.+?)__/,
    build: (m) => ({ tag: 'strong', children: parseInline(m[1] ?? m[2] ?? '') }),
  },
  {
    pattern: /\*([^*\s][^*]*?)\*|(?<![\w])_([^_\s][^_]*?)_(?![\w])/,
    build: (m) => ({ tag: 'em', children: parseInline(m[1] ?? m[2] ?? '') }),
  },
  {
    pattern: /https?:\/\/[^\s<>()\]]+[^\s<>()\].,;:!?'"]/,
    build: (m) => {
      const href = safeHref(m[0]);
      return href ? { tag: 'a', href, children: [m[0]] } : m[0];
    },
  },
];

/** Inline markup of one line or paragraph. */
export function parseInline(text: string): MarkdownNode[] {
  const nodes: MarkdownNode[] = [];
  let rest = text;
  while (rest) {
    let best: { index: number; match: RegExpExecArray; rule: InlineRule } | undefined;
    for (const rule of INLINE_RULES) {
      const match = rule.pattern.exec(rest);
      if (match && (!best || match.index < best.index)) best = { index: match.index, match, rule };
    }
    if (!best) {
      nodes.push(rest);
      break;
    }
    if (best.index > 0) nodes.push(rest.slice(0, best.index));
    nodes.push(best.rule.build(best.match));
    rest = rest.slice(best.index + best.match[0].length);
  }
  return nodes;
}

function withBreaks(lines: string[]): MarkdownNode[] {
  const nodes: MarkdownNode[] = [];
  lines.forEach((line, index) => {
    if (index > 0) nodes.push({ tag: 'br', children: [] });
    nodes.push(...parseInline(line));
  });
  return nodes;
}

const BULLET = /^\s*[-*+]\s+(.*)$/;
const NUMBERED = /^\s*\d{1,9}[.)]\s+(.*)$/;
const HEADING = /^\s*#{1,6}\s+(.*)$/;
const FENCE = /^\s*```/;

/** Parses the subset into a tree of safe nodes. */
export function parseMarkdown(source: string): MarkdownElement[] {
  const lines = source.replace(/\r\n?/g, '\n').split('\n');
  const blocks: MarkdownElement[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) blocks.push({ tag: 'p', children: withBreaks(paragraph) });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    if (FENCE.test(line)) {
      flush();
      const code: string[] = [];
      for (i += 1; i < lines.length && !FENCE.test(lines[i] ?? ''); i++) code.push(lines[i] ?? '');
      blocks.push({ tag: 'pre', children: [{ tag: 'code', children: [code.join('\n')] }] });
      continue;
    }
    const listKind = BULLET.test(line) ? 'ul' : NUMBERED.test(line) ? 'ol' : undefined;
    if (listKind) {
      flush();
      const pattern = listKind === 'ul' ? BULLET : NUMBERED;
      const items: MarkdownElement[] = [];
      for (; i < lines.length; i++) {
        const item = pattern.exec(lines[i] ?? '');
        if (!item) break;
        items.push({ tag: 'li', children: parseInline(item[1] ?? '') });
      }
      i -= 1;
      blocks.push({ tag: listKind, children: items });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      blocks.push({ tag: 'p', children: [{ tag: 'strong', children: parseInline(heading[1] ?? '') }] });
      continue;
    }
    if (line.trim() === '') flush();
    else paragraph.push(line);
  }
  flush();
  return blocks;
}

const ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

function nodeToHtml(node: MarkdownNode): string {
  if (typeof node === 'string') return escapeHtml(node);
  if (node.tag === 'br') return '<br>';
  const inner = node.children.map(nodeToHtml).join('');
  if (node.tag === 'a' && node.href) {
    return `<a href="${escapeHtml(node.href)}" rel="noopener noreferrer nofollow" target="_blank">${inner}</a>`;
  }
  return `<${node.tag}>${inner}</${node.tag}>`;
}

/** Escaped HTML of the subset (for server-side rendering or hosts that want a string). */
export function markdownToHtml(source: string): string {
  return parseMarkdown(source).map(nodeToHtml).join('');
}

function nodeToDom(node: MarkdownNode, doc: Document): Node {
  if (typeof node === 'string') return doc.createTextNode(node);
  const element = doc.createElement(node.tag);
  if (node.tag === 'a' && node.href) {
    element.setAttribute('href', node.href);
    element.setAttribute('rel', 'noopener noreferrer nofollow');
    element.setAttribute('target', '_blank');
  }
  for (const child of node.children) element.appendChild(nodeToDom(child, doc));
  return element;
}

/** Renders the subset into `parent` with createElement/textContent only. */
export function renderMarkdown(parent: Element, source: string, doc: Document = parent.ownerDocument): void {
  for (const block of parseMarkdown(source)) parent.appendChild(nodeToDom(block, doc));
}
