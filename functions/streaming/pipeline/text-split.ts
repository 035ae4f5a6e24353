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
 * the cut; a longer one (only crafted text has one: a letter with dozens of accents) is cut at a
 * code point, like a cluster larger than a whole piece.
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
  for (let start = 0; start < text.length; ) {
    const fit = fittingEnd(text, start, maxBytes, cost);
    if (fit === start) throw new RangeError(`a code point costs more than maxBytes (${maxBytes})`);
    const end = fit < text.length ? lastBoundary(text, start, fit) : fit;
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

const isLowSurrogate = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;
const isRegionalIndicator = (codePoint: number) => codePoint >= 0x1f1e6 && codePoint <= 0x1f1ff;

/**
 * The last grapheme boundary in the window before `end` (a code point boundary), or `end` when
 * there is none. `start`, where the piece began, is a boundary.
 */
function lastBoundary(text: string, start: number, end: number): number {
  let from = Math.max(start, end - GRAPHEME_WINDOW);
  if (isLowSurrogate(text.charCodeAt(from))) from--; // the window starts with a whole code point
  // A flag is a pair of regional indicators counted from the start of their run: a window that
  // starts inside a run starts on a pair (counted back no further than the piece's start).
  let run = from;
  while (run > start && isRegionalIndicator(text.codePointAt(run - 2) as number)) run -= 2;
  if ((from - run) % 4 !== 0) from -= 2;
  // The window ends after the code point that follows the cut: it decides whether the cut is a boundary.
  let boundary = from;
  for (const { index } of graphemes.segment(text.slice(from, end + 2))) {
    if (index > 0 && from + index <= end) boundary = from + index;
  }
  return boundary > from ? boundary : end;
}
