/**
 * Model call helpers. A model that is throttled before it produced anything is called again after
 * a jittered, exponentially growing, bounded delay; once an event has been passed on, a failure is
 * final (retrying would repeat text the user already saw). Every call takes the publisher's
 * AbortSignal, so a cancel closes the HTTP stream instead of paying for tokens nobody reads.
 */
import {
  type BedrockAgentRuntimeClient,
  RetrieveAndGenerateStreamCommand,
  type RetrieveAndGenerateStreamCommandInput,
} from '@aws-sdk/client-bedrock-agent-runtime';
import {
  type BedrockRuntimeClient,
  ConverseStreamCommand,
  type ConverseStreamCommandInput,
} from '@aws-sdk/client-bedrock-runtime';
import type { Logger } from '../shared/logger';
import { type BackoffOptions, backoffDelay, sleep } from './backoff';
import { fromConverseStream } from './converse-source';
import { isAbortError, toModelError } from './errors';
import type { StreamEvent, StreamSource } from './events';
import { fromRetrieveAndGenerateStream } from './retrieve-and-generate-source';

export interface ModelRetryOptions extends BackoffOptions {
  /** Calls in total, the first included. @default 4 */
  maxAttempts?: number;
  logger?: Logger;
}

/**
 * Wraps a source so retryable failures (throttling) before its first event are retried.
 * `open` is called once per attempt with the caller's signal.
 */
export function withModelRetry(open: StreamSource, options: ModelRetryOptions = {}): StreamSource {
  const maxAttempts = Math.max(1, options.maxAttempts ?? 4);
  return async function* retried(signal: AbortSignal): AsyncGenerator<StreamEvent> {
    for (let attempt = 0; ; attempt++) {
      let forwarded = false;
      try {
        for await (const event of open(signal)) {
          forwarded = true;
          yield event;
        }
        return;
      } catch (error) {
        if (signal.aborted || isAbortError(error)) throw error;
        const modelError = toModelError(error);
        if (forwarded || !modelError.retryable || attempt + 1 >= maxAttempts) throw modelError;
        const delayMs = backoffDelay(attempt, { baseDelayMs: 200, maxDelayMs: 3000, ...options });
        options.logger?.warn('model throttled before the first token; retrying', {
          code: modelError.code,
          attempt: attempt + 1,
          delayMs,
        });
        await sleep(delayMs, signal);
        if (signal.aborted) throw modelError;
      }
    }
  };
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

/** A retried Bedrock Knowledge Bases `RetrieveAndGenerateStream` call as a source. */
export function retrieveAndGenerateStreamSource(
  client: BedrockAgentRuntimeClient,
  input: RetrieveAndGenerateStreamCommandInput,
  retry: ModelRetryOptions = {},
): StreamSource {
  return withModelRetry(async function* retrieveAndGenerate(signal) {
    const output = await client.send(new RetrieveAndGenerateStreamCommand(input), { abortSignal: signal });
    yield* fromRetrieveAndGenerateStream(output);
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
