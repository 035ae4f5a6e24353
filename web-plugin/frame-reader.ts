/**
 * Reading json-protocol frames: parsing with validation, and per-turn bookkeeping so the client
 * drops frames of an old or cancelled turn, drops duplicates (two sockets overlap while the
 * connection is renewed) and reports gaps in `seq` (lost frames).
 */
import { FRAME_VERSION, type Frame, STATUS_PHASES } from '../functions/protocol/frames';

export type ParseResult = { ok: true; frame: Frame } | { ok: false; reason: string };

const FRAME_TYPES = new Set(['start', 'status', 'delta', 'citation', 'end', 'error']);
const PHASES = new Set<string>(STATUS_PHASES);

/**
 * Why a `status` or `error` frame is malformed, or undefined. An error frame without `retryable`
 * (an older server) is valid and read as `retryable: false`.
 */
function turnFrameProblem(frame: Record<string, unknown>): string | undefined {
  if (frame.type === 'status') {
    if (!PHASES.has(frame.phase as string)) return `status with unknown phase ${String(frame.phase)}`;
    if (typeof frame.message !== 'string') return 'status without message';
    const wait = frame.retryInMs;
    if (wait !== undefined && !(typeof wait === 'number' && Number.isFinite(wait) && wait >= 0)) {
      return 'status with a retryInMs that is not a duration';
    }
  }
  if (frame.type === 'error') {
    if (typeof frame.code !== 'string' || typeof frame.message !== 'string')
      return 'error without code/message';
    if (frame.retryable !== undefined && typeof frame.retryable !== 'boolean') {
      return 'error with a retryable that is not true or false';
    }
  }
  return undefined;
}

/** Parses one WebSocket message of the json protocol. */
export function parseJsonFrame(data: string): ParseResult {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { ok: false, reason: `not JSON: ${data.slice(0, 80)}` };
  }
  if (typeof value !== 'object' || value === null) return { ok: false, reason: 'not an object' };
  const frame = value as Record<string, unknown>;
  if (frame.v !== FRAME_VERSION) return { ok: false, reason: `unsupported frame version ${String(frame.v)}` };
  // Set.has is false for a value that is not a string, so no separate typeof check.
  if (!FRAME_TYPES.has(frame.type as string)) {
    return { ok: false, reason: `unknown frame type ${String(frame.type)}` };
  }
  if (typeof frame.turnId !== 'string') return { ok: false, reason: 'turnId missing' };
  // Number.isInteger is false for a value that is not a number.
  if (!Number.isInteger(frame.seq) || (frame.seq as number) < 0) {
    return { ok: false, reason: 'seq missing' };
  }
  if (frame.type === 'delta' && typeof frame.text !== 'string')
    return { ok: false, reason: 'delta without text' };
  if (frame.type === 'citation' && !Array.isArray(frame.citations)) {
    return { ok: false, reason: 'citation without citations' };
  }
  const problem = turnFrameProblem(frame);
  if (problem) return { ok: false, reason: problem };
  if (frame.type === 'error' && frame.retryable === undefined) frame.retryable = false;
  return { ok: true, frame: value as Frame };
}

export type TurnVerdict =
  /** Deliver; `gap` is set when frames before this one never arrived. */
  | { kind: 'deliver'; gap?: { expected: number; received: number } }
  /** Frame of a turn that ended, was replaced by a newer turn, or was cancelled. */
  | { kind: 'stale' }
  /** A `seq` already delivered (the same frame over a second socket). */
  | { kind: 'duplicate' };

/** How many finished turn ids are remembered (older ones are forgotten). */
const REMEMBERED_TURNS = 64;

export class TurnTracker {
  private current: { turnId: string; nextSeq: number } | undefined;
  private readonly finished = new Set<string>();
  private readonly cancelled = new Set<string>();

  /** Turn currently streaming, if any. */
  get activeTurnId(): string | undefined {
    return this.current?.turnId;
  }

  accept(frame: Frame): TurnVerdict {
    // Frames outside any turn (an error answering an unknown action) are always delivered.
    if (frame.turnId === '') return { kind: 'deliver' };
    if (this.finished.has(frame.turnId)) {
      // The `end` of a turn the user cancelled still tells the page that the turn stopped.
      if (frame.type === 'end' && this.cancelled.delete(frame.turnId)) return { kind: 'deliver' };
      return { kind: 'stale' };
    }
    if (this.current?.turnId !== frame.turnId) {
      if (this.current) this.finish(this.current.turnId);
      this.current = { turnId: frame.turnId, nextSeq: 0 };
    }
    const turn = this.current;
    if (frame.seq < turn.nextSeq) return { kind: 'duplicate' };
    const verdict: TurnVerdict =
      frame.seq > turn.nextSeq
        ? { kind: 'deliver', gap: { expected: turn.nextSeq, received: frame.seq } }
        : { kind: 'deliver' };
    turn.nextSeq = frame.seq + 1;
    if (frame.type === 'end') {
      this.finish(turn.turnId);
      this.current = undefined;
    }
    return verdict;
  }

  /** Marks the active turn cancelled: its later frames are dropped, except its `end`. */
  cancelActive(): string | undefined {
    const turnId = this.current?.turnId;
    if (turnId === undefined) return undefined;
    this.finish(turnId);
    this.cancelled.add(turnId);
    this.current = undefined;
    return turnId;
  }

  private finish(turnId: string): void {
    this.finished.add(turnId);
    if (this.finished.size > REMEMBERED_TURNS) {
      // A Set iterates in insertion order: the first is the oldest.
      const [oldest] = this.finished;
      this.finished.delete(oldest as string);
      this.cancelled.delete(oldest as string);
    }
  }
}

/**
 * The answer text of a message that is not a json-protocol frame, or undefined for a frame.
 *
 * QnABot 7's built-in streaming posts raw model text (one message per model chunk) to one tab of
 * the session, the newest text-protocol tab or else the newest tab, so a json-protocol socket can
 * receive plain text. A message counts as a frame when it is a JSON object with a `v` and a string
 * `type` (even a malformed one, which `parseJsonFrame` then reports); anything else, including
 * text that happens to parse as JSON (`42`, `"yes"`, `[1]`), is answer text.
 */
export function rawAnswerText(data: string): string | undefined {
  try {
    const value: unknown = JSON.parse(data);
    const isFrame =
      typeof value === 'object' &&
      value !== null &&
      'v' in value &&
      typeof (value as { type?: unknown }).type === 'string';
    return isFrame ? undefined : data;
  } catch {
    return data; // Not JSON: answer text.
  }
}
