/** Any async (or sync) iterable of strings as a stream of events: the simplest source. */
import type { StreamEvent } from './events';

export async function* fromTextIterable(
  texts: AsyncIterable<string> | Iterable<string>,
  stopReason = 'end_turn',
): AsyncGenerator<StreamEvent> {
  for await (const text of texts) {
    if (typeof text === 'string' && text.length > 0) yield { type: 'text', text };
  }
  yield { type: 'stop', stopReason };
}
