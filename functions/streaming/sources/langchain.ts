/**
 * LangChain.js output as normalized events: what `ChatBedrockConverse#stream()` (or any chat
 * model's) yields, and what a chain ending in `StringOutputParser` yields (plain strings).
 *
 * Mapped: string content and `text` blocks → text; `annotations` of type `citation` on a text block
 * and Bedrock `citations_content` blocks (what `invoke()` or a non-streaming model returns) →
 * citations; `usage_metadata` → usage (summed over chunks, as LangChain's own `concat` does), sent
 * once when the stream ends; the stop reason from `response_metadata` (`stopReason`, Bedrock
 * streaming's `messageStop.stopReason`, Anthropic's `stop_reason`, OpenAI's `finish_reason`
 * translated); Bedrock's `metadata.metrics.latencyMs`. Skipped: tool calls, reasoning, images and
 * any other block, none of which is answer text.
 *
 * Structural types only: nothing here imports `@langchain/*`, so the publisher installs and runs
 * without LangChain; a LangChain `AIMessageChunk` fits `LangChainChunkLike` as it is.
 */
import type { Citation, CitationSource, Usage } from '../../protocol/frames';
import { StreamingError, toModelError } from '../errors';
import type { StreamEvent, StreamSource } from './events';
import { type ModelRetryOptions, withModelRetry } from './model-retry';

/** The part of a LangChain message chunk (`AIMessageChunk`) this adapter reads. */
export interface LangChainChunkLike {
  /** A string, or content blocks (`{ type: 'text', text }`, tool calls, reasoning, …). */
  readonly content?: unknown;
  readonly usage_metadata?:
    | { readonly input_tokens?: number; readonly output_tokens?: number; readonly total_tokens?: number }
    | undefined;
  readonly response_metadata?: Readonly<Record<string, unknown>> | undefined;
}

/** One item of a LangChain stream: a message chunk, or a string from `StringOutputParser`. */
export type LangChainStreamItem = LangChainChunkLike | string;

/** Opens the LangChain stream with the publisher's cancel signal: `(signal) => model.stream(input, { signal })`. */
export type LangChainStreamOpener = (
  signal: AbortSignal,
) => AsyncIterable<LangChainStreamItem> | Promise<AsyncIterable<LangChainStreamItem>>;

/** OpenAI-style `finish_reason` in Bedrock's words, so every source reports one vocabulary. */
const FINISH_REASONS: Readonly<Record<string, string>> = {
  stop: 'end_turn',
  length: 'max_tokens',
  content_filter: 'content_filtered',
  tool_calls: 'tool_use',
  function_call: 'tool_use',
};

/** What @langchain/aws throws when Bedrock sends nothing for `streamIdleTimeout` (60 s by default). */
const IDLE_TIMEOUT = /^Bedrock Converse timed out after \d+ ms/;

type Fields = Readonly<Record<string, unknown>>;

function isRecord(value: unknown): value is Fields {
  return typeof value === 'object' && value !== null;
}

