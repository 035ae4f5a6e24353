/**
 * Bedrock `ConverseStream` output as normalized events: text deltas, citations when the model
 * cites, the `messageStop` stop reason and the `metadata` usage/latency. Reasoning content, tool use
 * and images are not part of a chat answer and are skipped. Every in-stream exception type
 * (internalServer, modelStreamError, serviceUnavailable, throttling, validation, and exceptions the
 * SDK throws while reading) ends the stream with a StreamingError carrying the exception name.
 */
import {
  type BedrockRuntimeClient,
  type CitationsDelta,
  ConverseStreamCommand,
  type ConverseStreamCommandInput,
  type ConverseStreamOutput,
} from '@aws-sdk/client-bedrock-runtime';
import type { Citation, CitationSource } from '../../protocol/frames';
import { StreamingError, toModelError } from '../errors';
import type { StreamEvent, StreamSource } from './events';
import { type ModelRetryOptions, withModelRetry } from './model-retry';

/** What `BedrockRuntimeClient.send(new ConverseStreamCommand(…))` resolves to (only `stream` is read). */
export interface ConverseStreamLike {
  stream?: AsyncIterable<ConverseStreamOutput> | undefined;
}

const EXCEPTION_MEMBERS = [
  ['internalServerException', 'InternalServerException', false],
  ['modelStreamErrorException', 'ModelStreamErrorException', false],
  ['serviceUnavailableException', 'ServiceUnavailableException', true],
  ['throttlingException', 'ThrottlingException', true],
  ['validationException', 'ValidationException', false],
] as const;

export function citationFromConverse(delta: CitationsDelta): Citation {
  const source: CitationSource = {};
  if (delta.title) source.title = delta.title;
  const uri = delta.location?.web?.url ?? delta.source;
  if (uri) source.uri = uri;
  const excerpt = (delta.sourceContent ?? [])
    .map((part) => part.text ?? '')
    .join('')
    .trim();
  if (excerpt) source.excerpt = excerpt;
  return { sources: [source] };
}

export async function* fromConverseStream(output: ConverseStreamLike): AsyncGenerator<StreamEvent> {
  if (!output.stream) throw new StreamingError('ConverseStream returned no stream', { code: 'NoStream' });
  try {
    for await (const event of output.stream) {
      if (event.contentBlockDelta) {
        const delta = event.contentBlockDelta.delta;
        if (delta?.text) yield { type: 'text', text: delta.text };
        else if (delta?.citation)
          yield { type: 'citations', citations: [citationFromConverse(delta.citation)] };
        // reasoningContent, toolUse, toolResult and image deltas are not answer text.
      } else if (event.messageStop) {
        yield { type: 'stop', stopReason: event.messageStop.stopReason ?? 'end_turn' };
      } else if (event.metadata) {
        const { usage, metrics } = event.metadata;
        const metadata: StreamEvent = { type: 'metadata' };
        if (usage) {
          metadata.usage = {
            inputTokens: usage.inputTokens,
            outputTokens: usage.outputTokens,
            totalTokens: usage.totalTokens,
          };
        }
        if (metrics?.latencyMs !== undefined) metadata.latencyMs = metrics.latencyMs;
        yield metadata;
      } else {
        for (const [member, code, retryable] of EXCEPTION_MEMBERS) {
          const exception = (event as unknown as Record<string, { message?: string } | undefined>)[member];
          if (exception) {
            throw new StreamingError(`model stream failed: ${exception.message ?? code}`, {
              code,
              retryable,
              cause: exception,
            });
          }
        }
      }
    }
  } catch (error) {
    throw toModelError(error);
  }
}

/** A retried Bedrock `ConverseStream` call as a source. */
export function converseStreamSource(
  client: BedrockRuntimeClient,
  input: ConverseStreamCommandInput,
  retry: ModelRetryOptions = {},
): StreamSource {
  return withModelRetry(async function* converse(signal) {
    const output = await client.send(new ConverseStreamCommand(input), { abortSignal: signal });
    yield* fromConverseStream(output);
  }, retry);
}

export interface QuestionPrompt {
  modelId: string;
  question: string;
  system?: string;
  maxTokens?: number;
  temperature?: number;
}

/** A one-question ConverseStream request. */
export function converseInputForQuestion(prompt: QuestionPrompt): ConverseStreamCommandInput {
  const input: ConverseStreamCommandInput = {
    modelId: prompt.modelId,
    messages: [{ role: 'user', content: [{ text: prompt.question }] }],
    inferenceConfig: {},
  };
  if (prompt.system) input.system = [{ text: prompt.system }];
  if (prompt.maxTokens !== undefined && input.inferenceConfig)
    input.inferenceConfig.maxTokens = prompt.maxTokens;
  if (prompt.temperature !== undefined && input.inferenceConfig) {
    input.inferenceConfig.temperature = prompt.temperature;
  }
  return input;
}
