/**
 * Posts one connection's share of an answer, in order, without ever making the model reader wait.
 *
 * `enqueue` only appends to a queue; a single worker per connection posts it (so order holds per
 * connection, while connections proceed independently). When posts are slower than the model, the
 * text waiting in the queue is merged into one frame at send time, so lag does not grow with the
 * answer's length. Outcomes per `@connections` reply:
 * - 410 GoneException: the socket is gone — the item is deleted (`onGone`) and posting stops.
 * - 429 LimitExceededException / throttling: back off (jittered, exponential) and retry.
 * - 403 Forbidden / 413 PayloadTooLarge: retrying cannot help — posting stops.
 * - anything else (5xx, network): a few retries, then posting to this connection stops.
 * Stopping only affects the live view: the answer itself always returns through Lex.
 */
import {
  type ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { MAX_FRAME_BYTES, type Protocol } from '../../protocol/websocket';
import type { Logger } from '../../shared/logger';
import { type BackoffOptions, backoffDelay, sleep } from './backoff';
import { ConnectionEncoder, type OutboundItem } from './frame-encoder';

export interface PosterRetryOptions extends BackoffOptions {
  /** Retries of one message after 429s. @default 8 */
  throttleRetries?: number;
  /** Retries of one message after other failures. @default 2 */
  failureRetries?: number;
}

export interface ConnectionPosterOptions {
  client: ApiGatewayManagementApiClient;
  sessionId: string;
  connectionId: string;
  protocol: Protocol;
  turnId: string;
  /** Called once when the connection turns out to be gone (410). */
  onGone?: (connectionId: string) => Promise<void> | void;
  retry?: PosterRetryOptions;
  logger?: Logger;
  /** @default MAX_FRAME_BYTES */
  maxFrameBytes?: number;
}

export type PosterState = 'open' | 'gone' | 'failed' | 'closed';

export interface PosterStats {
  /** PostToConnection calls, retries included. */
  posts: number;
  /** Messages delivered. */
  delivered: number;
  throttled: number;
  failures: number;
}

const THROTTLE_NAMES = new Set<string | undefined>([
  'LimitExceededException',
  'TooManyRequestsException',
  'ThrottlingException',
]);
const FATAL_NAMES = new Set<string | undefined>(['ForbiddenException', 'PayloadTooLargeException']);

type PostOutcome = 'ok' | 'gone' | 'throttled' | 'fatal' | 'failed' | 'aborted';

/** What a failed post means, by error name or else status code (an abort by `stop` is told apart before). */
function classify(error: unknown): PostOutcome {
  const name = (error as { name?: string }).name;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  if (name === 'GoneException' || status === 410) return 'gone';
  if (THROTTLE_NAMES.has(name) || status === 429) return 'throttled';
  if (FATAL_NAMES.has(name) || status === 403 || status === 413) return 'fatal';
  return 'failed';
}

export class ConnectionPoster {
  readonly connectionId: string;
  readonly protocol: Protocol;
  readonly stats: PosterStats = { posts: 0, delivered: 0, throttled: 0, failures: 0 };
  private stateValue: PosterState = 'open';
  private readonly queue: OutboundItem[] = [];
  private readonly encoder: ConnectionEncoder;
  private readonly abortController = new AbortController();
  private readonly encode = new TextEncoder();
  private worker: Promise<void> = Promise.resolve();
  private running = false;
  private readonly maxMergeBytes: number;

  constructor(private readonly options: ConnectionPosterOptions) {
    this.connectionId = options.connectionId;
    this.protocol = options.protocol;
    const maxFrameBytes = options.maxFrameBytes ?? MAX_FRAME_BYTES;
    this.encoder = new ConnectionEncoder(options.protocol, options.turnId, maxFrameBytes);
    // Merge queued text up to about one frame; the encoder splits anything longer.
    this.maxMergeBytes = Math.floor(maxFrameBytes / 2);
  }

  get state(): PosterState {
    return this.stateValue;
  }

  /** Frames of the turn this connection was sent (its next `seq`). */
  get framesEncoded(): number {
    return this.encoder.nextSeq;
  }

  /** Queues an item; never waits for the network. Ignored once the poster has stopped. */
  enqueue(item: OutboundItem): void {
    if (this.stateValue !== 'open') return;
    this.queue.push(item);
    if (!this.running) {
      this.running = true;
      this.worker = this.run();
    }
  }

  /** Resolves when everything queued so far has been posted (or posting stopped). */
  async idle(): Promise<void> {
    while (this.running) await this.worker;
  }

  /** Stops posting at once: the queue is dropped and an in-flight post is aborted. */
  stop(state: Exclude<PosterState, 'open'> = 'closed'): void {
    if (this.stateValue === 'open') this.stateValue = state;
    this.queue.length = 0;
    this.abortController.abort();
  }

  private takeBatch(): OutboundItem | undefined {
    const head = this.queue.shift();
    if (head?.kind !== 'text') return head;
    let text = head.text;
    let size = Buffer.byteLength(text, 'utf8');
    while (this.queue[0]?.kind === 'text' && size < this.maxMergeBytes) {
      const next = this.queue.shift() as { kind: 'text'; text: string };
      text += next.text;
      size += Buffer.byteLength(next.text, 'utf8');
    }
    return { kind: 'text', text };
  }

  private async run(): Promise<void> {
    try {
      for (let item = this.takeBatch(); item && this.stateValue === 'open'; item = this.takeBatch()) {
        for (const message of this.encoder.encode(item)) {
          if (!(await this.post(message))) return;
        }
      }
    } catch (error) {
      this.fail(error, 'unexpected poster failure');
    } finally {
      // Cleared in the same tick the queue was found empty, so a later enqueue starts a new run.
      this.running = false;
    }
  }

  /** Posts one message with the retry policy; false when posting to this connection has stopped. */
  private async post(message: string): Promise<boolean> {
    const retry = this.options.retry ?? {};
    const throttleRetries = retry.throttleRetries ?? 8;
    const failureRetries = retry.failureRetries ?? 2;
    const backoff: BackoffOptions = { baseDelayMs: 50, maxDelayMs: 1000, ...retry };
    const data = this.encode.encode(message);
    let throttled = 0;
    let failed = 0;
    for (;;) {
      if (this.stateValue !== 'open') return false;
      this.stats.posts++;
      let outcome: PostOutcome;
      let failure: unknown;
      try {
        await this.options.client.send(
          new PostToConnectionCommand({ ConnectionId: this.connectionId, Data: data }),
          { abortSignal: this.abortController.signal },
        );
        outcome = 'ok';
      } catch (error) {
        outcome = this.abortController.signal.aborted ? 'aborted' : classify(error);
        failure = error;
      }
      switch (outcome) {
        case 'ok':
          this.stats.delivered++;
          return true;
        case 'aborted':
          return false;
        case 'gone':
          this.stateValue = 'gone';
          this.queue.length = 0;
          this.options.logger?.info('connection gone; forgetting it', { connectionId: this.connectionId });
          try {
            await this.options.onGone?.(this.connectionId);
          } catch (error) {
            this.options.logger?.warn('could not delete gone connection', {
              connectionId: this.connectionId,
              error,
            });
          }
          return false;
        case 'throttled':
          this.stats.throttled++;
          if (throttled >= throttleRetries) return this.fail(failure, 'throttled too often');
          await sleep(backoffDelay(throttled++, backoff), this.abortController.signal);
          break;
        case 'fatal':
          return this.fail(failure, 'post refused');
        case 'failed':
          this.stats.failures++;
          if (failed >= failureRetries) return this.fail(failure, 'post kept failing');
          await sleep(backoffDelay(failed++, backoff), this.abortController.signal);
          break;
      }
    }
  }

  private fail(error: unknown, reason: string): false {
    this.stateValue = 'failed';
    this.queue.length = 0;
    this.options.logger?.warn(
      `${reason}; streaming to this connection stops (the answer still returns via Lex)`,
      {
        connectionId: this.connectionId,
        error,
      },
    );
    return false;
  }
}
