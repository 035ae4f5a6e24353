/**
 * For producers that push text through callbacks (an SDK's `on('token')`, a LangChain handler):
 * call `push(text)` per piece, then `end()` or `fail(error)`; hand `source` to publishAnswer.
 */
import type { StreamEvent } from './events';

export interface PushSource {
  source: AsyncIterable<StreamEvent>;
  push(text: string): void;
  end(stopReason?: string): void;
  fail(error: unknown): void;
}

export function createPushSource(): PushSource {
  const queue: StreamEvent[] = [];
  let finished = false;
  let failure: { error: unknown } | undefined;
  let wake: (() => void) | undefined;
  const notify = () => {
    wake?.();
    wake = undefined;
  };
  async function* source(): AsyncGenerator<StreamEvent> {
    for (;;) {
      const event = queue.shift();
      if (event) {
        yield event;
        continue;
      }
      if (failure) throw failure.error;
      if (finished) return;
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }
  return {
    source: source(),
    push(text) {
      if (finished || !text) return;
      queue.push({ type: 'text', text });
      notify();
    },
    end(stopReason = 'end_turn') {
      if (finished) return;
      queue.push({ type: 'stop', stopReason });
      finished = true;
      notify();
    },
    fail(error) {
      if (finished) return;
      failure = { error };
      finished = true;
      notify();
    },
  };
}
