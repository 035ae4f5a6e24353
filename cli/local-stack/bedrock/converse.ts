/**
 * `Converse` and `ConverseStream` of the local Bedrock runtime: request validation with Bedrock's
 * own messages, then the answer as one JSON document or as the event stream messageStart →
 * contentBlockDelta… → contentBlockStop → messageStop → metadata.
 */
import { isRecord, LocalAwsError } from '../http';
import type { StreamExceptionType } from './behaviour';
import { encodeEvent } from './event-stream';
import { type AnswerPlan, emitAnswer, inputTokensOf, planAnswer } from './generation';
import { resolveModelId } from './models';
import type { OperationContext } from './operation-context';
import { runEventStream } from './stream-lifecycle';

export interface ConverseRequest {
  modelId: string;
  /** Text of the last user message: what the local model answers. */
  question: string;
  inputTokens: number;
  maxTokens?: number;
}

export function validationError(message: string): LocalAwsError {
  return new LocalAwsError(400, 'ValidationException', message);
}

export function throttlingError(): LocalAwsError {
  return new LocalAwsError(429, 'ThrottlingException', 'Too many requests, please wait before trying again.');
}

export function unknownModelError(): LocalAwsError {
  return validationError('The provided model identifier is invalid.');
}

function textsOf(content: unknown[]): string[] {
  const texts: string[] = [];
  for (const block of content) {
    if (isRecord(block) && typeof block.text === 'string') texts.push(block.text);
  }
  return texts;
}

/** Validates a Converse/ConverseStream body the way Bedrock does (same checks, same wording). */
export function parseConverseRequest(
  rawModelId: string,
  body: Record<string, unknown>,
  knownModels: ReadonlySet<string>,
): ConverseRequest {
  const modelId = resolveModelId(rawModelId, knownModels);
  if (!modelId) throw unknownModelError();
  const { messages } = body;
  if (messages === undefined || messages === null) {
    throw validationError(
      "1 validation error detected: Value null at 'messages' failed to satisfy constraint: Member must not be null",
    );
  }
  if (!Array.isArray(messages)) throw validationError('Malformed input request: messages must be an array');
  const startsWithUser =
    'A conversation must start with a user message. Try again with a conversation that starts with a user message.';
  if (messages.length === 0) throw validationError(startsWithUser);
  const allTexts: string[] = [];
  let previousRole: string | undefined;
  let question: string | undefined;
  messages.forEach((message: unknown, index) => {
    if (!isRecord(message))
      throw validationError(`Malformed input request: messages.${index} must be an object`);
    const { role, content } = message;
    if (role !== 'user' && role !== 'assistant') {
      throw validationError(
        `1 validation error detected: Value '${String(role)}' at 'messages.${index + 1}.member.role' failed to satisfy constraint: Member must satisfy enum value set: [user, assistant]`,
      );
    }
    if (index === 0 && role !== 'user') throw validationError(startsWithUser);
    if (role === previousRole) {
      throw validationError(
        'A conversation must alternate between user and assistant roles. Make sure the conversation alternates between user and assistant roles and try again.',
      );
    }
    if (!Array.isArray(content) || content.length === 0) {
      throw validationError(
        `The content field in the Message object at messages.${index} is empty. Add a ContentBlock object to the content field and try again.`,
      );
    }
    const texts = textsOf(content);
    allTexts.push(...texts);
    if (role === 'user') question = texts.join('\n');
    previousRole = role;
  });
  if (Array.isArray(body.system)) allTexts.push(...textsOf(body.system));
  let maxTokens: number | undefined;
  const inferenceConfig = body.inferenceConfig;
  if (isRecord(inferenceConfig) && inferenceConfig.maxTokens !== undefined) {
    const value = inferenceConfig.maxTokens;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
      throw validationError(
        `1 validation error detected: Value '${String(value)}' at 'inferenceConfig.maxTokens' failed to satisfy constraint: Member must have value greater than or equal to 1`,
      );
    }
    maxTokens = value;
  }
  return { modelId, question: question ?? '', inputTokens: inputTokensOf(allTexts), maxTokens };
}

/** The in-stream exception for the behaviour's `failWith`, with fields the SDK error carries. */
function streamException(type: StreamExceptionType): { type: string; fields?: Record<string, unknown> } {
  if (type === 'modelStreamErrorException') {
    return { type, fields: { originalStatusCode: 500, originalMessage: 'local model failure' } };
  }
  return { type };
}

/** HTTP status and error type a non-streaming Converse answers `failWith` with. */
const CONVERSE_FAILURES: Record<StreamExceptionType, [number, string]> = {
  modelStreamErrorException: [424, 'ModelErrorException'],
  throttlingException: [429, 'ThrottlingException'],
  internalServerException: [500, 'InternalServerException'],
  validationException: [400, 'ValidationException'],
  serviceUnavailableException: [503, 'ServiceUnavailableException'],
};

function plan(context: OperationContext, request: ConverseRequest): AnswerPlan {
  return planAnswer(context.knowledgeBase, context.behaviour, {
    question: request.question,
    maxTokens: request.maxTokens,
  });
}

export async function converseStream(
  context: OperationContext,
  rawModelId: string,
  body: Record<string, unknown>,
): Promise<void> {
  const request = parseConverseRequest(rawModelId, body, context.knownModels);
  if (context.takeThrottle()) throw throttlingError();
  const answer = plan(context, request);
  await runEventStream(context, answer, {
    operation: 'ConverseStream',
    opening: [encodeEvent('messageStart', { role: 'assistant' })],
    delta: (text) => encodeEvent('contentBlockDelta', { contentBlockIndex: 0, delta: { text } }),
    exception: streamException,
    closing: (tokensSent) => [
      encodeEvent('contentBlockStop', { contentBlockIndex: 0 }),
      encodeEvent('messageStop', { stopReason: answer.stopReason }),
      encodeEvent('metadata', {
        usage: {
          inputTokens: request.inputTokens,
          outputTokens: tokensSent,
          totalTokens: request.inputTokens + tokensSent,
        },
        metrics: { latencyMs: Date.now() - context.startedAt },
      }),
    ],
    completed: () => ({ stopReason: answer.stopReason }),
  });
}

export async function converse(
  context: OperationContext,
  rawModelId: string,
  body: Record<string, unknown>,
): Promise<void> {
  const request = parseConverseRequest(rawModelId, body, context.knownModels);
  if (context.takeThrottle()) throw throttlingError();
  const answer = plan(context, request);
  const { response, behaviour } = context;
  // The whole answer is generated before anything is sent, at the same pace as a stream.
  const outcome = await emitAnswer({
    plan: answer,
    behaviour,
    signal: response.signal,
    startedAt: context.startedAt,
    emit: async () => {},
  });
  if (outcome.kind === 'aborted') {
    context.logger.info('client cancelled the request; generation stopped', {
      requestId: context.requestId,
      operation: 'Converse',
    });
    return;
  }
  if (outcome.kind === 'failed') {
    const [status, type] = CONVERSE_FAILURES[behaviour.failWith];
    throw new LocalAwsError(
      status,
      type,
      `The local model failed after ${outcome.tokensSent} tokens (failAfterTokens).`,
    );
  }
  context.stats.tokensSent += outcome.tokensSent;
  response.json({
    output: { message: { role: 'assistant', content: [{ text: answer.text }] } },
    stopReason: answer.stopReason,
    usage: {
      inputTokens: request.inputTokens,
      outputTokens: outcome.tokensSent,
      totalTokens: request.inputTokens + outcome.tokensSent,
    },
    metrics: { latencyMs: Date.now() - context.startedAt },
  });
}
