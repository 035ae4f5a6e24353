/**
 * Timestamps the model stream where it reaches the Lambda, independently of how fast the publisher
 * reads it. The wrapped stream is drained eagerly into a queue (as the network and HTTP/2 buffers do
 * for a real Bedrock stream, which keeps generating while the reader is busy); each text chunk's
 * arrival time is recorded there. So "when the model emitted chunk i" means the same thing for a
 * publisher that reads at once and for one that awaits a post between reads.
 */
import type { StreamEvent, StreamSource } from '../../functions/streaming/sources/events';

export interface TimedChunk {
  text: string;
  /** Clock reading (ms) when the chunk arrived from the model. */
  at: number;
  /** Length (UTF-16 code units) of the answer up to and including this chunk. */
  end: number;
}

export interface TimedSource {
  /** Hand this to the publisher under test. */
  source: StreamSource;
  /** Text chunks in arrival order; filled while the stream runs. */
  chunks: TimedChunk[];
}

/** Wraps `open` (one call per run); `clock` is the same one the client timestamps frames with. */
export function timedSource(open: StreamSource, clock: () => number = () => performance.now()): TimedSource {
  const chunks: TimedChunk[] = [];
  const source: StreamSource = (signal) => {
    const queue: StreamEvent[] = [];
    let finished = false;
    let failed = false;
    let failure: unknown;
    let wake: (() => void) | undefined;
    let length = 0;
    void (async () => {
      try {
        for await (const event of open(signal)) {
          if (event.type === 'text' && event.text) {
            length += event.text.length;
            chunks.push({ text: event.text, at: clock(), end: length });
          }
          queue.push(event);
          wake?.();
        }
      } catch (error) {
        failed = true;
        failure = error;
      } finally {
        finished = true;
        wake?.();
      }
    })();
    return (async function* drain(): AsyncGenerator<StreamEvent> {
      for (;;) {
        const next = queue.shift();
        if (next) {
          yield next;
          continue;
        }
        if (finished) {
          if (failed) throw failure;
          return;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    })();
  };
  return { source, chunks };
}
