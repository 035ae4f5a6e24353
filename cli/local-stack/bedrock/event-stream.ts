/**
 * AWS event-stream messages (`application/vnd.amazon.eventstream`) as the SDK's event-stream
 * deserializer expects them: `:message-type` `event` with `:event-type` = the union member name,
 * or `exception` with `:exception-type` = the exception's union member name; JSON payloads.
 */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';

export const EVENT_STREAM_CONTENT_TYPE = 'application/vnd.amazon.eventstream';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** One `:message-type: event` message whose payload is `payload` as JSON. */
export function encodeEvent(eventType: string, payload: unknown): Uint8Array {
  return codec.encode({
    headers: {
      ':event-type': { type: 'string', value: eventType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'event' },
    },
    body: fromUtf8(JSON.stringify(payload)),
  });
}

/**
 * One `:message-type: exception` message: the SDK throws its typed error for `exceptionType`
 * (e.g. `modelStreamErrorException` → ModelStreamErrorException) from the event iterator.
 */
export function encodeException(
  exceptionType: string,
  message: string,
  fields: Record<string, unknown> = {},
): Uint8Array {
  return codec.encode({
    headers: {
      ':exception-type': { type: 'string', value: exceptionType },
      ':content-type': { type: 'string', value: 'application/json' },
      ':message-type': { type: 'string', value: 'exception' },
    },
    body: fromUtf8(JSON.stringify({ message, ...fields })),
  });
}

/** Decodes one message (for tests and debugging). */
export function decodeMessage(bytes: Uint8Array): {
  headers: Record<string, { type: string; value: unknown }>;
  body: string;
} {
  const message = codec.decode(bytes);
  return { headers: message.headers, body: toUtf8(message.body) };
}
