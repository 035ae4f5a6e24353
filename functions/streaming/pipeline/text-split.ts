/**
 * Splitting text into pieces that each fit a byte budget, never inside a code point (so no
 * surrogate pair or multi-byte UTF-8 sequence is cut) and, where a grapheme fits, not inside a
 * grapheme cluster either (emoji ZWJ sequences, flags, combining accents stay whole).
 */

export type ByteCost = (codePoint: string) => number;

export const utf8Cost: ByteCost = (codePoint) => Buffer.byteLength(codePoint, 'utf8');

/** Bytes a code point takes inside a JSON string literal (escapes included, quotes excluded). */
export const jsonStringCost: ByteCost = (codePoint) =>
  Buffer.byteLength(JSON.stringify(codePoint), 'utf8') - 2;

export function costOf(text: string, cost: ByteCost): number {
  if (cost === utf8Cost) return Buffer.byteLength(text, 'utf8');
  let total = 0;
  for (const codePoint of text) total += cost(codePoint);
  return total;
}

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** Splits `text` into pieces of at most `maxBytes` each (by `cost`); '' gives []. */
export function splitText(text: string, maxBytes: number, cost: ByteCost = utf8Cost): string[] {
  if (maxBytes < 6) throw new RangeError(`maxBytes must be at least 6, got ${maxBytes}`);
  if (!text) return [];
  if (costOf(text, cost) <= maxBytes) return [text];
  const pieces: string[] = [];
  let piece = '';
  let pieceBytes = 0;
  const append = (unit: string, bytes: number) => {
    if (pieceBytes + bytes > maxBytes && piece) {
      pieces.push(piece);
      piece = '';
      pieceBytes = 0;
    }
    piece += unit;
    pieceBytes += bytes;
  };
  for (const { segment } of graphemes.segment(text)) {
    const bytes = costOf(segment, cost);
    if (bytes <= maxBytes) {
      append(segment, bytes);
    } else {
      // A grapheme larger than a whole piece (pathological): fall back to code points.
      for (const codePoint of segment) append(codePoint, cost(codePoint));
    }
  }
  if (piece) pieces.push(piece);
  return pieces;
}
