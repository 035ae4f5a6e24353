/** The configurations `npm run bench` (fast, for CI: under a minute) and `npm run bench:full` run. */
import type { BenchConfiguration } from './runner';

export interface BenchGrid {
  tokensPerSecond: readonly number[];
  answerTokens: readonly number[];
  postLatencyMs: readonly number[];
}

export const PRESETS = {
  fast: { tokensPerSecond: [100], answerTokens: [200, 500], postLatencyMs: [10, 30] },
  full: { tokensPerSecond: [60, 100, 180], answerTokens: [200, 500, 2000], postLatencyMs: [10, 30, 60] },
} as const satisfies Record<string, BenchGrid>;

export type PresetName = keyof typeof PRESETS;

/** Every combination, ordered by rate, then answer length, then post latency. */
export function configurationsOf(grid: BenchGrid): BenchConfiguration[] {
  const configurations: BenchConfiguration[] = [];
  for (const tokensPerSecond of grid.tokensPerSecond) {
    for (const answerTokens of grid.answerTokens) {
      for (const postLatencyMs of grid.postLatencyMs) {
        configurations.push({ tokensPerSecond, answerTokens, postLatencyMs });
      }
    }
  }
  return configurations;
}
