/**
 * The `ask` route's event and its validation, as pure functions.
 *
 * API Gateway invokes the ask Lambda asynchronously (`X-Amz-Invocation-Type: 'Event'`) with the
 * payload of the route's request template (templates/direct-ask.ts, DIRECT_ASK_REQUEST_TEMPLATE):
 * the connection id, the request time and the client's message as JSON. The message reached this
 * route because `$request.body.action` was `ask`, so it is a JSON object; what it holds is the
 * client's, and is checked here: `question` must be a non-empty string of at most 4,000 characters.
 */
import { DirectAskError } from './errors';

/** Longest question accepted, in characters (Unicode code points). */
export const MAX_QUESTION_CHARS = 4000;

/** A client-chosen `turnId` (optional) must look like an id, so it can go into frames as is. */
const TURN_ID_PATTERN = /^[0-9A-Za-z._:-]{1,64}$/;

/** What the request template sends. */
export interface DirectAskEvent {
  connectionId?: unknown;
  requestId?: unknown;
  requestTimeEpoch?: unknown;
  /** The client's message: `{"action":"ask","question":"…","turnId"?:"…"}`. */
  body?: unknown;
}

export interface AskRequest {
  connectionId: string;
  question: string;
  /** The client's id for this turn (frames carry it), when it sent a valid one. */
  turnId?: string;
  /** Epoch ms API Gateway received the message. */
  requestTimeEpoch?: number;
  requestId?: string;
}

/** A question the Lambda refuses; `code`/`message` go back to the asking connection. */
export interface AskRejection {
  connectionId: string;
  code: 'InvalidQuestion';
  message: string;
  turnId?: string;
}

/** The connection the event came from; an event without one did not come through the route. */
export function askConnectionId(event: DirectAskEvent): string {
  const connectionId = event?.connectionId;
  if (typeof connectionId !== 'string' || connectionId.length === 0) {
    throw new DirectAskError(
      'ask event has no connectionId: invoke this Lambda only through the WebSocket API ask route',
    );
  }
  return connectionId;
}

export function parseAskRequest(event: DirectAskEvent): AskRequest | AskRejection {
  const connectionId = askConnectionId(event);
  const body = event.body;
  const message =
    body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const turnId =
    typeof message.turnId === 'string' && TURN_ID_PATTERN.test(message.turnId) ? message.turnId : undefined;
  const reject = (reason: string): AskRejection => ({
    connectionId,
    code: 'InvalidQuestion',
    message: reason,
    ...(turnId ? { turnId } : {}),
  });
  const raw = message.question;
  if (typeof raw !== 'string') {
    return reject('send {"action":"ask","question":"…"} with the question as a string');
  }
  const question = raw.trim();
  if (question.length === 0) return reject('the question is empty');
  const length = [...question].length;
  if (length > MAX_QUESTION_CHARS) {
    return reject(`the question has ${length} characters; at most ${MAX_QUESTION_CHARS} are accepted`);
  }
  const request: AskRequest = { connectionId, question };
  if (turnId) request.turnId = turnId;
  if (typeof event.requestTimeEpoch === 'number' && Number.isFinite(event.requestTimeEpoch)) {
    request.requestTimeEpoch = event.requestTimeEpoch;
  }
  if (typeof event.requestId === 'string' && event.requestId) request.requestId = event.requestId;
  return request;
}

export function isAskRejection(value: AskRequest | AskRejection): value is AskRejection {
  return 'code' in value;
}
