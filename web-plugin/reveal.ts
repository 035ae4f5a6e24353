/**
 * Smooth reveal: turns the text received so far into the text visible so far, word by word on
 * animation frames, so the server's batches (one every 250 ms coalescing window) read as steady
 * typing instead of jumps. Pure: the frame scheduler and the clock are passed in, there is no DOM.
 *
 * The numbers, and why:
 * - CATCH_UP_MS = 250: each frame reveals backlog × frame time / 250 ms (at least MIN_CHARS_PER_SECOND),
 *   so a batch is spread over about one coalescing window, the time until the next batch comes:
 *   text flows without pauses at the model's pace. The rate is proportional to the backlog, so the
 *   reveal catches up faster the further it is behind.
 * - MIN_CHARS_PER_SECOND = 60 (about 10 words a second, faster than anyone reads): the last words
 *   of a small backlog do not crawl in.
 * - MAX_LAG_CHARS = 200 (about 35 words, two to three lines of the widget): after every frame at
 *   most this much received text is still hidden. A burst larger than that (a 60-word batch is
 *   about 360 characters) shows its excess at once, then the rest flows.
 * - MAX_LAG_MS = 500 (two coalescing windows): no received character stays hidden longer, so the
 *   reveal never holds back an answer the server has already sent: the visible text is at most
 *   half a second behind (one frame more on a slow page), and the end of an answer shows at most
 *   half a second after it arrived.
 * - The first frame after text arrives into an empty answer shows at least the first word: the
 *   reveal adds no delay to the first words on screen.
 *
 * Words come from Intl.Segmenter (word granularity; its boundaries are grapheme boundaries, so an
 * emoji ZWJ sequence or a surrogate pair is never split) or, without it, from whitespace runs. A
 * step is a word with its punctuation, markdown markers and following space ("**bold** ", "1. "),
 * so a marker never shows without its word; the last word of the text so far (no space after it
 * yet, it may still grow) waits for the next batch, the end of the stream or MAX_LAG_MS, except as
 * the answer's first word.
 * Received text whose last character is not ASCII keeps its last grapheme hidden until the next
 * batch or the end of the stream says it is complete (an emoji may still get its skin tone or its
 * joined emoji, a flag its second half); without Intl.Segmenter, a trailing high surrogate or
 * joiner is held back. Held-back characters are the one exception to MAX_LAG_MS.
 *
 * `instant()` (the page's "prefers-reduced-motion: reduce" or a hidden tab, where animation frames
 * do not run) shows everything as it arrives; `flush()` shows everything now; `stop()` freezes the
 * visible text at once (the Stop button) and ignores what arrives later.
 */

export const CATCH_UP_MS = 250;
export const MIN_CHARS_PER_SECOND = 60;
export const MAX_LAG_CHARS = 200;
export const MAX_LAG_MS = 500;
/** A frame later than this after the previous one counts as this long (a page that was busy). */
const MAX_FRAME_MS = 100;

/** Animation frames: `requestAnimationFrame`/`cancelAnimationFrame` in a page. */
export interface FrameScheduler {
  request(callback: () => void): unknown;
  cancel(handle: unknown): void;
}

export interface RevealOptions {
  /** Called with the whole visible text each time it grows (and once on `flush`). */
  onReveal: (visible: string) => void;
  frames: FrameScheduler;
  /** Milliseconds, monotonic (`performance.now` in a page). */
  now: () => number;
  /** True when text should show as it arrives (reduced motion, hidden tab). @default () => false */
  instant?: () => boolean;
  /** Word boundaries; @default Intl.Segmenter (word) when present, else whitespace runs. */
  words?: WordSplitter;
}

/** Splits text into consecutive pieces (words, spaces, punctuation) whose lengths add up to the text's. */
export type WordSplitter = (text: string) => Iterable<string>;

const WHITESPACE_RUNS = /\s+|\S+/g;
const WORD_LIKE = /[\p{L}\p{N}]/u;
const LIST_NUMBER = /^\s*\d+[.)]\s+$/;

export function defaultWordSplitter(): WordSplitter {
  const Segmenter = (globalThis as { Intl?: { Segmenter?: typeof Intl.Segmenter } }).Intl?.Segmenter;
  if (Segmenter) {
    const segmenter = new Segmenter(undefined, { granularity: 'word' });
    return function* (text) {
      for (const { segment } of segmenter.segment(text)) yield segment;
    };
  }
  return (text) => text.match(WHITESPACE_RUNS) ?? [];
}

const graphemeSegmenter = (() => {
  const Segmenter = (globalThis as { Intl?: { Segmenter?: typeof Intl.Segmenter } }).Intl?.Segmenter;
  return Segmenter ? new Segmenter() : undefined;
})();
/** Code units before the end searched for the start of the last grapheme. */
const TAIL_WINDOW = 64;

/**
 * Length of `text` without a character that may still be growing at its end: a high surrogate or
 * a joiner, and (with Intl.Segmenter) the last grapheme when it is not ASCII, since a skin tone,
 * a joiner and the next emoji, a second regional indicator or an accent may follow in the next
 * batch. ASCII text is never held back.
 */
function completeLength(text: string): number {
  const last = text.charCodeAt(text.length - 1);
  if (!(last > 0x7f)) return text.length;
  if (graphemeSegmenter) {
    const from = Math.max(0, text.length - TAIL_WINDOW);
    let start = from;
    for (const { index } of graphemeSegmenter.segment(text.slice(from))) start = from + index;
    // A window starting inside a long cluster: hold back the whole window, never more.
    return start;
  }
  let end = text.length;
  for (;;) {
    const code = text.charCodeAt(end - 1);
    if ((code >= 0xd800 && code <= 0xdbff) || code === 0x200d) end -= 1;
    else return end;
  }
}

