/**
 * The smooth reveal (web-plugin/reveal.ts) with a manual clock and manual animation frames: what a
 * reader sees after each frame.
 */
import {
  defaultWordSplitter,
  MAX_LAG_CHARS,
  MAX_LAG_MS,
  type RevealOptions,
  TextReveal,
} from '../../web-plugin/reveal';

const FRAME_MS = 1000 / 60;

/** A reveal driven by hand: `advance(ms)` moves the clock frame by frame, running requested frames. */
function manualReveal(options: Partial<RevealOptions> = {}) {
  let clock = 0;
  let pending: (() => void) | undefined;
  const shown: string[] = [];
  const reveal = new TextReveal({
    onReveal: (visible) => shown.push(visible),
    frames: {
      request: (callback) => {
        pending = callback;
        return 1;
      },
      cancel: () => {
        pending = undefined;
      },
    },
    now: () => clock,
    ...options,
  });
  const frame = () => {
    clock += FRAME_MS;
    const callback = pending;
    pending = undefined;
    callback?.();
  };
  return {
    reveal,
    shown,
    frame,
    /** Runs frames for `ms`, calling `each` after every frame. */
    advance(ms: number, each?: () => void) {
      const until = clock + ms;
      while (clock + FRAME_MS <= until + 1e-9) {
        frame();
        each?.();
      }
    },
    hasPendingFrame: () => pending !== undefined,
  };
}

function words(count: number, from = 0): string {
  return Array.from({ length: count }, (_, index) => `word${from + index} `).join('');
}

it('shows at least the first word on the first frame after text arrives', () => {
  // Prepare
  const { reveal, frame } = manualReveal();

  // Act
  reveal.push('Streaming answers arrive in batches of words.');
  const beforeFrame = reveal.visible;
  frame();

  // Assess
  expect(beforeFrame).toBe('');
  expect(reveal.visible.startsWith('Streaming')).toBe(true);
});

it('reveals a batch over several frames, word by word, each frame a longer prefix', () => {
  // Prepare
  const { reveal, shown, advance } = manualReveal();
  const text = words(12);

  // Act
  reveal.push(text);
  advance(600);

  // Assess: several steps, each a prefix ending at a word boundary, ending with all of it
  expect(shown.length).toBeGreaterThanOrEqual(5);
  for (const [index, visible] of shown.entries()) {
    expect(text.startsWith(visible)).toBe(true);
    if (index > 0) expect(visible.length).toBeGreaterThan((shown[index - 1] as string).length);
    const next = text.charAt(visible.length);
    expect(next === '' || next === ' ' || /\s$/.test(visible)).toBe(true);
  }
  expect(reveal.visible).toBe(text);
});

it.each([
  ['250 ms batches of 60 words', 250, 60],
  ['100 ms batches of 10 words', 100, 10],
  ['1 s batches of 150 words', 1000, 150],
])('never lags more than the bound on bursty input: %s', (_name, everyMs, perBatch) => {
  // Prepare
  const { reveal, advance } = manualReveal();
  let maxLagChars = 0;
  let maxLagMs = 0;
  const measure = () => {
    maxLagChars = Math.max(maxLagChars, reveal.lagChars);
    maxLagMs = Math.max(maxLagMs, reveal.lagMs());
  };

  // Act
  for (let batch = 0; batch < 12; batch += 1) {
    reveal.push(words(perBatch, batch * perBatch));
    advance(everyMs, measure);
  }
  advance(MAX_LAG_MS + FRAME_MS, measure);

  // Assess: after every frame, within both bounds; at the end, everything is shown
  expect(maxLagChars).toBeLessThanOrEqual(MAX_LAG_CHARS);
  expect(maxLagMs).toBeLessThan(MAX_LAG_MS);
  expect(reveal.visible).toBe(reveal.received);
});

it('catches up faster the further behind it is', () => {
  // Prepare
  const small = manualReveal();
  const large = manualReveal();
  small.reveal.push(words(8));
  large.reveal.push(words(30));
  small.frame();
  large.frame();
  const smallAfterFirst = small.reveal.visible.length;
  const largeAfterFirst = large.reveal.visible.length;

  // Act
  small.advance(100);
  large.advance(100);

  // Assess
  expect(large.reveal.visible.length - largeAfterFirst).toBeGreaterThan(
    small.reveal.visible.length - smallAfterFirst,
  );
});

