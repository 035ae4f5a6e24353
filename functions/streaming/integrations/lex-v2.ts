/**
 * Helpers for a plain Lex V2 fulfillment Lambda: what to answer (session id, input transcript) and
 * the `Close` response that carries the final answer back through Lex.
 */
import type { LexV2Event, LexV2Result } from 'aws-lambda';
import { StreamingError } from '../errors';

export interface LexV2Request {
  sessionId: string;
  inputTranscript: string;
  sessionAttributes: Record<string, string>;
  intentName?: string;
}

export function readLexV2Event(event: LexV2Event): LexV2Request {
  if (!event?.sessionId) throw new StreamingError('Lex V2 event has no sessionId', { code: 'BadLexEvent' });
  if (typeof event.sessionId !== 'string') {
    throw new StreamingError(`Lex V2 event: sessionId must be a string, got ${typeof event.sessionId}`, {
      code: 'BadLexEvent',
    });
  }
  const transcript: unknown = event.inputTranscript;
  if (transcript !== undefined && transcript !== null && typeof transcript !== 'string') {
    throw new StreamingError(`Lex V2 event: inputTranscript must be a string, got ${typeof transcript}`, {
      code: 'BadLexEvent',
    });
  }
  const request: LexV2Request = {
    sessionId: event.sessionId,
    inputTranscript: (transcript ?? '').trim(),
    sessionAttributes: { ...(event.sessionState?.sessionAttributes ?? {}) },
  };
  const intentName = event.sessionState?.intent?.name;
  if (intentName) request.intentName = intentName;
  return request;
}

/** Lex refuses an empty message; this one stands in for an empty answer. */
export const EMPTY_ANSWER_MESSAGE = 'Sorry, I do not have an answer to that.';

/** A `Close` response that fulfils the intent with `message` (PlainText). */
export function lexV2CloseResponse(
  event: LexV2Event,
  message: string,
  sessionAttributes: Record<string, string> = event.sessionState?.sessionAttributes ?? {},
): LexV2Result {
  const intent = event.sessionState?.intent;
  return {
    sessionState: {
      sessionAttributes,
      dialogAction: { type: 'Close' },
      intent: {
        name: intent?.name,
        state: 'Fulfilled',
        ...(intent?.slots ? { slots: intent.slots } : {}),
      },
    },
    messages: [{ contentType: 'PlainText', content: message.trim() ? message : EMPTY_ANSWER_MESSAGE }],
  };
}
