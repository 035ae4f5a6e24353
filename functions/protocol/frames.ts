/**
 * Server → client frames of the `json` protocol (one object per WebSocket message), and the
 * client → server actions. Shared by the publisher (encodes), the connection Lambda (error
 * frames) and the browser plugin (decodes). In the `text` protocol a message is just answer text.
 *
 * `seq` counts frames of one turn from 0 without gaps, so a client can detect loss; `turnId`
 * lets it drop frames of an old or cancelled turn. Frames that belong to no turn (an error
 * answering an unknown action) carry `turnId: ""` and `seq: 0`.
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
}

export type Frame = StartFrame | DeltaFrame | CitationFrame | EndFrame | ErrorFrame;
export type FrameType = Frame['type'];

/** Client → server messages; `action` selects the route (`$request.body.action`). */
export type ClientAction =
  | { action: 'ping' }
  | { action: 'cancel' }
  | { action: string; [key: string]: unknown };

/** Error frame for something that is not part of any turn (e.g. an unknown action). */
export function standaloneErrorFrame(code: string, message: string): ErrorFrame {
  return { v: FRAME_VERSION, type: 'error', turnId: '', seq: 0, code, message };
}
