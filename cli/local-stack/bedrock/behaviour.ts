/**
 * How the local model behaves: timing, answer length and fault switches. Set per server through
 * the options and changed at run time with `setBehaviour(partial)` (SDK clients cannot send extra
 * headers, so tests and benchmarks steer the double from the side).
 */
import { LocalBedrockError } from './errors';

/** In-stream exceptions of ConverseStream (the union members of `ConverseStreamOutput`). */
export const STREAM_EXCEPTION_TYPES = [
  'modelStreamErrorException',
  'throttlingException',
  'internalServerException',
  'validationException',
  'serviceUnavailableException',
] as const;
export type StreamExceptionType = (typeof STREAM_EXCEPTION_TYPES)[number];

export interface LocalBedrockBehaviour {
  /** Delay before the first text. @default 300 */
  readonly timeToFirstTokenMs: number;
  /** Output rate; `Infinity` streams as fast as the client reads. @default 60 */
  readonly tokensPerSecond: number;
  /** Tokens per delta, drawn uniformly from [min, max] with the seeded PRNG. @default 1 */
  readonly minTokensPerChunk: number;
  /** @default 5 */
  readonly maxTokensPerChunk: number;
  /**
   * Answer length in tokens: the knowledge-base answer cut or extended deterministically to
   * exactly this many tokens (benchmarks). @default undefined (the answer's own length)
   */
  readonly answerTokens: number | undefined;
  /** The next N requests are refused with HTTP 429 ThrottlingException before any token. @default 0 */
  readonly throttleRequests: number;
  /** Streams end with an in-stream exception after this many tokens. @default undefined (never) */
  readonly failAfterTokens: number | undefined;
  /**
   * The in-stream exception. RetrieveAndGenerateStream has no model-stream or service-unavailable
   * member; there they become `dependencyFailedException` and `badGatewayException`.
   * @default 'modelStreamErrorException'
   */
  readonly failWith: StreamExceptionType;
  /** Seed of the PRNG that sizes chunks (mixed with the prompt, so runs are reproducible). @default 1 */
  readonly seed: number;
}

export const DEFAULT_BEHAVIOUR: LocalBedrockBehaviour = {
  timeToFirstTokenMs: 300,
  tokensPerSecond: 60,
  minTokensPerChunk: 1,
  maxTokensPerChunk: 5,
  answerTokens: undefined,
  throttleRequests: 0,
  failAfterTokens: undefined,
  failWith: 'modelStreamErrorException',
  seed: 1,
};

function requireNumber(
  name: string,
  value: number,
  min: number,
  integer: boolean,
  allowInfinity = false,
): void {
  const finiteOk = Number.isFinite(value) && (!integer || Number.isInteger(value));
  const infinityOk = allowInfinity && value === Number.POSITIVE_INFINITY;
  if (!(finiteOk || infinityOk) || value < min) {
    const kind = integer ? 'an integer' : 'a number';
    throw new LocalBedrockError(`${name} must be ${kind} >= ${min}, got ${String(value)}`);
  }
}

/** `base` with `changes` applied, validated as a whole (e.g. min ≤ max chunk size). */
export function mergeBehaviour(
  base: LocalBedrockBehaviour,
  changes: Partial<LocalBedrockBehaviour> = {},
): LocalBedrockBehaviour {
  const merged: LocalBedrockBehaviour = { ...base };
  for (const [key, value] of Object.entries(changes)) {
    if (value !== undefined || key === 'answerTokens' || key === 'failAfterTokens') {
      (merged as unknown as Record<string, unknown>)[key] = value;
    }
  }
  requireNumber('timeToFirstTokenMs', merged.timeToFirstTokenMs, 0, false);
  requireNumber('tokensPerSecond', merged.tokensPerSecond, Number.MIN_VALUE, false, true);
  requireNumber('minTokensPerChunk', merged.minTokensPerChunk, 1, true);
  requireNumber('maxTokensPerChunk', merged.maxTokensPerChunk, merged.minTokensPerChunk, true);
  if (merged.answerTokens !== undefined) requireNumber('answerTokens', merged.answerTokens, 1, true);
  requireNumber('throttleRequests', merged.throttleRequests, 0, true);
  if (merged.failAfterTokens !== undefined) requireNumber('failAfterTokens', merged.failAfterTokens, 0, true);
  if (!STREAM_EXCEPTION_TYPES.includes(merged.failWith)) {
    throw new LocalBedrockError(
      `failWith must be one of ${STREAM_EXCEPTION_TYPES.join(', ')}, got ${String(merged.failWith)}`,
    );
  }
  requireNumber('seed', merged.seed, Number.MIN_SAFE_INTEGER, true);
  return merged;
}

/** mulberry32: a tiny, fast, seedable PRNG returning floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of `seed` and `text`: the same prompt under the same seed always chunks the same way. */
export function seedFor(seed: number, text: string): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let index = 0; index < text.length; index += 1) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}
