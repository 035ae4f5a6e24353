/**
 * The markdown parser's wall-clock time grows linearly with the answer (markdown-linear.test.ts
 * checks the characters it searches; this checks the time a visitor waits).
 */
import { markdownToHtml } from '../../web-plugin/markdown';
import { largeAnswer } from './markdown-answers';

/**
 * The fastest of `repeats` runs of each, taken in turns so that a busy machine slows both alike.
 * Both runs should take about as long, so both are exposed to the same interruptions.
 */
function fastestOfEach(first: () => void, second: () => void, repeats = 7): [number, number] {
  const best = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
  for (let i = 0; i < repeats; i += 1) {
    [first, second].forEach((run, index) => {
      const started = performance.now();
      run();
      best[index] = Math.min(best[index] as number, performance.now() - started);
    });
  }
  return best as [number, number];
}

describe('markdown parser', () => {
  it('parses an answer 8 times as long (200 KB) in about the time of 8 short ones, not 8 times that', () => {
    // Prepare: a warm-up run of each
    const small = largeAnswer(1);
    const large = largeAnswer(8);
    markdownToHtml(small);
    markdownToHtml(large);

    // Act
    const [eightSmallMs, largeMs] = fastestOfEach(
      () => {
        for (let i = 0; i < 8; i += 1) markdownToHtml(small);
      },
      () => markdownToHtml(large),
    );

    // Assess: a ratio of like-sized runs, not an absolute time, so a busy machine does not fail it.
    // Linear: about 1; quadratic: about 8 (the former parser: 16 s against 0.34 s, about 48).
    expect(largeMs / eightSmallMs).toBeLessThan(3);
  });
});
