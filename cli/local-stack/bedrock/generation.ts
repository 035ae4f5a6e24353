/**
 * The local model's generation: which text it answers (from the knowledge base), how that text is
 * cut into deltas (1–5 tokens, seeded), and the paced emit loop with time to first token, tokens
 * per second, a mid-stream failure switch and prompt cancellation.
 */
import type { KnowledgeBase, KnowledgeBaseMatch } from '../knowledge-base/knowledge-base';
import { countTokens, tokenize } from '../knowledge-base/tokenizer';
import { type LocalBedrockBehaviour, seededRandom, seedFor } from './behaviour';

export type StopReason = 'end_turn' | 'max_tokens';

export interface AnswerPlan {
  /** The full text the model would produce (before a mid-stream failure cuts it). */
  text: string;
  /** Deltas in order; each is 1–N tokens and `chunks.join('') === text`. */
  chunks: string[];
  /** Token count of each chunk. */
  chunkTokens: number[];
  outputTokens: number;
  stopReason: StopReason;
  matches: KnowledgeBaseMatch[];
}

export interface PlanInput {
  /** The question the answer is picked for (the last user message). */
  question: string;
  /** `inferenceConfig.maxTokens` of the request; the answer stops there with `max_tokens`. */
  maxTokens?: number;
}

export function planAnswer(
  knowledgeBase: KnowledgeBase,
  behaviour: LocalBedrockBehaviour,
  input: PlanInput,
): AnswerPlan {
  const found = knowledgeBase.answer(input.question);
  let text = found.text;
  if (behaviour.answerTokens !== undefined) {
    text = knowledgeBase.fitToTokens(text, behaviour.answerTokens, found.matches[0]?.entry);
  }
  let tokens = tokenize(text);
  let stopReason: StopReason = 'end_turn';
  if (input.maxTokens !== undefined && tokens.length > input.maxTokens) {
    tokens = tokens.slice(0, input.maxTokens);
    text = tokens.join('');
    stopReason = 'max_tokens';
  }
  const random = seededRandom(seedFor(behaviour.seed, input.question));
  const chunks: string[] = [];
  const chunkTokens: number[] = [];
  const span = behaviour.maxTokensPerChunk - behaviour.minTokensPerChunk + 1;
  for (let index = 0; index < tokens.length; ) {
    const size = Math.min(behaviour.minTokensPerChunk + Math.floor(random() * span), tokens.length - index);
    chunks.push(tokens.slice(index, index + size).join(''));
    chunkTokens.push(size);
    index += size;
  }
  return { text, chunks, chunkTokens, outputTokens: tokens.length, stopReason, matches: found.matches };
}

/** Input token count as reported in `usage` (all text the request carried). */
export function inputTokensOf(texts: readonly string[]): number {
  return texts.reduce((sum, text) => sum + countTokens(text), 0);
}

export type GenerationOutcome =
  /** Every chunk was emitted. */
  | { kind: 'completed'; tokensSent: number; textSent: string }
  /** `failAfterTokens` was reached: the caller ends the stream with an exception. */
  | { kind: 'failed'; tokensSent: number; textSent: string }
  /** The client went away (signal aborted): stop, send nothing more. */
  | { kind: 'aborted'; tokensSent: number; textSent: string };

export interface EmitOptions {
  plan: AnswerPlan;
  behaviour: LocalBedrockBehaviour;
  /** Aborted when the client cancels or the connection closes. */
  signal: AbortSignal;
  /** Sends one delta; resolves when the transport can take more (flow control). */
  emit: (text: string, tokens: number) => Promise<void>;
  /** Epoch ms the request arrived; the first token is due `timeToFirstTokenMs` after it. */
  startedAt: number;
  now?: () => number;
}

/**
 * Emits the plan's chunks on a schedule: the first at `startedAt + timeToFirstTokenMs`, each next
 * one when the tokens before it have been "generated" at `tokensPerSecond`. A slow consumer delays
 * emission (emit awaits the transport), so nothing piles up in memory.
 */
export async function emitAnswer(options: EmitOptions): Promise<GenerationOutcome> {
  const { plan, behaviour, signal, emit } = options;
  const now = options.now ?? Date.now;
  const msPerToken = 1000 / behaviour.tokensPerSecond;
  const limit = behaviour.failAfterTokens;
  let tokensSent = 0;
  let textSent = '';
  let firstChunkTokens = 0;
  for (let index = 0; index < plan.chunks.length; index += 1) {
    if (signal.aborted) return { kind: 'aborted', tokensSent, textSent };
    if (limit !== undefined && tokensSent >= limit) return { kind: 'failed', tokensSent, textSent };
    let chunk = plan.chunks[index] as string;
    let tokens = plan.chunkTokens[index] as number;
    if (limit !== undefined && tokensSent + tokens > limit) {
      tokens = limit - tokensSent;
      chunk = tokenize(chunk).slice(0, tokens).join('');
    }
    // The first chunk is due at TTFT (its tokens are part of that wait); each later chunk when its
    // own tokens have been generated, counted from the first chunk (no drift from slow writes).
    if (index === 0) firstChunkTokens = tokens;
    const generatedAfterFirst = tokensSent + tokens - firstChunkTokens;
    const dueAt = options.startedAt + behaviour.timeToFirstTokenMs + generatedAfterFirst * msPerToken;
    await sleepUntil(dueAt, now, signal);
    if (signal.aborted) return { kind: 'aborted', tokensSent, textSent };
    await emit(chunk, tokens);
    tokensSent += tokens;
    textSent += chunk;
  }
  if (limit !== undefined && tokensSent >= limit && tokensSent < plan.outputTokens) {
    return { kind: 'failed', tokensSent, textSent };
  }
  return { kind: 'completed', tokensSent, textSent };
}

/** Resolves at `time` (epoch ms) or as soon as `signal` aborts; never rejects. */
export function sleepUntil(time: number, now: () => number, signal: AbortSignal): Promise<void> {
  const delay = time - now();
  if (delay <= 0 || signal.aborted || !Number.isFinite(delay)) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, delay);
    signal.addEventListener('abort', done, { once: true });
  });
}
