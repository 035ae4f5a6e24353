/**
 * The streaming publisher library: what hook and fulfillment authors import.
 *
 * - `sources/`: model output as one normalized event stream (Bedrock ConverseStream and
 *   RetrieveAndGenerateStream, callbacks, any async iterable) and the throttling retry;
 * - `pipeline/`: one answer to every tab of a session (publisher, coalescer, encoder, poster,
 *   session watcher) and its metrics;
 * - `integrations/`: the Lex V2 and QnABot event shapes, the client's session attributes, and the
 *   whole request of the two example Lambdas;
 * - `runtime.ts`: the clients a publishing Lambda creates once per container.
 */

export { askingAgainHelps, StreamingError } from './errors';
export type { ModelSettings, SourceFactory } from './integrations/answer-flows';
export {
  answerLexV2Fulfillment,
  answerQnabotHook,
  bedrockConverseSource,
  resolveModelSettings,
} from './integrations/answer-flows';
export type { LexV2Request } from './integrations/lex-v2';
export {
  APP_CONTEXT_ATTRIBUTE,
  EMPTY_ANSWER_MESSAGE,
  type LexV2CloseOptions,
  lexV2CloseResponse,
  readLexV2Event,
} from './integrations/lex-v2';
export type { QnabotHookEvent, QnabotHookRequest } from './integrations/qnabot';
export { applyAnswerToQnabotEvent, readQnabotHookEvent } from './integrations/qnabot';
export {
  checkStreamingAttributes,
  LEX_WEB_UI_ATTRIBUTES,
  qnabotStreamingTarget,
} from './integrations/session-attributes';
export { errorNote, STOPPED_NOTE } from './pipeline/answer-notes';
export type { AnswerStats } from './pipeline/answer-stats';
export type { CoalescerOptions } from './pipeline/coalescer';
export { Coalescer } from './pipeline/coalescer';
export type { ConnectionPosterOptions, PosterRetryOptions, PosterStats } from './pipeline/connection-poster';
export { ConnectionPoster } from './pipeline/connection-poster';
export type { OutboundItem } from './pipeline/frame-encoder';
export { ConnectionEncoder } from './pipeline/frame-encoder';
export { emitMetrics, metricsLine } from './pipeline/metrics';
export type { PublishAnswerOptions, StreamCallbacks, StreamResult } from './pipeline/publisher';
export { publishAnswer, publishAnswerWithCallbacks } from './pipeline/publisher';
export { splitText } from './pipeline/text-split';
export type { PublisherRuntime, PublisherTable, RuntimePublishOptions } from './runtime';
export {
  createPublisherRuntime,
  getPublisherRuntime,
  NO_SESSIONS,
  publishOptionsOf,
  runtimeForQnabotHook,
} from './runtime';
export { converseInputForQuestion, converseStreamSource, fromConverseStream } from './sources/converse';
export type { StreamEvent, StreamSource } from './sources/events';
export type {
  LangChainChunkLike,
  LangChainStreamItem,
  LangChainStreamOpener,
} from './sources/langchain';
export { fromLangChainStream, langChainStreamSource } from './sources/langchain';
export type { ModelRetryOptions } from './sources/model-retry';
export { withModelRetry } from './sources/model-retry';
export type { PushSource } from './sources/push';
export { createPushSource } from './sources/push';
export {
  fromRetrieveAndGenerateStream,
  retrieveAndGenerateStreamSource,
} from './sources/retrieve-and-generate';
export { fromTextIterable } from './sources/text-iterable';
