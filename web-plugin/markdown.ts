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

/** Where a rule matched: `[index, end)` of the text, and the rule's capture groups. */
interface InlineMatch {
  index: number;
  end: number;
  groups: readonly (string | undefined)[];
}

/** A forward-only cache of "the first index ≥ from whose character is one of a set". */
interface NextCache {
  from: number;
  at: number;
}

/**
 * One text being parsed inline. Every search starts at or after the previous one of the same rule
 * and its caches only move forward, so one `parseInline` call reads each character a bounded
 * number of times: linear in the text, where re-running every pattern on the rest of the text after
 * each match was quadratic (0.4 s for a 60 KB line of `code` spans).
 */
class InlineText {
  /** Per one-character pattern (URL_DELIMITER, LINK_CLOSER, LINK_TARGET_END), its latest search. */
  private readonly searched = new Map<RegExp, NextCache>();
  /** The last character that may end a URL before `end`, found while looking from `after`. */
  private urlTail: { end: number; after: number; last: number } | undefined;

  constructor(readonly text: string) {}

  /** First index ≥ from whose character matches `pattern` (global, one character), else text.length. */
  private next(pattern: RegExp, from: number): number {
    const cache = this.searched.get(pattern);
    if (cache && from >= cache.from && from <= cache.at) return cache.at;
    pattern.lastIndex = from;
    const found = pattern.exec(this.text);
    const at = found ? found.index : this.text.length;
    this.searched.set(pattern, { from, at });
    return at;
  }

  /** The leftmost match of a global `pattern` at or after `from`. */
  regex(pattern: RegExp, from: number): InlineMatch | null {
    pattern.lastIndex = from;
    const match = pattern.exec(this.text);
    return match ? { index: match.index, end: match.index + match[0].length, groups: match } : null;
  }

  /**
   * `*em*` or `_em_`. The underscore form must not follow a word character, but the text before
   * `start` (where the parser stands) counts as absent, as it did when the parser sliced it off.
   */
  emphasis(from: number, start: number): InlineMatch | null {
    for (let at = from; ; ) {
      const match = this.regex(EMPHASIS, at);
      if (!match) return null;
      const { index } = match;
      if (match.groups[2] === undefined || index === start || !WORD.test(this.text.charAt(index - 1))) {
        return match;
      }
      at = index + 1;
    }
  }

  /** `_em_` starting exactly at `start`, which a search from an earlier start refused. */
  emphasisAt(start: number): InlineMatch | null {
    // At 0, charAt(-1) is '' and not a word character.
    if (this.text[start] !== '_' || !WORD.test(this.text.charAt(start - 1))) return null;
    EMPHASIS_AT.lastIndex = start;
    const match = EMPHASIS_AT.exec(this.text);
    return match ? { index: start, end: start + match[0].length, groups: match } : null;
  }

  /**
   * `[text](target)` as /\[([^\]\n]+)\]\(([^()\s]+)\)/ matches it: the text runs to the first `]`
   * (no newline), so when that `]` is not followed by a target, no `[` before it starts a link.
   */
  link(from: number): InlineMatch | null {
    const { text } = this;
    for (let open = text.indexOf('[', from); open !== -1; ) {
      const close = this.next(LINK_CLOSER, open + 1);
      if (close === open + 1) {
        open = text.indexOf('[', open + 1);
        continue;
      }
      if (text[close] === ']' && text[close + 1] === '(') {
        const targetEnd = this.next(LINK_TARGET_END, close + 2);
        if (targetEnd > close + 2 && text[targetEnd] === ')') {
          return {
            index: open,
            end: targetEnd + 1,
            groups: [
              text.slice(open, targetEnd + 1),
              text.slice(open + 1, close),
              text.slice(close + 2, targetEnd),
            ],
          };
        }
      }
      open = close >= text.length ? -1 : text.indexOf('[', close + 1);
    }
    return null;
  }

  /**
   * A bare URL as /https?:\/\/[^\s<>()\]]+[^\s<>()\].,;:!?'"]/ matches it: the longest run of URL
   * characters after the scheme, less trailing punctuation, at least two characters.
   */
  url(from: number): InlineMatch | null {
    const { text } = this;
    for (let at = text.indexOf('http', from); at !== -1; at = text.indexOf('http', at + 1)) {
      let after = at + 4;
      if (text[after] === 's') after += 1;
      if (!text.startsWith('://', after)) continue;
      after += 3;
      const end = this.next(URL_DELIMITER, after);
      const last = this.lastUrlCharacter(end, after);
      if (last > after) return { index: at, end: last + 1, groups: [text.slice(at, last + 1)] };
    }
    return null;
  }

  /** The last index in (after, end) whose character may end a URL, else -1. */
  private lastUrlCharacter(end: number, after: number): number {
    const cached = this.urlTail;
    if (cached && cached.end === end && after >= cached.after) return cached.last > after ? cached.last : -1;
    let last = end - 1;
    while (last > after && URL_TRAILING_PUNCTUATION.includes(this.text.charAt(last))) last -= 1;
    const found = last > after ? last : -1;
    this.urlTail = { end, after, last: found };
    return found;
  }
}

