/**
 * What an operation handler of the local Bedrock doubles gets: the request (already authenticated
 * and parsed), the behaviour snapshot taken when it arrived, and a transport-neutral response
 * (HTTP/2 stream or HTTP/1.1 chunked) that honours flow control and reports client aborts.
 */
import type { Logger } from '../../../functions/shared/logger';
import type { KnowledgeBase } from '../knowledge-base/knowledge-base';
import type { LocalBedrockBehaviour } from './behaviour';

export interface LocalBedrockStats {
  /** Requests received (any path, any outcome). */
  requests: number;
  /** Requests refused with 429 by `throttleRequests`. */
  throttled: number;
  streamsStarted: number;
  streamsCompleted: number;
  /** Streams ended with an in-stream exception (`failAfterTokens`). */
  streamsFailed: number;
  /** Streams the client cancelled or disconnected from before the end. */
  streamsAborted: number;
  /** Streams currently generating. */
  activeStreams: number;
  /** Output tokens written to clients, over all requests. */
  tokensSent: number;
}

export function emptyStats(): LocalBedrockStats {
  return {
    requests: 0,
    throttled: 0,
    streamsStarted: 0,
    streamsCompleted: 0,
    streamsFailed: 0,
    streamsAborted: 0,
    activeStreams: 0,
    tokensSent: 0,
  };
}

export interface StreamingResponse {
  /** Sends the 200 status line and headers (event-stream content type added by the caller). */
  open(headers: Record<string, string>): void;
  /** Writes bytes; resolves once the transport can take more, or the client has gone. */
  send(bytes: Uint8Array): Promise<void>;
  end(): void;
  /** A JSON 200 answer (non-streaming operations). */
  json(body: unknown, headers?: Record<string, string>): void;
  /** Aborted when the client cancels the stream or the connection closes before `end()`. */
  readonly signal: AbortSignal;
}

export interface OperationContext {
  requestId: string;
  /** Epoch ms the request arrived. */
  startedAt: number;
  behaviour: LocalBedrockBehaviour;
  knowledgeBase: KnowledgeBase;
  knownModels: ReadonlySet<string>;
  stats: LocalBedrockStats;
  logger: Logger;
  response: StreamingResponse;
  /** Consumes one throttled request if any are left; true when this request is to be refused. */
  takeThrottle(): boolean;
}
