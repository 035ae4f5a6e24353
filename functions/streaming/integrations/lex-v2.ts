/**
 * Helpers for a plain Lex V2 fulfillment Lambda: what to answer (session id, input transcript) and
 * the `Close` response that carries the final answer back through Lex (with its markdown
 * alternative for Lex Web UI).
 */
import type { LexV2Event, LexV2Result } from 'aws-lambda';
import { StreamingError } from '../errors';
import { withMarkdownAlternative } from './qnabot';

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

/** The session attribute Lex Web UI reads a message's alternatives from (QnABot sets it too). */
export const APP_CONTEXT_ATTRIBUTE = 'appContext';

/**
 * Session attributes a Lambda response may carry: Amazon Lex documents 12 KB of session attributes
 * within a 25 KB Lambda response (Lex V1 quotas; V2 carries them the same way, and every later
 * request sends them back). The markdown alternative repeats the answer, so it is left out when
 * the session attributes would pass this: the answer still arrives (as plain text) instead of Lex
 * refusing the response.
 */
export const MAX_SESSION_ATTRIBUTES_BYTES = 12 * 1024;

/**
 * `appContext` (a JSON string) with `altMessages.markdown` set to `markdown`, other fields kept.
 * Lex Web UI renders a bot message's `alts.markdown` with `marked` (lex-web-ui/src/store/actions.js
 * reads `JSON.parse(response.sessionAttributes.appContext).altMessages`, components/MessageText.vue
 * renders it, v0.24.1), as it does for QnABot's answers; without it the final answer shows as plain
 * text while the adapter showed it formatted. An appContext that is not a JSON object is left as it
 * is (undefined is returned), so nothing of it is lost.
 */
function appContextWithMarkdown(appContext: string | undefined, markdown: string): string | undefined {
  let parsed: unknown = {};
  if (appContext !== undefined && appContext !== '') {
    try {
      parsed = JSON.parse(appContext);
    } catch {
      return undefined;
    }
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  return JSON.stringify(withMarkdownAlternative(parsed as Record<string, unknown>, markdown));
}

export interface LexV2CloseOptions {
  /**
   * Also put the answer in the `appContext` session attribute's `altMessages.markdown`, so Lex Web
   * UI renders its markdown, as it renders QnABot's answers and as the adapter shows the text while
   * it streams. Left out when the session attributes would exceed MAX_SESSION_ATTRIBUTES_BYTES.
   * @default true
   */
  markdownAlternative?: boolean;
}

/**
 * A `Close` response that fulfils the intent with `message` (PlainText), and by default the same
 * text as the markdown alternative Lex Web UI renders (see {@link LexV2CloseOptions}).
 */
export function lexV2CloseResponse(
  event: LexV2Event,
  message: string,
  sessionAttributes: Record<string, string> = event.sessionState?.sessionAttributes ?? {},
  options: LexV2CloseOptions = {},
): LexV2Result {
  const intent = event.sessionState?.intent;
  const content = message.trim() ? message : EMPTY_ANSWER_MESSAGE;
  const appContext =
    options.markdownAlternative === false
      ? undefined
      : appContextWithMarkdown(sessionAttributes[APP_CONTEXT_ATTRIBUTE], content);
  const withMarkdown =
    appContext === undefined ? undefined : { ...sessionAttributes, [APP_CONTEXT_ATTRIBUTE]: appContext };
  const fits =
    withMarkdown !== undefined &&
    new TextEncoder().encode(JSON.stringify(withMarkdown)).length <= MAX_SESSION_ATTRIBUTES_BYTES;
  return {
    sessionState: {
      sessionAttributes: fits ? withMarkdown : sessionAttributes,
      dialogAction: { type: 'Close' },
      intent: {
        name: intent?.name,
        state: 'Fulfilled',
        ...(intent?.slots ? { slots: intent.slots } : {}),
      },
    },
    messages: [{ contentType: 'PlainText', content }],
  };
}
