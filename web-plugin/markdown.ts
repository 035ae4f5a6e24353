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
  return inlineNodes(text);
}

/** A construct opened in the growing line and not closed yet: it runs to the end of the text. */
interface OpenSpan {
  index: number;
  /** `_em_` may not open right after a word character, unless the parser stands there. */
  underscore?: boolean;
  nodes(): MarkdownNode[];
}

/**
 * parseInline's loop; with `open`, a construct still open at `open(position).index` ends it when
 * no complete match starts before it.
 */
function inlineNodes(text: string, open?: (position: number) => OpenSpan | undefined): MarkdownNode[] {
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
    const opened = open?.(position);
    if (opened && (!best || opened.index < best.match.index)) {
      if (opened.index > position) nodes.push(text.slice(position, opened.index));
      nodes.push(...opened.nodes());
      break;
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

/** Characters that may start or end a marker: held back at the end of the growing line. */
const MARKERS = '*_`[]';
const LINK_TARGET_SO_FAR = /^\([^()\s]*$/;
/** A line that may still become a list item, heading or fence, but is none yet. */
const BLOCK_PREFIX = /^\s*(?:[-*+]|\d{1,9}[.)]?|#{1,6}|`{1,2})$/;
const FENCE_PREFIX = /^\s*`{0,2}$/;

/** True while `target` may still become an http(s) URL: such a link becomes `a`, any other `em`. */
function mayBeHttp(target: string): boolean {
  const lower = target.toLowerCase();
  return ['http://', 'https://'].some((scheme) => scheme.startsWith(lower) || lower.startsWith(scheme));
}

/**
 * The inline markup of a line still growing, in the form it takes once its open constructs close:
 * `**bo` is already bold, `` `co `` already code, `*it` already italic (markers hidden); a link
 * `[text](targ` shows its text as text (an `em` as soon as the target cannot be http(s)). Marker
 * characters at the very end are held back until the next character says what they are. For a
 * complete line this is not used: parseInline gives its final form.
 */
export function parseOpenInline(source: string): MarkdownNode[] {
  let end = source.length;
  while (end > 0 && MARKERS.includes(source.charAt(end - 1))) end -= 1;
  return openInline(source.slice(0, end));
}

/**
 * An opener is open when the rest of the text holds no closer for it, so each rule has at most one
 * candidate (its last opener), found with one backward search; links, whose text may hold `[`,
 * take the first `[` at or after the parser's position in the range where one may open. A span at
 * -1 (no such marker, or one that opens nothing) lies before every position, so it is never chosen;
 * no marker is the text's last character (parseOpenInline holds those back).
 */
function openInline(text: string): MarkdownNode[] {
  const code = text.lastIndexOf('`');
  const spans: OpenSpan[] = [
    { index: code, nodes: () => [{ tag: 'code', children: [text.slice(code + 1)] }] },
    ...['**', '__'].map((marker): OpenSpan => {
      const at = text.lastIndexOf(marker);
      return { index: at, nodes: () => [{ tag: 'strong', children: openInline(text.slice(at + 2)) }] };
    }),
    ...['*', '_'].map((marker): OpenSpan => {
      const at = text.lastIndexOf(marker);
      return {
        // `a * b`: a marker before a space opens nothing.
        index: /\s/.test(text.charAt(at + 1)) ? -1 : at,
        underscore: marker === '_',
        nodes: () => [{ tag: 'em', children: openInline(text.slice(at + 1)) }],
      };
    }),
  ];
  const close = text.lastIndexOf(']');
  // `[text](targ`: the text is complete (it holds no `]`), the target still arriving.
  const targetOpen = LINK_TARGET_SO_FAR.test(text.slice(close + 1));
  const textStart = text.lastIndexOf(']', close - 1) + 1;
  // The first `[` at or after `from`, text.length if none. Each remembers its last search: the
  // parser's position only moves forward, so a `[` found is the first one up to it.
  const bracketSearch = () => {
    let found = -1;
    return (from: number): number => {
      if (from > found) {
        found = text.indexOf('[', from);
        if (found < 0) found = text.length;
      }
      return found;
    };
  };
  const bracketInText = bracketSearch();
  const bracketAfterText = bracketSearch();
  const link = (position: number): OpenSpan => {
    if (targetOpen) {
      const at = bracketInText(Math.max(position, textStart));
      if (at < close - 1) {
        const children = parseInline(text.slice(at + 1, close));
        const plain = mayBeHttp(text.slice(close + 2));
        return { index: at, nodes: () => (plain ? children : [{ tag: 'em', children }]) };
      }
    }
    // `[tex` after the last `]` (at text.length when there is none: a span at the end opens nothing).
    const at = bracketAfterText(Math.max(position, close + 1));
    return { index: at, nodes: () => openInline(text.slice(at + 1)) };
  };
  return inlineNodes(text, (position) => {
    let first = link(position);
    for (const span of spans) {
      const allowed = !span.underscore || span.index === position || !WORD.test(text.charAt(span.index - 1));
      if (span.index >= position && allowed && span.index < first.index) first = span;
    }
    return first;
  });
}

type BlockTag = 'p' | 'ul' | 'ol' | 'pre' | 'h';
interface Block {
  tag: BlockTag;
  /** Where the block's lines go: the p, the list, the strong of a heading (a code block: the pre). */
  inner: Element;
  /** A paragraph: complete lines in it (each after the first starts with a br). */
  lines: number;
  /** A code block: its text, and whether a line (even an empty one) has gone into it. */
  code?: Text;
  started?: boolean;
  /** A code block: characters of the growing line already in its text (none yet: undefined). */
  shown?: number;
}

/** What one rendering holds: a text that does not extend it starts a new one. */
interface Rendering {
  /** The text so far. */
  raw: string;
  /** The growing line, with \r\n and \r read as \n. */
  line: string;
  finished: boolean;
  /** The block complete lines go into, if one is open. */
  block?: Block;
  /** The block the growing line opened (the complete line takes it over). */
  pending?: Block;
  /** The nodes of the growing line, removed before each update. */
  tail?: { parent: Element; nodes: Node[] };
  /** Blocks added to the target. */
  added: Element[];
}

const newRendering = (): Rendering => ({ raw: '', line: '', finished: false, added: [] });

/**
 * Renders markdown while it streams, as DOM (createElement/createTextNode only, as
 * renderMarkdown). `update(textSoFar)` takes the whole text so far; when it extends the previous
 * text only the line still growing is rebuilt: complete lines are final (no construct of the
 * subset spans lines), so their nodes are added once and finished blocks are never touched again.
 * The growing line shows what it will be: a list item from its marker, a code block from its
 * fence, inline constructs per parseOpenInline; a line that may still become a list item, heading
 * or fence (`-`, `1.`, `#`, a backtick, blank) waits for the character that decides. Any other
 * text re-renders from scratch. `finish` gives renderMarkdown's output; finishing the same text
 * again leaves the nodes as they are (a reader's selection stays).
 *
 * Cost of an update: the new characters plus the growing line (and one native comparison of the
 * previous text, to know that it is extended).
 */
export class StreamingMarkdown {
  private readonly doc: Document;
  private r: Rendering = newRendering();

  constructor(
    private readonly target: Element,
    doc?: Document,
  ) {
    this.doc = doc ?? target.ownerDocument;
  }

  update(text: string): void {
    if (this.r.finished || !text.startsWith(this.r.raw)) this.reset();
    const r = this.r;
    let delta = text.slice(r.raw.length);
    if (r.raw.endsWith('\r') && delta.startsWith('\n')) delta = delta.slice(1);
    r.raw = text;
    const from = r.line.length;
    r.line += delta.replace(/\r\n?/g, '\n');
    let start = 0;
    for (let end = r.line.indexOf('\n', from); end >= 0; end = r.line.indexOf('\n', start)) {
      this.clearTail();
      this.put(r.line.slice(start, end), true);
      start = end + 1;
    }
    r.line = r.line.slice(start);
    this.clearTail();
    this.put(r.line, false);
  }

  finish(text: string = this.r.raw): void {
    if (this.r.finished && text === this.r.raw) return;
    this.update(text);
    this.clearTail();
    this.put(this.r.line, true);
    this.r.finished = true;
  }

  private reset(): void {
    for (const element of this.r.added) this.target.removeChild(element);
    this.r = newRendering();
  }

  private clearTail(): void {
    const tail = this.r.tail;
    if (!tail) return;
    for (const node of tail.nodes) tail.parent.removeChild(node);
    this.r.tail = undefined;
  }

  /** The block a line of this kind goes into: the one the growing line opened, else a new one. */
  private open(tag: BlockTag, complete: boolean): Block {
    const r = this.r;
    let block = r.pending;
    if (block?.tag !== tag) {
      const outer: Element = this.doc.createElement(tag === 'h' ? 'p' : tag);
      block = { tag, inner: outer, lines: 0 };
      if (tag === 'h') block.inner = outer.appendChild(this.doc.createElement('strong'));
      if (tag === 'pre') {
        const code = outer.appendChild(this.doc.createElement('code'));
        block.code = code.appendChild(this.doc.createTextNode(''));
      }
      this.target.appendChild(outer);
      r.added.push(outer);
    }
    r.pending = complete ? undefined : block;
    return block;
  }

  /** Adds nodes to `parent`; for the growing line, as its tail. */
  private add(parent: Element, nodes: MarkdownNode[], complete: boolean): void {
    const dom = nodes.map((node) => parent.appendChild(nodeToDom(node, this.doc)));
    if (!complete) this.r.tail = { parent, nodes: dom };
  }

  /** Code block text: the line's characters not in it yet, after a \n unless it is the first line. */
  private code(block: Block, code: Text, line: string, complete: boolean): void {
    const newLine = block.started && block.shown === undefined ? '\n' : '';
    code.appendData(newLine + line.slice(block.shown));
    block.started = true;
    block.shown = complete ? undefined : line.length;
  }

  /**
   * One line, as parseMarkdown reads it. A complete line moves the block state on; the growing
   * line only shows what it will be (or nothing while its kind is undecided).
   */
  private put(line: string, complete: boolean): void {
    const block = this.r.block;
    if (block?.code) {
      if (FENCE.test(line)) {
        if (complete) this.r.block = undefined;
      } else if (complete || !FENCE_PREFIX.test(line)) this.code(block, block.code, line, complete);
      return;
    }
    const listItem = block?.tag === 'ul' ? BULLET : block?.tag === 'ol' ? NUMBERED : undefined;
    const item = listItem?.exec(line);
    if (block && item) this.item(block, group(item, 1), complete);
    else if (complete) this.r.block = this.lineBlock(line, complete);
    else if (!BLOCK_PREFIX.test(line)) this.lineBlock(line, complete);
  }

  /**
   * A line that is not part of the open list or code block: the block it starts or continues
   * (a heading or a blank line leaves none open).
   */
  private lineBlock(line: string, complete: boolean): Block | undefined {
    if (FENCE.test(line)) return this.open('pre', complete);
    const bullet = BULLET.exec(line);
    const item = bullet ?? NUMBERED.exec(line);
    if (item) {
      const block = this.open(bullet ? 'ul' : 'ol', complete);
      this.item(block, group(item, 1), complete);
      return block;
    }
    const heading = HEADING.exec(line);
    if (heading) {
      const block = this.open('h', complete);
      this.add(block.inner, this.inline(group(heading, 1), complete), complete);
      return undefined;
    }
    if (line.trim() === '') return undefined;
    const nodes = this.inline(line, complete);
    // A growing line of markers only: nothing to show yet (a complete line always has text).
    if (!nodes.length) return undefined;
    const block = this.r.block?.tag === 'p' ? this.r.block : this.open('p', complete);
    if (block.lines > 0) nodes.unshift({ tag: 'br', children: [] });
    this.add(block.inner, nodes, complete);
    if (complete) block.lines += 1;
    return block;
  }

  private item(list: Block, text: string, complete: boolean): void {
    const li = list.inner.appendChild(this.doc.createElement('li'));
    this.add(li, this.inline(text, complete), true);
    if (!complete) this.r.tail = { parent: list.inner, nodes: [li] };
  }

  private inline(text: string, complete: boolean): MarkdownNode[] {
    return complete ? parseInline(text) : parseOpenInline(text);
  }
}
