/**
 * Server → client frames of the `json` protocol (one object per WebSocket message), and the
 * client → server actions. Shared by the publisher (encodes), the connection Lambda (error
 * frames) and the browser plugin (decodes). In the `text` protocol a message is just answer text.
 *
 * `seq` counts frames of one turn from 0 without gaps, so a client can detect loss; `turnId`
 * lets it drop frames of an old or cancelled turn. Frames that belong to no turn (an error
 * answering an unknown action) carry `turnId: ""` and `seq: 0`.
 *
 * A turn is `start`, then `status` and `delta` frames (with `citation` frames after the text they
 * support), then at most one `error`, then `end`.
 *
 * `status` frames tell the user what is happening while no text arrives. They take the turn's next
 * `seq` like every other frame and go through the same pipeline; only the json protocol carries
 * them (a text-protocol message is always answer text, so there a status would show as answer).
 * `message` is a short English sentence a page can show as is; `phase` lets it choose its own words:
 * - `thinking`: sent right after `start` (the question is with the model), before any text;
 * - `retrieving`: a knowledge-base retrieval runs (RetrieveAndGenerateStream before its first text);
 * - `retrying`: the model was throttled before its first token; it is called again in `retryInMs`;
 * - `working`: no text for STILL_WORKING_AFTER_MS while the answer runs; sent again after each such
 *   silence, at most MAX_WORKING_STATUSES times per turn.
 * Every turn of a json tab opens with `start` then `thinking`, also for a tab that connects
 * mid-answer; such a tab then gets the latest status when no text was sent yet, else the text so far.
 *
 * `error` frames say in `retryable` whether asking the same question again can help (throttling,
 * timeouts, a dropped model stream, a busy service) or not (bad input, access denied, validation,
 * a guardrail, a cancel). Frames of older servers have no `retryable`: read it as false.
 */

export const FRAME_VERSION = 1;

export interface CitationSource {
  title?: string;
  uri?: string;
  /** The passage of the source the answer relied on. */
  excerpt?: string;
}

export interface Citation {
  /** The part of the answer this citation supports, when the model says. */
  text?: string;
  sources: CitationSource[];
}

export interface Usage {
  inputTokens?: number;
  outputTokens?: number;
  totalTokens?: number;
}

interface FrameBase {
  v: typeof FRAME_VERSION;
  turnId: string;
  seq: number;
}

export interface StartFrame extends FrameBase {
  type: 'start';
}
export interface DeltaFrame extends FrameBase {
  type: 'delta';
  text: string;
}
export interface CitationFrame extends FrameBase {
  type: 'citation';
  citations: Citation[];
}
export interface EndFrame extends FrameBase {
  type: 'end';
  /** Bedrock stop reason (`end_turn`, `max_tokens`, …) or `cancelled` / `error`. */
  stopReason: string;
  usage?: Usage;
  /** Milliseconds from the start of the turn to the first text. */
  ttftMs?: number;
  /** Milliseconds from the start of the turn to its end. */
  totalMs: number;
}
export interface ErrorFrame extends FrameBase {
  type: 'error';
  code: string;
  message: string;
  /** Whether asking the same question again can help. Absent in older frames: read as false. */
  retryable: boolean;
}

/** What the answer is doing while no text arrives (see the header). */
export type StatusPhase = 'thinking' | 'retrieving' | 'retrying' | 'working';

export interface StatusFrame extends FrameBase {
  type: 'status';
  phase: StatusPhase;
  /** A short English sentence a page can show as is ("Searching the knowledge base…"). */
  message: string;
  /** For `retrying`: milliseconds until the model is called again. */
  retryInMs?: number;
}

export type Frame = StartFrame | StatusFrame | DeltaFrame | CitationFrame | EndFrame | ErrorFrame;
export type FrameType = Frame['type'];

export const STATUS_PHASES: readonly StatusPhase[] = ['thinking', 'retrieving', 'retrying', 'working'];

/**
 * Silence (no text) after which a `working` status is sent. A model's first token usually comes
 * within 0.5–2 s and a knowledge-base retrieval within 1–3 s, and text then arrives at least every
 * coalescing window (250 ms); 4 s of nothing is clearly slower than usual, yet well before the ~10 s
 * after which users give up on a silent page. It also stays clear of the `thinking`/`retrying`
 * statuses that cover the usual first seconds.
 */
export const STILL_WORKING_AFTER_MS = 4000;

/**
 * At most this many `working` statuses per turn (one per silence of STILL_WORKING_AFTER_MS, so they
 * cover 20 s): enough to show a slow answer is alive, without a stream of repeats from a stuck one.
 */
export const MAX_WORKING_STATUSES = 5;

/** The sentence each phase's status carries (the publisher's words; a page may use its own). */
export const STATUS_MESSAGES: Readonly<Record<StatusPhase, string>> = {
  thinking: 'Thinking…',
  retrieving: 'Searching the knowledge base…',
  retrying: 'The model is busy; trying again…',
  working: 'Still working on the answer…',
};

/** Client → server messages; `action` selects the route (`$request.body.action`). */
export type ClientAction =
  | { action: 'ping' }
  | { action: 'cancel' }
  | { action: string; [key: string]: unknown };

/** Error frame for something that is not part of any turn (e.g. an unknown action). */
export function standaloneErrorFrame(code: string, message: string, retryable = false): ErrorFrame {
  return { v: FRAME_VERSION, type: 'error', turnId: '', seq: 0, code, message, retryable };
}
