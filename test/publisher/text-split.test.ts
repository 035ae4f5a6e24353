/**
 * splitText (functions/streaming/pipeline/text-split.ts): what a tab receives when an answer is
 * longer than one frame. Every piece fits the budget, none cuts a code point, none cuts a grapheme
 * cluster that fits a piece, and each piece is as long as those rules allow (so a 40 KB answer is 2
 * frames, not thousands). The reference below segments the whole text at once, as the splitter did
 * before it looked only at a window before each cut; the splitter must give the same pieces.
 */
import {
  GRAPHEME_WINDOW,
  jsonStringCost,
  splitText,
  utf8Cost,
} from '../../functions/streaming/pipeline/text-split';

const bytes = (text: string) => Buffer.byteLength(text, 'utf8');

/** The pieces, segmenting the whole text: each ends at the last grapheme boundary that fits, else the last code point. */
function reference(text: string, maxBytes: number, cost = utf8Cost): string[] {
  const boundaries = new Set([...new Intl.Segmenter().segment(text)].map((s) => s.index));
  boundaries.add(text.length);
  const pieces: string[] = [];
  for (let start = 0; start < text.length; ) {
    let used = 0;
    let fit = start;
    let boundary = start;
    for (const codePoint of text.slice(start)) {
      used += cost(codePoint);
      if (used > maxBytes) break;
      fit += codePoint.length;
      if (boundaries.has(fit)) boundary = fit;
    }
    const end = boundary > start ? boundary : fit;
    pieces.push(text.slice(start, end));
    start = end;
  }
  return pieces;
}

// ZWJ family, flags (🇦 and 🇿 are the first and last regional indicators), skin tone, CJK,
// combining accent, a tag sequence (England's flag), ASCII
const MIXED = '👨‍👩‍👧‍👦 🇫🇷🇿🇦🇦🇺 👍🏽 日本語のテキスト é 🏴󠁧󠁢󠁥󠁮󠁧󠁿 abc ';

