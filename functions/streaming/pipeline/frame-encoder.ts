/**
 * What one connection receives, encoded for its protocol:
 * - `text`: only answer text, as raw UTF-8 messages (what Lex Web UI shows); start/status/citation/
 *   error have no place in that protocol (every message there is shown as answer) and produce no message, and `end` produces END_OF_TEXT_MARKER
 *   after a turn that sent text (why: text-protocol.ts).
 * - `json`: frames.ts objects with the turn's `turnId` and a `seq` counting this connection's frames
 *   of the turn from 0 without gaps (split pieces each get their own seq).
 * Every message is at most `maxBytes` UTF-8 bytes (API Gateway's 32 KB frame limit): long text is
 * split (see text-split.ts), citations are spread over several frames and over-long excerpts cut.
 */

import {
  type Citation,
  FRAME_VERSION,
  type Frame,
  type StatusPhase,
  type Usage,
} from '../../protocol/frames';
import { MAX_FRAME_BYTES, type Protocol } from '../../protocol/websocket';
import { END_OF_TEXT_MARKER } from './text-protocol';
import { jsonStringCost, splitText, utf8Cost } from './text-split';

export type OutboundItem =
  | { kind: 'start' }
  | { kind: 'status'; phase: StatusPhase; message: string; retryInMs?: number }
  | { kind: 'text'; text: string }
  | { kind: 'citations'; citations: Citation[] }
  | { kind: 'end'; stopReason: string; usage?: Usage; ttftMs?: number; totalMs: number }
  /** `retryable`: whether asking again can help (the frame says false when unset). */
  | { kind: 'error'; code: string; message: string; retryable?: boolean };

/** Largest `seq` we reserve room for when sizing a frame (10 digits). */
const SEQ_PLACEHOLDER = 9_999_999_999;

function bytes(text: string): number {
  return Buffer.byteLength(text); // UTF-8
}

export class ConnectionEncoder {
  private seq = 0;
  private textSent = false;

  constructor(
    readonly protocol: Protocol,
    readonly turnId: string,
    private readonly maxBytes: number = MAX_FRAME_BYTES,
  ) {}

  /** Frames encoded so far (the next frame's `seq`). */
  get nextSeq(): number {
    return this.seq;
  }

  encode(item: OutboundItem): string[] {
    if (this.protocol === 'text') {
      if (item.kind === 'text') {
        const pieces = splitText(item.text, this.maxBytes, utf8Cost);
        if (pieces.length > 0) this.textSent = true;
        return pieces;
      }
      return item.kind === 'end' && this.textSent ? [END_OF_TEXT_MARKER] : [];
    }
    switch (item.kind) {
      case 'start':
        return [this.frame({ type: 'start' })];
      case 'status': {
        // phase, message and retryInMs when set; the message is a short sentence of ours, but cut
        // like an error's so a caller's long one still fits a frame
        const { kind: _, message: full, ...fields } = item;
        const room = this.maxBytes - this.envelopeBytes({ type: 'status', ...fields, message: '' });
        const message = splitText(full, Math.max(6, room), jsonStringCost)[0] ?? '';
        return [this.frame({ type: 'status', ...fields, message })];
      }
      case 'text':
        return this.deltas(item.text);
      case 'citations':
        return this.citationFrames(item.citations);
      case 'end': {
        // stopReason, usage and ttftMs when known, totalMs (an absent field is left out by JSON)
        const { kind: _, ...fields } = item;
        return [this.frame({ type: 'end', ...fields })];
      }
      case 'error': {
        const { code } = item;
        const retryable = item.retryable ?? false;
        const room = this.maxBytes - this.envelopeBytes({ type: 'error', code, message: '', retryable });
        const message = splitText(item.message, Math.max(6, room), jsonStringCost)[0] ?? '';
        return [this.frame({ type: 'error', code, message, retryable })];
      }
    }
  }

  private frame(body: Record<string, unknown>): string {
    const frame = { v: FRAME_VERSION, type: body.type, turnId: this.turnId, seq: this.seq, ...body };
    this.seq++;
    return JSON.stringify(frame as Frame);
  }

  /** Bytes of a frame with `body` and the largest seq, to size the variable part against. */
  private envelopeBytes(body: Record<string, unknown>): number {
    return bytes(
      JSON.stringify({
        v: FRAME_VERSION,
        type: body.type,
        turnId: this.turnId,
        seq: SEQ_PLACEHOLDER,
        ...body,
      }),
    );
  }

  private deltas(text: string): string[] {
    const room = this.maxBytes - this.envelopeBytes({ type: 'delta', text: '' });
    return splitText(text, room, jsonStringCost).map((piece) => this.frame({ type: 'delta', text: piece }));
  }

  private citationFrames(citations: Citation[]): string[] {
    const empty = this.envelopeBytes({ type: 'citation', citations: [] });
    const room = this.maxBytes - empty;
    const messages: string[] = [];
    let batch: Citation[] = [];
    let batchBytes = 0;
    for (const original of citations) {
      const citation = fitCitation(original, room);
      const size = bytes(JSON.stringify(citation)) + 1; // + the comma between array items
      // fitCitation made each citation fit a frame alone, so a full batch is never empty
      if (batchBytes + size > room) {
        messages.push(this.frame({ type: 'citation', citations: batch }));
        batch = [];
        batchBytes = 0;
      }
      batch.push(citation);
      batchBytes += size;
    }
    if (batch.length > 0) messages.push(this.frame({ type: 'citation', citations: batch }));
    return messages;
  }
}

/** A citation whose JSON fits `room` bytes: long excerpts/text are shortened, then sources dropped. */
export function fitCitation(citation: Citation, room: number): Citation {
  const size = (value: Citation) => bytes(JSON.stringify(value)) + 1;
  if (size(citation) <= room) return citation;
  let fitted: Citation = structuredClone(citation);
  for (let limit = 4096; limit >= 64 && size(fitted) > room; limit = Math.floor(limit / 2)) {
    const cut = (text: string | undefined) =>
      text !== undefined && bytes(text) > limit ? `${splitText(text, limit - 3, utf8Cost)[0] ?? ''}…` : text;
    fitted = {
      ...(fitted.text !== undefined ? { text: cut(fitted.text) } : {}),
      sources: fitted.sources.map((source) => {
        const next = { ...source };
        if (next.excerpt !== undefined) next.excerpt = cut(next.excerpt);
        if (next.title !== undefined) next.title = cut(next.title);
        return next;
      }),
    };
  }
  while (size(fitted) > room && fitted.sources.length > 0) {
    fitted = { ...fitted, sources: fitted.sources.slice(0, -1) };
  }
  if (size(fitted) > room) fitted = { sources: [] };
  return fitted;
}
