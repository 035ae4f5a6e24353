/**
 * `RetrieveAndGenerateStream` of the local Bedrock agent runtime: retrieval over the bundled
 * knowledge base, the answer as `output` events, then a `citation` event that cites the matched
 * entries as `s3://local-knowledge-base/<slug>.md`, a `guardrail` event when the request names a
 * guardrail, and the session id in the `x-amzn-bedrock-knowledge-base-session-id` header.
 */
import { randomUUID } from 'node:crypto';
import { isRecord } from '../http';
import type { KnowledgeBaseMatch } from '../knowledge-base/knowledge-base';
import type { StreamExceptionType } from './behaviour';
import { throttlingError, unknownModelError, validationError } from './converse';
import { encodeEvent } from './event-stream';
import { inputTokensOf, planAnswer } from './generation';
import { resolveModelId } from './models';
import type { OperationContext } from './operation-context';
import { runEventStream } from './stream-lifecycle';

export const SESSION_ID_HEADER = 'x-amzn-bedrock-knowledge-base-session-id';
const KNOWLEDGE_BASE_ID = /^[0-9a-zA-Z]{10}$/;
const SESSION_ID = /^[0-9a-zA-Z._:-]+$/;

export interface RetrieveAndGenerateRequest {
  question: string;
  knowledgeBaseId: string;
  modelId: string;
  sessionId?: string;
  maxTokens?: number;
  /** Number of passages to retrieve (`vectorSearchConfiguration.numberOfResults`). */
  numberOfResults: number;
  hasGuardrail: boolean;
}

/** The agent runtime's stream has no model-stream / service-unavailable members. */
const AGENT_EXCEPTION_TYPES: Record<StreamExceptionType, string> = {
  modelStreamErrorException: 'dependencyFailedException',
  throttlingException: 'throttlingException',
  internalServerException: 'internalServerException',
  validationException: 'validationException',
  serviceUnavailableException: 'badGatewayException',
};

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

export function parseRetrieveAndGenerateRequest(
  body: Record<string, unknown>,
  knownModels: ReadonlySet<string>,
): RetrieveAndGenerateRequest {
  const text = record(body.input).text;
  if (typeof text !== 'string' || text.length === 0) {
    throw validationError(
      "1 validation error detected: Value null at 'input.text' failed to satisfy constraint: Member must not be null",
    );
  }
  const configuration = record(body.retrieveAndGenerateConfiguration);
  if (configuration.type !== 'KNOWLEDGE_BASE') {
    throw validationError(
      configuration.type === 'EXTERNAL_SOURCES'
        ? 'The local agent runtime only serves KNOWLEDGE_BASE configurations.'
        : `1 validation error detected: Value '${String(configuration.type)}' at 'retrieveAndGenerateConfiguration.type' failed to satisfy constraint: Member must satisfy enum value set: [KNOWLEDGE_BASE, EXTERNAL_SOURCES]`,
    );
  }
  const knowledgeBase = record(configuration.knowledgeBaseConfiguration);
  const { knowledgeBaseId, modelArn } = knowledgeBase;
  if (typeof knowledgeBaseId !== 'string' || !KNOWLEDGE_BASE_ID.test(knowledgeBaseId)) {
    throw validationError(
      `1 validation error detected: Value '${String(knowledgeBaseId)}' at 'retrieveAndGenerateConfiguration.knowledgeBaseConfiguration.knowledgeBaseId' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9a-zA-Z]{10}`,
    );
  }
  const modelId = typeof modelArn === 'string' ? resolveModelId(modelArn, knownModels) : undefined;
  if (!modelId) throw unknownModelError();
  const { sessionId } = body;
  if (sessionId !== undefined && (typeof sessionId !== 'string' || !SESSION_ID.test(sessionId))) {
    throw validationError(`Session with Id ${String(sessionId)} is not valid. Please check and try again.`);
  }
  const generation = record(knowledgeBase.generationConfiguration);
  const maxTokens = record(record(generation.inferenceConfig).textInferenceConfig).maxTokens;
  const vector = record(record(knowledgeBase.retrievalConfiguration).vectorSearchConfiguration);
  const numberOfResults = typeof vector.numberOfResults === 'number' ? vector.numberOfResults : 5;
  return {
    question: text,
    knowledgeBaseId,
    modelId,
    sessionId,
    maxTokens: typeof maxTokens === 'number' && maxTokens >= 1 ? maxTokens : undefined,
    numberOfResults: Math.max(1, Math.min(100, Math.floor(numberOfResults))),
    hasGuardrail: isRecord(generation.guardrailConfiguration),
  };
}

function retrievedReference(match: KnowledgeBaseMatch): Record<string, unknown> {
  return {
    content: { type: 'TEXT', text: match.entry.answer },
    location: { type: 'S3', s3Location: { uri: match.uri } },
    metadata: {
      'x-amz-bedrock-kb-source-uri': match.uri,
      'x-amz-bedrock-kb-chunk-id': match.entry.slug,
      title: match.entry.title,
      score: Number(match.score.toFixed(3)),
    },
  };
}

/** The citation event for `text` (the generated answer) backed by `matches`. */
export function citationEvent(text: string, matches: readonly KnowledgeBaseMatch[]): Record<string, unknown> {
  // `span.end` is the index of the last cited character (inclusive).
  const generatedResponsePart = {
    textResponsePart: { text, span: { start: 0, end: Math.max(0, text.length - 1) } },
  };
  const retrievedReferences = matches.map(retrievedReference);
  // The service sends the deprecated `citation` member alongside the flattened members.
  return {
    citation: { generatedResponsePart, retrievedReferences },
    generatedResponsePart,
    retrievedReferences,
  };
}

export async function retrieveAndGenerateStream(
  context: OperationContext,
  body: Record<string, unknown>,
): Promise<void> {
  const request = parseRetrieveAndGenerateRequest(body, context.knownModels);
  if (context.takeThrottle()) throw throttlingError();
  const answer = planAnswer(context.knowledgeBase, context.behaviour, {
    question: request.question,
    maxTokens: request.maxTokens,
  });
  const matches = answer.matches.slice(0, request.numberOfResults);
  const sessionId = request.sessionId ?? randomUUID();
  await runEventStream(context, answer, {
    operation: 'RetrieveAndGenerateStream',
    headers: { [SESSION_ID_HEADER]: sessionId },
    delta: (text) => encodeEvent('output', { text }),
    exception: (failWith) => ({ type: AGENT_EXCEPTION_TYPES[failWith] }),
    closing: () => [
      ...(matches.length > 0 ? [encodeEvent('citation', citationEvent(answer.text, matches))] : []),
      ...(request.hasGuardrail ? [encodeEvent('guardrail', { action: 'NONE' })] : []),
    ],
    completed: () => ({ inputTokens: inputTokensOf([request.question]), citations: matches.length }),
  });
}