it('stop freezes the visible text at once and ignores later text', () => {
  // Prepare
  const { reveal, advance, hasPendingFrame } = manualReveal();
  reveal.push(words(40));
  advance(50);
  const atStop = reveal.visible;

  // Act
  reveal.stop();
  reveal.push(words(40, 40));
  advance(2000);

  // Assess
  expect(atStop.length).toBeGreaterThan(0);
  expect(reveal.visible).toBe(atStop);
  expect(hasPendingFrame()).toBe(false);
});

it('shows everything as it arrives when instant (reduced motion, a hidden tab), without waiting for a frame', () => {
  // Prepare
  const { reveal, shown } = manualReveal({ instant: () => true });

  // Act
  reveal.push(words(30));
  reveal.push(words(30, 30));

  // Assess
  expect(reveal.visible).toBe(words(30) + words(30, 30));
  expect(shown).toHaveLength(2);
});

it('shows what is waiting when the page turns instant mid-answer (the tab was hidden)', () => {
  // Prepare
  let hidden = false;
  const { reveal, frame } = manualReveal({ instant: () => hidden });
  reveal.push(words(50));
  frame();
  const before = reveal.visible;

  // Act
  hidden = true;
  reveal.flush();

  // Assess
  expect(before.length).toBeLessThan(words(50).length);
  expect(reveal.visible).toBe(words(50));
});

it('never splits a surrogate pair or a ZWJ emoji, even when a batch ends inside one', () => {
  // Prepare
  const family = '👩‍👩‍👧';
  const { reveal, shown, advance } = manualReveal();

  // Act: the batch boundary falls inside the family emoji and inside a surrogate pair
  reveal.push(`Hello ${family.slice(0, 3)}`);
  advance(1000);
  const whileSplit = reveal.visible;
  reveal.push(`${family.slice(3)} and 😀 ok`.slice(0, -4));
  advance(1000);
  reveal.push(`${'😀 ok'.slice(-4)}`);
  reveal.end();
  advance(1000);

  // Assess: every visible text ends on a grapheme boundary of the final text
  const final = `Hello ${family} and 😀 ok`;
  const boundaries = new Set(
    Array.from(new Intl.Segmenter().segment(final), (segment) => segment.index + segment.segment.length),
  );
  expect(whileSplit).toBe('Hello ');
  expect(reveal.visible).toBe(final);
  for (const visible of shown) expect(boundaries.has(visible.length)).toBe(true);
});

it('splits words without Intl.Segmenter too (whitespace runs)', () => {
  // Prepare
  const Segmenter = Intl.Segmenter;
  // biome-ignore lint/suspicious/noExplicitAny: removing the platform's segmenter for this test
  (Intl as any).Segmenter = undefined;
  try {
    // Act
    const pieces = Array.from(defaultWordSplitter()('two 👩‍👩‍👧 words'));

    // Assess
    expect(pieces).toEqual(['two', ' ', '👩‍👩‍👧', ' ', 'words']);
  } finally {
    // biome-ignore lint/suspicious/noExplicitAny: restoring it
    (Intl as any).Segmenter = Segmenter;
  }
});

it('reveals a markdown marker together with its word, and keeps a word that may still grow until it is complete', () => {
  // Prepare
  const { reveal, shown, advance } = manualReveal();

  // Act
  reveal.push('Steps:\n1. Open **the console** and cli');
  advance(400);
  const beforeRest = reveal.visible;
  reveal.push('ck Outputs.');
  reveal.end();
  advance(400);

  // Assess: no step ends right after a marker, and "cli" never showed alone
  expect(beforeRest).toBe('Steps:\n1. Open **the console** and ');
  for (const visible of shown) expect(visible).not.toMatch(/(\*\*|\d\.\s*)$/);
  expect(reveal.visible).toBe('Steps:\n1. Open **the console** and click Outputs.');
});
