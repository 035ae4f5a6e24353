/**
 * Turns and frames: each message of the StreamingClient's socket becomes its events. text protocol:
 * every message is a `delta` with `turnId: ''`. json protocol: the message is parsed (a malformed
 * one is a `BAD_FRAME` error), frames of stale, cancelled or duplicate turns are dropped, `seq` gaps
 * emit `gap`, `status` frames become `status` events, and `error` frames become `SERVER_ERROR`
 * errors (with the frame's `retryable`).
 */
import { type DeltaFrame, FRAME_VERSION } from '../functions/protocol/frames';
import type { Protocol } from '../functions/protocol/websocket';
import type { ClientLogger, EmitClientEvent } from './client-types';
import { WebPluginError } from './errors';
import { parseJsonFrame, TurnTracker } from './frame-reader';

export class TurnFrames {
  private readonly turns = new TurnTracker();
  private textSeq = 0;

  constructor(
    private readonly protocol: Protocol,
    private readonly emit: EmitClientEvent,
    private readonly logger: ClientLogger,
  ) {}

  /** True while a json answer streams: a retired socket stays open until it ends. */
  answerInProgress(): boolean {
    return this.protocol === 'json' && this.turns.activeTurnId !== undefined;
  }

  /** Forgets the running turn (its later frames are dropped, except its `end`); returns its id. */
  cancelActive(): string | undefined {
    return this.turns.cancelActive();
  }

  /** One message of an open socket. */
  receive(text: string): void {
    if (this.protocol === 'text') {
      const frame: DeltaFrame = { v: FRAME_VERSION, type: 'delta', turnId: '', seq: this.textSeq++, text };
      this.emit('delta', frame);
      return;
    }
    const parsed = parseJsonFrame(text);
    if (!parsed.ok) {
      this.emit(
        'error',
        new WebPluginError('BAD_FRAME', `ignored a message that is not a frame: ${parsed.reason}`),
      );
      return;
    }
    const frame = parsed.frame;
    const verdict = this.turns.accept(frame);
    if (verdict.kind !== 'deliver') {
      this.logger.debug(`dropped a ${verdict.kind} frame`, {
        turnId: frame.turnId,
        seq: frame.seq,
        type: frame.type,
      });
      return;
    }
    if (verdict.gap) this.emit('gap', { turnId: frame.turnId, ...verdict.gap });
    switch (frame.type) {
      case 'start':
        this.emit('start', frame);
        break;
      case 'status':
        this.emit('status', frame);
        break;
      case 'delta':
        this.emit('delta', frame);
        break;
      case 'citation':
        this.emit('citation', frame);
        break;
      case 'end':
        this.emit('end', frame);
        break;
      case 'error':
        this.emit(
          'error',
          new WebPluginError('SERVER_ERROR', frame.message, {
            serverCode: frame.code,
            retryable: frame.retryable === true,
            ...(frame.turnId ? { turnId: frame.turnId } : {}),
          }),
        );
        break;
    }
  }
}
