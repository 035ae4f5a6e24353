/**
 * The whole request of the two example Lambdas, so their handlers stay a few lines: read the event,
 * check the client's streaming attributes, stream a Bedrock answer to the session's sockets, and
 * return the final answer in the shape the caller (QnABot or Lex V2) expects.
 */
import type { LexV2Event, LexV2Result } from 'aws-lambda';
import { ConfigurationError } from '../../shared/errors';
import { publishAnswer, type StreamResult } from '../pipeline/publisher';
import { type PublisherRuntime, publishOptionsOf, runtimeForQnabotHook } from '../runtime';
import { converseInputForQuestion, converseStreamSource } from '../sources/converse';
import type { StreamSource } from '../sources/events';
import { EMPTY_ANSWER_MESSAGE, lexV2CloseResponse, readLexV2Event } from './lex-v2';
import { applyAnswerToQnabotEvent, type QnabotHookEvent, readQnabotHookEvent } from './qnabot';
import { checkStreamingAttributes } from './session-attributes';

export interface ModelSettings {
  modelId: string;
  system?: string;
  maxTokens: number;
  temperature?: number;
}

function pickString(...values: unknown[]): string | undefined {
  for (const value of values) if (typeof value === 'string' && value.trim()) return value.trim();
  return undefined;
}

function pickNumber(...values: unknown[]): number | undefined {
  for (const value of values) {
    const number = typeof value === 'string' && value.trim() ? Number(value) : value;
    if (typeof number === 'number' && Number.isFinite(number)) return number;
  }
  return undefined;
}

/**
 * Model settings, first found wins: hook arguments (`modelId`, `system`/`prompt`, `maxTokens`,
 * `temperature`), then QnABot settings (`STREAMING_MODEL_ID`, `STREAMING_SYSTEM_PROMPT`,
 * `STREAMING_MAX_TOKENS`), then the Lambda's environment.
 */
export function resolveModelSettings(
  config: PublisherRuntime['config'],
  args: Record<string, unknown> = {},
  settings: Record<string, unknown> = {},
): ModelSettings {
  const modelId = pickString(args.modelId, settings.STREAMING_MODEL_ID, config.modelId);
  if (!modelId) {
    throw new ConfigurationError(
      'a model id is required: set STREAMING_MODEL_ID, or "modelId" in the hook arguments',
    );
  }
  const resolved: ModelSettings = {
    modelId,
    maxTokens: pickNumber(args.maxTokens, settings.STREAMING_MAX_TOKENS) ?? config.maxTokens,
  };
  const system = pickString(args.system, args.prompt, settings.STREAMING_SYSTEM_PROMPT, config.systemPrompt);
  if (system) resolved.system = system;
  const temperature = pickNumber(args.temperature);
  if (temperature !== undefined) resolved.temperature = temperature;
  return resolved;
}

export type SourceFactory = (
  question: string,
  settings: ModelSettings,
  runtime: PublisherRuntime,
) => StreamSource;

/** The default: Bedrock ConverseStream with throttling retries. */
export const bedrockConverseSource: SourceFactory = (question, settings, runtime) =>
  converseStreamSource(runtime.bedrock(), converseInputForQuestion({ ...settings, question }), {
    logger: runtime.logger,
  });

/** The endpoint check matters only when something is posted; with streaming off nothing is. */
function checkAttributes(attributes: Record<string, unknown>, runtime: PublisherRuntime): void {
  if (runtime.config.streamingEnabled) checkStreamingAttributes(attributes, runtime.config, runtime.logger);
}

/** Streams to the session's sockets; with streaming off the same call just collects the answer. */
async function stream(
  runtime: PublisherRuntime,
  sessionId: string,
  question: string,
  settings: ModelSettings,
  makeSource: SourceFactory,
): Promise<StreamResult> {
  return publishAnswer({
    sessionId,
    source: makeSource(question, settings, runtime),
    ...publishOptionsOf(runtime),
  });
}

/** A QnABot Lambda hook answering the matched item from a model, streamed. */
export async function answerQnabotHook(
  event: QnabotHookEvent,
  runtime: PublisherRuntime,
  makeSource: SourceFactory = bedrockConverseSource,
): Promise<QnabotHookEvent> {
  const request = readQnabotHookEvent(event);
  const active = runtimeForQnabotHook(runtime, request);
  checkAttributes(request.sessionAttributes, active);
  if (!request.question) return applyAnswerToQnabotEvent(event, { text: EMPTY_ANSWER_MESSAGE });
  const settings = resolveModelSettings(active.config, request.args, request.settings);
  const result = await stream(active, request.sessionId, request.question, settings, makeSource);
  return applyAnswerToQnabotEvent(event, result);
}

/** A Lex V2 fulfillment answering the input transcript from a model, streamed. */
export async function answerLexV2Fulfillment(
  event: LexV2Event,
  runtime: PublisherRuntime,
  makeSource: SourceFactory = bedrockConverseSource,
): Promise<LexV2Result> {
  const request = readLexV2Event(event);
  checkAttributes(request.sessionAttributes, runtime);
  if (!request.inputTranscript) return lexV2CloseResponse(event, EMPTY_ANSWER_MESSAGE);
  const settings = resolveModelSettings(runtime.config);
  const result = await stream(runtime, request.sessionId, request.inputTranscript, settings, makeSource);
  return lexV2CloseResponse(event, result.text);
}
