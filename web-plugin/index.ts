/** Public API of the browser plugin (ES module `qna-streaming.mjs`, global `QnaStreaming`). */
export {
  type ClientCredentials,
  type ClientLogger,
  type ClientState,
  type ClientTimers,
  type CloseEvent,
  CONNECTION_REFUSED_MESSAGE,
  type CredentialsProvider,
  type GapEvent,
  type OpenEvent,
  StreamingClient,
  type StreamingClientEvents,
  type StreamingClientOptions,
  type WebSocketConstructor,
  type WebSocketEventLike,
  type WebSocketLike,
} from './client';
export type { ProviderCredentials } from './client-types';
export { type Listener, TypedEmitter } from './emitter';
export { WebPluginError, type WebPluginErrorCode } from './errors';
export { parseJsonFrame, rawAnswerText, TurnTracker, type TurnVerdict } from './frame-reader';
export {
  answerText,
  LEX_SIGNING_SERVICE,
  type LexFetch,
  type LexMessage,
  LexRuntimeError,
  type LexSessionState,
  lexRuntimeEndpoint,
  type RecognizeTextOptions,
  type RecognizeTextResult,
  recognizeText,
} from './lex-runtime';
export {
  attachToLexWebUi,
  attachToLexWebUiPage,
  type FindLexWebUiStoreOptions,
  findLexWebUiStore,
  isStreamingAllowed,
  type LexWebUiAdapter,
  type LexWebUiAdapterOptions,
  type LexWebUiMutation,
  type LexWebUiPageOptions,
  type LexWebUiState,
  type LexWebUiStore,
  STREAMING_SESSION_ATTRIBUTES,
} from './lex-web-ui';
export { markdownToHtml, parseMarkdown, renderMarkdown, safeHref } from './markdown';
export {
  DEFAULT_PRESIGN_EXPIRES_SECONDS,
  EXECUTE_API_SERVICE,
  parseStreamingEndpoint,
  presignUrl,
  presignWebSocketUrl,
  regionFromHost,
  type SigningCredentials,
} from './signer';
export {
  type ChatWidget,
  type ChatWidgetLabels,
  type ChatWidgetOptions,
  createChatWidget,
  DEFAULT_LABELS,
} from './widget';
