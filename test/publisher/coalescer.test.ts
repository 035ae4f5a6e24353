import { PUBLISHER_DEFAULTS } from '../../functions/shared/config';
import { Coalescer } from '../../functions/streaming/pipeline/coalescer';
import { ManualClock } from './manual-clock';

function setup(windowMs = 250, maxBytes = 4096) {
  const clock = new ManualClock();
  const emitted: { at: number; text: string }[] = [];
  const coalescer = new Coalescer({
    windowMs,
    maxBytes,
    clock,
    emit: (text) => emitted.push({ at: clock.now(), text }),
  });
  return { clock, emitted, coalescer };
}

describe('Coalescer', () => {
  it('emits the first text at once and coalesces what follows within one window', () => {
    // Prepare
    const { clock, emitted, coalescer } = setup(250);
    // Act
    coalescer.push('Hello');
    clock.advance(30);
    coalescer.push(' wor');
    clock.advance(30);
    coalescer.push('ld');
    // Assess
    expect(emitted).toEqual([{ at: 0, text: 'Hello' }]);
    clock.advance(190);
    expect(emitted).toEqual([
      { at: 0, text: 'Hello' },
      { at: 250, text: ' world' },
    ]);
  });

  it('emits at once when the buffer reaches maxBytes, counting UTF-8 bytes', () => {
    // Prepare
    const { emitted, coalescer } = setup(250, 8);
    coalescer.push('a');
    // Act: 3 × 3-byte CJK characters = 9 bytes ≥ 8
    coalescer.push('日本');
    coalescer.push('語');
    // Assess
    expect(emitted.map((e) => e.text)).toEqual(['a', '日本語']);
  });

  it('emits immediately after an idle pause longer than the window', () => {
    const { clock, emitted, coalescer } = setup(250);
    coalescer.push('first');
    clock.advance(1000);
    coalescer.push(' again');
    expect(emitted.map((e) => e.text)).toEqual(['first', ' again']);
  });

  it('flush emits the rest at once and cancels the pending timer: text after it waits one window from the flush, not the old timer', () => {
    // Prepare: 'a' goes out at 0; 'b' at 100 arms the timer for 250
    const { clock, emitted, coalescer } = setup(250);
    coalescer.push('a');
    clock.advance(100);
    coalescer.push('b');
    // Act: a flush at 100 (the end of the text, or a citation), then more text at 150
    coalescer.flush();
    clock.advance(50);
    coalescer.push('c');
    clock.advance(1000);
    // Assess: 'b' at once; 'c' one window after the flush (350), not when the cancelled timer was due
    // (250: two posts within one window)
    expect(emitted).toEqual([
      { at: 0, text: 'a' },
      { at: 100, text: 'b' },
      { at: 350, text: 'c' },
    ]);
    expect(coalescer.pending).toBe('');
  });

  it('with the defaults, posts at most 1/5 of one-per-chunk at 100 tokens/s and 1–5 tokens per chunk, with small lag', () => {
    // Prepare: a 20 s answer, 100 tokens/s, chunk sizes cycling 1..5 tokens of "tok " (4 chars)
    const { clock, emitted, coalescer } = setup(
      PUBLISHER_DEFAULTS.coalesceWindowMs,
      PUBLISHER_DEFAULTS.coalesceMaxBytes,
    );
    const pushedAt: number[] = [];
    let chunks = 0;
    let text = '';
    // Act
    for (let t = 0, i = 0; t < 20_000; i++) {
      const tokens = (i % 5) + 1;
      const piece = 'tok '.repeat(tokens);
      coalescer.push(piece);
      text += piece;
      for (let k = 0; k < piece.length; k++) pushedAt.push(clock.now());
      chunks++;
      const gap = tokens * 10; // 100 tokens/s
      clock.advance(gap);
      t += gap;
    }
    coalescer.flush();
    // Assess: nothing lost, order kept, ≤ 1/5 of the naive post count
    expect(emitted.map((e) => e.text).join('')).toBe(text);
    expect(emitted.length).toBeLessThanOrEqual(chunks / 5);
    // and no character waited longer than one window
    let offset = 0;
    for (const emit of emitted) {
      for (let k = 0; k < emit.text.length; k++) {
        expect(emit.at - (pushedAt[offset + k] ?? 0)).toBeLessThanOrEqual(
          PUBLISHER_DEFAULTS.coalesceWindowMs,
        );
      }
      offset += emit.text.length;
    }
  });

  it('stays at 1/5 (plus the immediate first post) when every chunk carries 5 tokens, the least favourable case', () => {
    const { clock, emitted, coalescer } = setup(
      PUBLISHER_DEFAULTS.coalesceWindowMs,
      PUBLISHER_DEFAULTS.coalesceMaxBytes,
    );
    let chunks = 0;
    for (let t = 0; t < 10_000; t += 50) {
      coalescer.push('five tokens in one chunk ');
      chunks++;
      clock.advance(50);
    }
    coalescer.flush();
    expect(emitted.length).toBeLessThanOrEqual(chunks / 5 + 1);
  });

  it('emits at once when the buffer holds exactly maxBytes', () => {
    // Prepare: 'a' goes out at once and opens a window
    const { emitted, coalescer } = setup(250, 6);
    coalescer.push('a');
    // Act: 2 × 3-byte characters = 6 bytes, the limit
    coalescer.push('日本');
    // Assess
    expect(emitted).toEqual([
      { at: 0, text: 'a' },
      { at: 0, text: '日本' },
    ]);
    expect(coalescer.pending).toBe('');
  });

  it('text pushed in a window waits for that window only, even after a flush mid-window and more text', () => {
    // Prepare: 'a' at 0; 'b' at 100 and 'c' at 120 wait for 250
    const { clock, emitted, coalescer } = setup(250);
    coalescer.push('a');
    clock.advance(100);
    coalescer.push('b');
    clock.advance(20);
    coalescer.push('c');
    // Act: flush at 130, then 'd' at 150 must wait one window from the flush (380)
    clock.advance(10);
    coalescer.flush();
    clock.advance(20);
    coalescer.push('d');
    clock.advance(1000);
    // Assess: no emit at 250 (no timer of the earlier pushes left behind)
    expect(emitted).toEqual([
      { at: 0, text: 'a' },
      { at: 130, text: 'bc' },
      { at: 380, text: 'd' },
    ]);
  });

  it('counts its emits', () => {
    // Prepare
    const { clock, emitted, coalescer } = setup(250);
    // Act: one at once, one when the window closes, one by flush
    coalescer.push('a');
    coalescer.push('b');
    clock.advance(250);
    coalescer.push('c');
    coalescer.push('d');
    coalescer.flush();
    // Assess
    expect(emitted.map((e) => e.text)).toEqual(['a', 'b', 'cd']);
    expect(coalescer.emits).toBe(3);
  });

  it('ignores empty text: it neither emits nor opens a window', () => {
    // Prepare
    const { clock, emitted, coalescer } = setup(250);
    // Act
    coalescer.push('');
    coalescer.push('first');
    // Assess: 'first' is still the first text, so it goes out at once
    expect(emitted).toEqual([{ at: 0, text: 'first' }]);
    clock.advance(1000);
    expect(coalescer.emits).toBe(1);
  });

  it('dispose drops the buffered text and its timer: nothing more goes out, even after the window', () => {
    // Prepare: 'b' waits for the window
    const { clock, emitted, coalescer } = setup(250);
    coalescer.push('a');
    coalescer.push('b');
    // Act
    coalescer.dispose();
    clock.advance(1000);
    coalescer.flush();
    // Assess
    expect(emitted.map((e) => e.text)).toEqual(['a']);
    expect(coalescer.pending).toBe('');
  });

  it('dispose before anything was pushed, and twice, is harmless', () => {
    const { clock, emitted, coalescer } = setup(250);
    coalescer.dispose();
    coalescer.dispose();
    coalescer.push('x');
    clock.advance(1000);
    expect(emitted).toEqual([{ at: 0, text: 'x' }]);
  });

  it('accepts the smallest settings: window 0 emits every push at once, maxBytes 1 every byte', () => {
    // Prepare
    const zeroWindow = setup(0, 4096);
    const oneByte = setup(250, 1);
    // Act
    for (const text of ['a', 'b', 'c']) {
      zeroWindow.coalescer.push(text);
      oneByte.coalescer.push(text);
    }
    // Assess
    expect(zeroWindow.emitted.map((e) => e.text)).toEqual(['a', 'b', 'c']);
    expect(oneByte.emitted.map((e) => e.text)).toEqual(['a', 'b', 'c']);
  });

  it('rejects a nonsensical configuration with the bad value in the message', () => {
    expect(() => new Coalescer({ windowMs: -1, maxBytes: 10, emit: () => undefined })).toThrow(
      new RangeError('windowMs must be ≥ 0, got -1'),
    );
    expect(() => new Coalescer({ windowMs: 10, maxBytes: 0, emit: () => undefined })).toThrow(
      new RangeError('maxBytes must be ≥ 1, got 0'),
    );
  });
});
