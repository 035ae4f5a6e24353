/** The streaming publisher library: what hook and fulfillment authors import. */

export type { ModelSettings, SourceFactory } from './answer-flows';
export {
  answerLexV2Fulfillment,
  answerQnabotHook,
  bedrockConverseSource,
  resolveModelSettings,
} from './answer-flows';
export { errorNote, STOPPED_NOTE } from './answer-notes';
export type { CoalescerOptions } from './coalescer';
export { Coalescer } from './coalescer';
export type { ConnectionPosterOptions, PosterRetryOptions, PosterStats } from './connection-poster';
export { ConnectionPoster } from './connection-poster';
export { fromConverseStream } from './converse-source';
export { StreamingError } from './errors';
export type { StreamEvent, StreamSource } from './events';
export type { OutboundItem } from './frame-encoder';
export { ConnectionEncoder } from './frame-encoder';
export type { LexV2Request } from './lex-fulfillment';
export { EMPTY_ANSWER_MESSAGE, lexV2CloseResponse, readLexV2Event } from './lex-fulfillment';
export { emitMetrics, metricsLine } from './metrics';
export type { ModelRetryOptions } from './model-call';
export {
  converseInputForQuestion,
  converseStreamSource,
  retrieveAndGenerateStreamSource,
  withModelRetry,
} from './model-call';
export type { PublishAnswerOptions, StreamCallbacks, StreamResult } from './publisher';
export { publishAnswer, publishAnswerWithCallbacks } from './publisher';
export type { PushSource } from './push-source';
export { createPushSource } from './push-source';
export type { QnabotHookEvent, QnabotHookRequest } from './qnabot-hook';
export { applyAnswerToQnabotEvent, readQnabotHookEvent } from './qnabot-hook';
export { fromRetrieveAndGenerateStream } from './retrieve-and-generate-source';
export type { PublisherRuntime, PublisherTable, RuntimePublishOptions } from './runtime';
export {
  createPublisherRuntime,
  getPublisherRuntime,
  NO_SESSIONS,
  publishOptionsOf,
  runtimeForQnabotHook,
} from './runtime';
export { checkStreamingAttributes, LEX_WEB_UI_ATTRIBUTES, qnabotStreamingTarget } from './session-attributes';
export { fromTextIterable } from './text-source';
export { splitText } from './text-split';
