/**
 * Splitting text into pieces that each fit a byte budget, never inside a code point (so no
 * surrogate pair or multi-byte UTF-8 sequence is cut) and, where a grapheme fits, not inside a
 * grapheme cluster either (emoji ZWJ sequences, flags, combining accents stay whole).
 *
 * Each piece is as long as fits: the longest run of whole code points within the budget, moved
 * back to the last grapheme boundary before the cut. Only a window of GRAPHEME_WINDOW code units
 * before each cut goes through Intl.Segmenter: on Node 20 segmenting a whole text takes time
 * quadratic in its length (64 KB: seconds), one window per cut keeps splitting linear. So a
 * cluster straddling a cut stays whole when it starts less than GRAPHEME_WINDOW code units before
 * the cut (and no other cluster of more than GRAPHEME_WINDOW code units runs up to it); a longer
 * one (only crafted text has one: a letter with dozens of accents, a long chain of joined emoji)
 * is cut at a code point, like a cluster larger than a whole piece, each piece as full as fits.
 */

export type ByteCost = (codePoint: string) => number;

export const utf8Cost: ByteCost = (codePoint) => Buffer.byteLength(codePoint);

/** Bytes a code point takes inside a JSON string literal (escapes included, quotes excluded). */
export const jsonStringCost: ByteCost = (codePoint) => Buffer.byteLength(JSON.stringify(codePoint)) - 2;

/** Code units before a cut searched for the grapheme boundary to cut at instead. */
export const GRAPHEME_WINDOW = 128;

/** Grapheme granularity is the default. */
const graphemes = new Intl.Segmenter();

/** Splits `text` into pieces of at most `maxBytes` each (by `cost`); '' gives []. */
export function splitText(text: string, maxBytes: number, cost: ByteCost = utf8Cost): string[] {
  if (maxBytes < 6) throw new RangeError(`maxBytes must be at least 6, got ${maxBytes}`);
  const pieces: string[] = [];
  // False after a cut inside a cluster: the next piece starts in the middle of one.
  let startsOnBoundary = true;
  for (let start = 0; start < text.length; ) {
    const fit = fittingEnd(text, start, maxBytes, cost);
    if (fit === start) throw new RangeError(`a code point costs more than maxBytes (${maxBytes})`);
    const boundary: number | undefined =
      fit < text.length ? lastBoundary(text, start, fit, startsOnBoundary) : fit;
    const end = boundary ?? fit;
    startsOnBoundary = boundary !== undefined;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

/** End of the longest run of whole code points from `start` that costs at most `maxBytes`. */
function fittingEnd(text: string, start: number, maxBytes: number, cost: ByteCost): number {
  let used = 0;
  let index = start;
  while (index < text.length) {
    const codePoint = String.fromCodePoint(text.codePointAt(index) as number);
    used += cost(codePoint);
    if (used > maxBytes) break;
    index += codePoint.length;
  }
  return index;
}

const isRegionalIndicator = (codePoint: number) => codePoint >= 0x1f1e6 && codePoint <= 0x1f1ff;

/**
 * The last grapheme boundary after `start` in the window before `end` (a code point boundary), or
 * undefined when there is none. A window that starts inside a cluster (after a cut in a cluster
 * longer than the window, or at a piece that began in one) sees a false boundary where its first
 * segment ends, after a lone low surrogate, joiner or accent: that first boundary counts only when
 * the window starts at a piece's start that is a boundary.
 */
function lastBoundary(
  text: string,
  start: number,
  end: number,
  startsOnBoundary: boolean,
): number | undefined {
  // Two code units more than the window: the first segment's end is not trusted, and a segment
  // is one or two code units long unless a cluster straddles the window's start.
  let from = Math.max(start, end - GRAPHEME_WINDOW - 2);
  // A flag is a pair of regional indicators counted from the start of their run: a window that
  // starts inside a run starts on a pair (counted back no further than the piece's start).
  let run = from;
  while (run > start && isRegionalIndicator(text.codePointAt(run - 2) as number)) run -= 2;
  if ((from - run) % 4 !== 0) from -= 2;
  // The window ends after the code point that follows the cut: it decides whether the cut is a boundary.
  let trusted = from === start && startsOnBoundary;
  let boundary: number | undefined;
  for (const { index } of graphemes.segment(text.slice(from, end + 2))) {
    if (index === 0) continue;
    if (trusted && from + index <= end) boundary = from + index;
    trusted = true;
  }
  return boundary;
}
