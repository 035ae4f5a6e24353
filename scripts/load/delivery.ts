/**
 * What "every frame delivered, in order" means for one session's json socket, checked against the
 * final answer Lex returned: start first, end last, one turn, `seq` 0..n-1 without gaps, no error
 * frame, and the deltas concatenated equal to the Lex answer. Pure, so the runner and the tests
 * share one definition.
 */
import type { Frame } from '../../functions/protocol/frames';
import type { ReceivedFrame } from '../bench/measure';

export interface TimedFrame {
  frame: Frame;
  /** Clock reading (ms) when the browser had it. */
  at: number;
}

/** The json-protocol messages as frames; a message that is not a frame object is kept as a problem. */
export function parseFrames(received: readonly ReceivedFrame[]): {
  frames: TimedFrame[];
  problems: string[];
} {
  const frames: TimedFrame[] = [];
  const problems: string[] = [];
  for (const [index, message] of received.entries()) {
    try {
      const frame = JSON.parse(message.text) as Frame;
      if (!frame || typeof frame !== 'object' || typeof frame.type !== 'string')
        throw new Error('not a frame');
      frames.push({ frame, at: message.at });
    } catch {
      problems.push(`message ${index} is not a json frame: ${JSON.stringify(message.text.slice(0, 60))}`);
    }
  }
  return { frames, problems };
}

export function streamedText(frames: readonly Frame[]): string {
  return frames.map((frame) => (frame.type === 'delta' ? frame.text : '')).join('');
}

/** Problems with one turn's frames as the browser received them; empty when all is well. */
export function checkDelivery(frames: readonly Frame[], finalAnswer: string): string[] {
  const problems: string[] = [];
  if (frames[0]?.type !== 'start') problems.push(`first frame is ${frames[0]?.type ?? 'missing'}, not start`);
  if (frames.at(-1)?.type !== 'end')
    problems.push(`last frame is ${frames.at(-1)?.type ?? 'missing'}, not end`);
  const turns = new Set(frames.map((frame) => frame.turnId));
  if (turns.size > 1) problems.push(`frames of ${turns.size} turns on one socket`);
  const gap = frames.findIndex((frame, index) => frame.seq !== index);
  if (gap !== -1) problems.push(`seq ${frames[gap]?.seq} at position ${gap} (lost or reordered frames)`);
  const errors = frames.filter((frame) => frame.type === 'error');
  if (errors.length > 0) problems.push(`${errors.length} error frame(s)`);
  const text = streamedText(frames);
  if (text !== finalAnswer) {
    let at = 0;
    while (at < text.length && text[at] === finalAnswer[at]) at++;
    problems.push(
      `streamed text (${text.length} chars) differs from the Lex answer (${finalAnswer.length} chars) at ${at}`,
    );
  }
  return problems;
}