interface Arrival {
  /** Received length after this piece. */
  end: number;
  at: number;
}

export class TextReveal {
  private receivedText = '';
  private visibleLength = 0;
  private readonly arrivals: Arrival[] = [];
  private handle: unknown;
  private scheduled = false;
  private lastFrameAt: number | undefined;
  /** Characters earned by the rate but not yet shown (a word is shown whole). */
  private budget = 0;
  private stopped = false;
  private ended = false;
  private readonly words: WordSplitter;

  constructor(private readonly options: RevealOptions) {
    this.words = options.words ?? defaultWordSplitter();
  }

  get received(): string {
    return this.receivedText;
  }
  get visible(): string {
    return this.receivedText.slice(0, this.visibleLength);
  }
  /** Received characters not shown yet. */
  get lagChars(): number {
    return this.receivedText.length - this.visibleLength;
  }
  /** How long the oldest hidden character has waited (0 when all is shown). */
  lagMs(now = this.options.now()): number {
    const oldest = this.arrivals.find((arrival) => arrival.end > this.visibleLength);
    return oldest ? now - oldest.at : 0;
  }
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Adds received text. */
  push(text: string): void {
    if (this.stopped || !text) return;
    this.receivedText += text;
    this.arrivals.push({ end: this.receivedText.length, at: this.options.now() });
    if (this.options.instant?.()) {
      this.flush();
      return;
    }
    this.schedule();
  }

  /** The stream ended: its last character is complete, so nothing is held back for the next batch. */
  end(): void {
    this.ended = true;
    if (!this.stopped && this.lagChars > 0) this.schedule();
  }

  /** Shows everything received now. */
  flush(): void {
    if (this.stopped) return;
    this.cancelFrame();
    const end = this.ended ? this.receivedText.length : completeLength(this.receivedText);
    this.show(end);
  }

  /** Freezes the visible text now; later text is ignored. */
  stop(): void {
    this.stopped = true;
    this.cancelFrame();
  }

  private schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    this.handle = this.options.frames.request(() => {
      this.scheduled = false;
      this.frame();
    });
  }

  private cancelFrame(): void {
    if (this.scheduled) this.options.frames.cancel(this.handle);
    this.scheduled = false;
    this.lastFrameAt = undefined;
  }

  private frame(): void {
    if (this.stopped) return;
    if (this.options.instant?.()) {
      this.flush();
      return;
    }
    const now = this.options.now();
    const elapsed = Math.min(
      MAX_FRAME_MS,
      this.lastFrameAt === undefined ? 1000 / 60 : now - this.lastFrameAt,
    );
    this.lastFrameAt = now;
    const limit = this.ended ? this.receivedText.length : completeLength(this.receivedText);
    const backlog = limit - this.visibleLength;
    if (backlog <= 0) {
      this.idle();
      return;
    }
    this.budget += Math.max((MIN_CHARS_PER_SECOND * elapsed) / 1000, (backlog * elapsed) / CATCH_UP_MS);
    // The bounds: at most MAX_LAG_CHARS hidden, nothing hidden for MAX_LAG_MS or more.
    let floor = this.receivedText.length - MAX_LAG_CHARS;
    for (const arrival of this.arrivals) {
      if (arrival.at > now - MAX_LAG_MS) break;
      floor = Math.max(floor, arrival.end);
    }
    const firstWords = this.visibleLength === 0;
    let end = this.visibleLength;
    for (const unit of this.units(this.receivedText.slice(this.visibleLength, limit))) {
      const next = end + unit.length;
      // The last word of the text so far may still grow (no space after it yet): it waits for
      // the next batch, the end of the stream or the time bound.
      const complete = next < limit || this.ended || /\s$/.test(unit);
      const mustShow = end < floor || (firstWords && end === this.visibleLength);
      if (!mustShow && (!complete || next - this.visibleLength > this.budget)) break;
      end = next;
    }
    // A floor inside the held-back end (an unfinished character) stops at the limit.
    if (end > this.visibleLength) {
      this.budget = Math.max(0, this.budget - (end - this.visibleLength));
      this.show(end);
    }
    if (this.visibleLength < limit) this.schedule();
    else this.idle();
  }

  /**
   * The steps the text is revealed in: a word with the punctuation, markdown markers and space
   * around it ("**bold** ", "1. ", "word, "), so a marker never shows without its word.
   */
  private *units(text: string): Generator<string> {
    let unit = '';
    let hasWord = false;
    let afterSpace = false;
    for (const piece of this.words(text)) {
      const word = WORD_LIKE.test(piece);
      // "1. " is a list marker: it goes with the word after it.
      if (hasWord && (afterSpace || word) && !LIST_NUMBER.test(unit)) {
        yield unit;
        unit = '';
        hasWord = false;
      }
      unit += piece;
      hasWord ||= word;
      afterSpace = /^\s+$/.test(piece);
    }
    if (unit) yield unit;
  }

  /** All shown: the next text starts with a fresh rate. */
  private idle(): void {
    this.budget = 0;
    this.lastFrameAt = undefined;
  }

  private show(end: number): void {
    if (end <= this.visibleLength) return;
    this.visibleLength = end;
    while (this.arrivals.length > 0 && (this.arrivals[0] as Arrival).end <= end) this.arrivals.shift();
    this.options.onReveal(this.visible);
  }
}