const WORD = /\w/;
const CODE = /`([^`\n]+)`/g;
const STRONG = /\*\*(.+?)\*\*|__(.+?)__/g;
const EMPHASIS = /\*([^*\s][^*]*?)\*|_([^_\s][^_]*?)_(?!\w)/g;
const EMPHASIS_AT = /_([^_\s][^_]*?)_(?!\w)/y;
const LINK_CLOSER = /[\]\n]/g;
const LINK_TARGET_END = /[()\s]/g;
const URL_DELIMITER = /[\s<>()\]]/g;
const URL_TRAILING_PUNCTUATION = '.,;:!?\'"';

interface InlineRule {
  /** The leftmost match at or after `from`; `start` is where the parser stands. */
  find(scan: InlineText, from: number, start: number): InlineMatch | null;
  /** A match exactly at `start` that a search from an earlier start did not return, if the rule has such. */
  findAt?(scan: InlineText, start: number): InlineMatch | null;
  build(groups: readonly (string | undefined)[]): MarkdownNode;
}

/** A capture group's text ('' when its alternative did not match). */
const group = (groups: readonly (string | undefined)[], n: number): string => groups[n] ?? '';

/** In order of precedence when two match at the same place. */
const INLINE_RULES: readonly InlineRule[] = [
  { find: (scan, from) => scan.regex(CODE, from), build: (g) => ({ tag: 'code', children: [group(g, 1)] }) },
  {
    find: (scan, from) => scan.link(from),
    build: (g) => {
      const href = safeHref(group(g, 2));
      const children = parseInline(group(g, 1));
      return href ? { tag: 'a', href, children } : { tag: 'em', children };
    },
  },
  {
    find: (scan, from) => scan.regex(STRONG, from),
    build: (g) => ({ tag: 'strong', children: parseInline(group(g, 1) || group(g, 2)) }),
  },
  {
    find: (scan, from, start) => scan.emphasis(from, start),
    findAt: (scan, start) => scan.emphasisAt(start),
    build: (g) => ({ tag: 'em', children: parseInline(group(g, 1) || group(g, 2)) }),
  },
  {
    find: (scan, from) => scan.url(from),
    build: (g) => {
      const raw = group(g, 0);
      const href = safeHref(raw);
      return href ? { tag: 'a', href, children: [raw] } : raw;
    },
  },
];

/**
 * Inline markup of one line or paragraph: at each step the leftmost match of any rule (the earlier
 * rule on a tie) becomes a node and the text before it stays text. Each rule's next match is
 * remembered until the parser moves past its start, so no rule searches the same text twice.
 */
export function parseInline(text: string): MarkdownNode[] {
  const nodes: MarkdownNode[] = [];
  const scan = new InlineText(text);
  const upcoming: (InlineMatch | null | undefined)[] = INLINE_RULES.map(() => undefined);
  let position = 0;
  while (position < text.length) {
    let best: { match: InlineMatch; rule: InlineRule } | undefined;
    for (let index = 0; index < INLINE_RULES.length; index++) {
      const rule = INLINE_RULES[index] as InlineRule;
      let match = upcoming[index];
      if (match === undefined || (match !== null && match.index < position)) {
        match = rule.find(scan, position, position);
        upcoming[index] = match;
      } else if (rule.findAt && (match === null || match.index > position)) {
        match = rule.findAt(scan, position) ?? match;
      }
      if (match && (!best || match.index < best.match.index)) best = { match, rule };
    }
    if (!best) {
      nodes.push(text.slice(position));
      break;
    }
    const { match, rule } = best;
    if (match.index > position) nodes.push(text.slice(position, match.index));
    nodes.push(rule.build(match.groups));
    position = match.end;
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
  const lineAt = (i: number) => lines[i] ?? '';
  const blocks: MarkdownElement[] = [];
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) blocks.push({ tag: 'p', children: withBreaks(paragraph) });
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lineAt(i);
    if (FENCE.test(line)) {
      flush();
      const code: string[] = [];
      for (i += 1; i < lines.length && !FENCE.test(lineAt(i)); i++) code.push(lineAt(i));
      blocks.push({ tag: 'pre', children: [{ tag: 'code', children: [code.join('\n')] }] });
      continue;
    }
    const listKind = BULLET.test(line) ? 'ul' : NUMBERED.test(line) ? 'ol' : undefined;
    if (listKind) {
      flush();
      const pattern = listKind === 'ul' ? BULLET : NUMBERED;
      const items: MarkdownElement[] = [];
      for (; i < lines.length; i++) {
        const item = pattern.exec(lineAt(i));
        if (!item) break;
        items.push({ tag: 'li', children: parseInline(group(item, 1)) });
      }
      i -= 1;
      blocks.push({ tag: listKind, children: items });
      continue;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      flush();
      blocks.push({ tag: 'p', children: [{ tag: 'strong', children: parseInline(group(heading, 1)) }] });
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
  // Only `a` elements carry an href (the parser makes no other).
  if (node.href !== undefined) {
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
  if (node.href !== undefined) {
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
