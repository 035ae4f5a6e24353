/**
 * Bedrock Knowledge Bases `RetrieveAndGenerateStream` output as normalized events: generated text,
 * citations mapped to the frames.ts `Citation` (the cited answer part plus the retrieved passages
 * and their locations), and the guardrail action. Exceptions end the stream with a StreamingError.
 */
import {
  type BedrockAgentRuntimeClient,
  type Citation as KnowledgeBaseCitation,
  type RetrievalResultLocation,
  RetrieveAndGenerateStreamCommand,
  type RetrieveAndGenerateStreamCommandInput,
  type RetrieveAndGenerateStreamResponseOutput,
  type RetrievedReference,
} from '@aws-sdk/client-bedrock-agent-runtime';
import type { Citation, CitationSource } from '../../protocol/frames';
import { StreamingError, toModelError } from '../errors';
import type { StreamEvent, StreamSource } from './events';
import { type ModelRetryOptions, withModelRetry } from './model-retry';

export interface RetrieveAndGenerateStreamLike {
  stream?: AsyncIterable<RetrieveAndGenerateStreamResponseOutput> | undefined;
}

const EXCEPTION_MEMBERS = [
  ['accessDeniedException', 'AccessDeniedException', false],
  ['badGatewayException', 'BadGatewayException', true],
  ['conflictException', 'ConflictException', false],
  ['dependencyFailedException', 'DependencyFailedException', false],
  ['internalServerException', 'InternalServerException', false],
  ['resourceNotFoundException', 'ResourceNotFoundException', false],
  ['serviceQuotaExceededException', 'ServiceQuotaExceededException', false],
  ['throttlingException', 'ThrottlingException', true],
  ['validationException', 'ValidationException', false],
] as const;

/** The most useful address of a retrieved passage (S3 URI, web URL, Confluence page, …). */
export function locationUri(location: RetrievalResultLocation | undefined): string | undefined {
  if (!location) return undefined;
  return (
    location.s3Location?.uri ??
    location.webLocation?.url ??
    location.confluenceLocation?.url ??
    location.salesforceLocation?.url ??
    location.sharePointLocation?.url ??
    location.kendraDocumentLocation?.uri ??
    location.customDocumentLocation?.id
  );
}

function sourceFromReference(reference: RetrievedReference): CitationSource {
  const source: CitationSource = {};
  const uri = locationUri(reference.location);
  if (uri) {
    source.uri = uri;
    const title = decodeURIComponent(uri.split(/[/?#]/).filter(Boolean).pop() ?? '');
    if (title) source.title = title;
  }
  const excerpt = reference.content?.text?.trim();
  if (excerpt) source.excerpt = excerpt;
  return source;
}

export function citationFromKnowledgeBase(citation: KnowledgeBaseCitation): Citation {
  const mapped: Citation = { sources: (citation.retrievedReferences ?? []).map(sourceFromReference) };
  const text = citation.generatedResponsePart?.textResponsePart?.text;
  if (text) mapped.text = text;
  return mapped;
}

export async function* fromRetrieveAndGenerateStream(
  output: RetrieveAndGenerateStreamLike,
): AsyncGenerator<StreamEvent> {
  if (!output.stream) {
    throw new StreamingError('RetrieveAndGenerateStream returned no stream', { code: 'NoStream' });
  }
  let intervened = false;
  try {
    for await (const event of output.stream) {
      if (event.output) {
        if (event.output.text) yield { type: 'text', text: event.output.text };
      } else if (event.citation) {
        // The event carries the citation both nested and (newer API) flattened; prefer the nested one.
        const source: KnowledgeBaseCitation = event.citation.citation ?? {
          generatedResponsePart: event.citation.generatedResponsePart,
          retrievedReferences: event.citation.retrievedReferences,
        };
        const citation = citationFromKnowledgeBase(source);
        if (citation.sources.length > 0 || citation.text) yield { type: 'citations', citations: [citation] };
      } else if (event.guardrail) {
        const action = event.guardrail.action ?? 'NONE';
        if (action === 'INTERVENED') intervened = true;
        yield { type: 'guardrail', action };
      } else {
        for (const [member, code, retryable] of EXCEPTION_MEMBERS) {
          const exception = (event as unknown as Record<string, { message?: string } | undefined>)[member];
          if (exception) {
            throw new StreamingError(`knowledge base stream failed: ${exception.message ?? code}`, {
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
  yield { type: 'stop', stopReason: intervened ? 'guardrail_intervened' : 'end_turn' };
}

/** A retried Bedrock Knowledge Bases `RetrieveAndGenerateStream` call as a source. */
export function retrieveAndGenerateStreamSource(
  client: BedrockAgentRuntimeClient,
  input: RetrieveAndGenerateStreamCommandInput,
  retry: ModelRetryOptions = {},
): StreamSource {
  return withModelRetry(async function* retrieveAndGenerate(signal) {
    // Sent on every attempt: after a `retrying` status the retrieval runs again.
    yield { type: 'status', phase: 'retrieving' };
    const output = await client.send(new RetrieveAndGenerateStreamCommand(input), { abortSignal: signal });
    yield* fromRetrieveAndGenerateStream(output);
  }, retry);
}