function stringAt(record: Fields | undefined, key: string): string | undefined {
  const value = record?.[key];
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function recordAt(record: Fields | undefined, key: string): Fields | undefined {
  const value = record?.[key];
  return isRecord(value) ? value : undefined;
}

function arrayAt(record: Fields | undefined, key: string): readonly unknown[] {
  const value = record?.[key];
  return Array.isArray(value) ? value : [];
}

function source(fields: {
  title?: string | undefined;
  uri?: string | undefined;
  excerpt?: string | undefined;
}): Citation {
  const cited: CitationSource = {};
  if (fields.title) cited.title = fields.title;
  if (fields.uri) cited.uri = fields.uri;
  const excerpt = fields.excerpt?.trim();
  if (excerpt) cited.excerpt = excerpt;
  return { sources: [cited] };
}

/** A LangChain standard `citation` annotation (`{ type: 'citation', url, title, citedText }`). */
function annotationCitation(annotation: Fields): Citation {
  return source({
    title: stringAt(annotation, 'title'),
    uri: stringAt(annotation, 'url') ?? stringAt(annotation, 'source'),
    excerpt: stringAt(annotation, 'citedText'),
  });
}

/** A Bedrock `Citation` (`title`, `source`, `sourceContent[].text`, `location.web.url`). */
function bedrockCitation(citation: Fields): Citation {
  const excerpt = arrayAt(citation, 'sourceContent')
    .map((part) => (isRecord(part) ? (stringAt(part, 'text') ?? '') : ''))
    .join('');
  return source({
    title: stringAt(citation, 'title'),
    uri: stringAt(recordAt(recordAt(citation, 'location'), 'web'), 'url') ?? stringAt(citation, 'source'),
    excerpt,
  });
}

/** Text and citation events of one content block; other blocks give none. */
function* blockEvents(block: unknown): Generator<StreamEvent> {
  if (!isRecord(block)) return;
  const type = block.type;
  if (type === 'text' || type === 'text_delta') {
    const text = stringAt(block, 'text');
    if (text) yield { type: 'text', text };
    const citations = arrayAt(block, 'annotations')
      .filter((annotation): annotation is Fields => isRecord(annotation) && annotation.type === 'citation')
      .map(annotationCitation);
    if (citations.length > 0) yield { type: 'citations', citations };
  } else if (type === 'citations_content') {
    const content = recordAt(block, 'citationsContent');
    const text = arrayAt(content, 'content')
      .map((part) => (isRecord(part) ? (stringAt(part, 'text') ?? '') : ''))
      .join('');
    if (text) yield { type: 'text', text };
    const citations = arrayAt(content, 'citations').filter(isRecord).map(bedrockCitation);
    if (citations.length > 0) yield { type: 'citations', citations };
  }
  // tool_use, tool_call_chunk, reasoning, thinking, image, … are not answer text.
}

function stopReasonOf(metadata: Fields | undefined): string | undefined {
  const finishReason = stringAt(metadata, 'finish_reason');
  return (
    stringAt(metadata, 'stopReason') ??
    stringAt(recordAt(metadata, 'messageStop'), 'stopReason') ??
    stringAt(metadata, 'stop_reason') ??
    (finishReason ? (FINISH_REASONS[finishReason] ?? finishReason) : undefined)
  );
}

function latencyOf(metadata: Fields | undefined): number | undefined {
  const latency = recordAt(recordAt(metadata, 'metadata'), 'metrics')?.latencyMs;
  return typeof latency === 'number' && Number.isFinite(latency) ? latency : undefined;
}

/** Adds one chunk's usage to the total so far (LangChain spreads usage over chunks for some models). */
function addUsage(total: Usage | undefined, usage: LangChainChunkLike['usage_metadata']): Usage | undefined {
  if (!usage) return total;
  const sum = (a: number | undefined, b: number | undefined) =>
    a === undefined && b === undefined ? undefined : (a ?? 0) + (b ?? 0);
  const next: Usage = { ...total };
  const inputTokens = sum(total?.inputTokens, usage.input_tokens);
  const outputTokens = sum(total?.outputTokens, usage.output_tokens);
  const totalTokens = sum(total?.totalTokens, usage.total_tokens);
  if (inputTokens !== undefined) next.inputTokens = inputTokens;
  if (outputTokens !== undefined) next.outputTokens = outputTokens;
  if (totalTokens !== undefined) next.totalTokens = totalTokens;
  return next;
}

/** What LangChain threw as a StreamingError named after the cause (the SDK's exception name). */
function toLangChainError(error: unknown): StreamingError {
  if (error instanceof Error && !(error instanceof StreamingError) && IDLE_TIMEOUT.test(error.message)) {
    return new StreamingError(`model call failed: ${error.message}`, {
      code: 'StreamIdleTimeout',
      retryable: true,
      cause: error,
    });
  }
  return toModelError(error);
}

/**
 * A LangChain stream (`await model.stream(input, { signal })`, or a chain's `.stream()`, message
 * chunks or strings) as normalized events. Usage and latency come as one `metadata` event at the end.
 */
export async function* fromLangChainStream(
  stream: AsyncIterable<LangChainStreamItem>,
): AsyncGenerator<StreamEvent> {
  let usage: Usage | undefined;
  let latencyMs: number | undefined;
  try {
    for await (const item of stream) {
      if (typeof item === 'string') {
        if (item.length > 0) yield { type: 'text', text: item };
        continue;
      }
      if (typeof item !== 'object' || item === null) continue;
      const { content } = item;
      if (typeof content === 'string') {
        if (content.length > 0) yield { type: 'text', text: content };
      } else if (Array.isArray(content)) {
        for (const block of content) yield* blockEvents(block);
      }
      usage = addUsage(usage, item.usage_metadata);
      const metadata = isRecord(item.response_metadata) ? item.response_metadata : undefined;
      latencyMs = latencyOf(metadata) ?? latencyMs;
      const stopReason = stopReasonOf(metadata);
      if (stopReason) yield { type: 'stop', stopReason };
    }
  } catch (error) {
    throw toLangChainError(error);
  }
  if (usage || latencyMs !== undefined) {
    const metadata: StreamEvent = { type: 'metadata' };
    if (usage) metadata.usage = usage;
    if (latencyMs !== undefined) metadata.latencyMs = latencyMs;
    yield metadata;
  }
}

/**
 * A LangChain call as a source: `open` gets the publisher's cancel signal, so a cancel reaches
 * LangChain and closes the model's HTTP stream. A model throttled before its first text is called
 * again (withModelRetry; `{ maxAttempts: 1 }` turns that off).
 */
export function langChainStreamSource(
  open: LangChainStreamOpener,
  retry: ModelRetryOptions = {},
): StreamSource {
  return withModelRetry(async function* langChain(signal) {
    try {
      yield* fromLangChainStream(await open(signal));
    } catch (error) {
      // LangChain rejects a cancelled call with its own `Error('Aborted')` (or the signal's reason).
      if (signal.aborted) {
        throw new StreamingError('model call cancelled', { code: 'AbortError', cause: error });
      }
      throw toLangChainError(error);
    }
  }, retry);
}