describe('splitText', () => {
  it('gives the pieces whole-text segmentation gives, wherever the cuts fall (prefixes shift them through the window)', () => {
    for (let shift = 0; shift <= GRAPHEME_WINDOW + 8; shift++) {
      // Prepare
      const text = 'x'.repeat(shift) + MIXED.repeat(12);
      for (const maxBytes of [6, 7, 31, 100, 333]) {
        // Act
        const pieces = splitText(text, maxBytes);
        // Assess
        expect(pieces).toEqual(reference(text, maxBytes));
      }
    }
  });

  it('keeps flags whole in a long run of flags, whichever pair the window starts on', () => {
    // Prepare: 150 flags, longer than the window; odd prefixes put cuts on either half of a pair
    const flags = '🇫🇷🇿🇦🇦🇺🇩🇪🇯🇵'.repeat(30);
    for (let shift = 0; shift < 6; shift++) {
      const text = 'y'.repeat(shift) + flags;
      for (const maxBytes of [9, 50, 201, 1000]) {
        // Act
        const pieces = splitText(text, maxBytes);
        // Assess
        expect(pieces).toEqual(reference(text, maxBytes));
        for (const piece of pieces.slice(1)) expect(bytes(piece) % 8).toBe(0);
      }
    }
  });

  it('measures json text by its escaped size: quotes and control characters', () => {
    // Prepare: '"' is 2 bytes escaped, \u0001 is 6
    const text = `${'"'.repeat(7)}${'\u0001'.repeat(3)}ok`;
    // Act
    const pieces = splitText(text, 6, jsonStringCost);
    // Assess
    expect(pieces).toEqual(['"""', '"""', '"', '\u0001', '\u0001', '\u0001', 'ok']);
    expect(reference(text, 6, jsonStringCost)).toEqual(pieces);
  });

  it('fills each piece: a cut right at the budget, and pieces of the smallest budget (6 bytes)', () => {
    expect(splitText('abcdefgh', 6)).toEqual(['abcdef', 'gh']);
    expect(splitText('abcdef', 6)).toEqual(['abcdef']);
    expect(splitText('日本語のテ', 6)).toEqual(['日本', '語の', 'テ']);
    expect(splitText('😀😀😀', 8)).toEqual(['😀😀', '😀']);
  });

  it('returns short text untouched and nothing for empty text', () => {
    expect(splitText('hi', 100)).toEqual(['hi']);
    expect(splitText('', 100)).toEqual([]);
  });

  it('refuses a budget a code point may not fit, and a cost that no code point fits, instead of looping', () => {
    expect(() => splitText('abc', 5)).toThrow(new RangeError('maxBytes must be at least 6, got 5'));
    expect(() => splitText('abc', 6, () => 7)).toThrow(
      new RangeError('a code point costs more than maxBytes (6)'),
    );
  });

  it('keeps text with lone surrogates whole (nothing lost, nothing doubled)', () => {
    // Prepare: broken UTF-16 as a model could emit it, lone halves at piece starts and window starts
    const text = `\udc00${'a\ud800b\udc01'.repeat(100)}\ud83d`;
    for (const maxBytes of [6, 10, 100]) {
      // Act
      const pieces = splitText(text, maxBytes);
      // Assess
      expect(pieces.join('')).toBe(text);
      for (const piece of pieces) expect(bytes(piece)).toBeLessThanOrEqual(maxBytes);
    }
  });

  describe('at the edge of the window before a cut', () => {
    /** 'a' × 200, then 'e' with `accents` combining accents (2 bytes each), then 'z'. */
    const text = (accents: number) => `${'a'.repeat(200)}e${'\u0301'.repeat(accents)}z`;
    /** A budget that cuts `before` code units after the accented letter's start. */
    const budget = (before: number) => 200 + 1 + 2 * (before - 1);

    it(`a cluster starting ${GRAPHEME_WINDOW - 1} code units before the cut stays whole (moved to the next piece)`, () => {
      // Prepare: the cluster fits a piece
      const before = GRAPHEME_WINDOW - 1;
      const source = text(before + 10);
      // Act
      const pieces = splitText(source, budget(before));
      // Assess
      expect(pieces[0]).toBe('a'.repeat(200));
      expect(pieces[1]).toBe(`e${'\u0301'.repeat(before + 10)}z`);
    });

    it(`a cluster starting ${GRAPHEME_WINDOW + 1} code units before the cut is cut at the last code point that fits`, () => {
      // Prepare
      const before = GRAPHEME_WINDOW + 1;
      const source = text(before + 10);
      // Act
      const pieces = splitText(source, budget(before));
      // Assess: the first piece is full
      expect(pieces[0]).toBe(`${'a'.repeat(200)}e${'\u0301'.repeat(before - 1)}`);
      expect(bytes(pieces[0] ?? '')).toBe(budget(before));
      expect(pieces.join('')).toBe(source);
    });

    it('a chain of joined emoji longer than the window is cut at code points, each piece as full as fits (no lone joiner)', () => {
      // Prepare: one cluster of 150 × (🐀 + zero-width joiner): 300 code points, 1,050 bytes
      const chain = '\u{1F400}\u200d'.repeat(150);
      for (const maxBytes of [200, 203, 206, 209, 212, 215, 382, 582]) {
        for (const cost of [utf8Cost, jsonStringCost]) {
          // Act
          const pieces = splitText(chain, maxBytes, cost);
          // Assess: the pieces whole-text segmentation gives, so every piece but the last is
          // within one code point (4 bytes) of the budget: a 3-byte piece holding only a joiner
          // would be a frame spent on nothing the reader can see
          expect(pieces).toEqual(reference(chain, maxBytes, cost));
          for (const piece of pieces.slice(0, -1)) expect(bytes(piece)).toBeGreaterThan(maxBytes - 4);
        }
      }
    });

    it('a cluster larger than a piece is cut at code points, each piece full', () => {
      // Prepare: one grapheme of 4,001 bytes
      const source = `x${'\u0301'.repeat(2000)}`;
      // Act
      const pieces = splitText(source, 1001);
      // Assess
      expect(pieces.join('')).toBe(source);
      expect(pieces.map(bytes)).toEqual([1001, 1000, 1000, 1000]);
    });
  });
});
