/**
 * Helpers for a QnABot Lambda hook. QnABot calls the hook with `{ req, res }`: `req._event` is the
 * raw Lex event (Lex V2: `sessionId`; Lex V1: `userId`, which Lex Web UI also uses as the session),
 * `req.question` the user's question, `req._settings` QnABot's settings, `req.session` the session
 * attributes, and `res.result.args` the "Lambda Hook Arguments" of the matched item. The hook
 * returns the event with `res.message` (and the Markdown alternative in
 * `res.session.appContext.altMessages.markdown`, which Lex Web UI renders) replaced by the answer.
 */
import { StreamingError } from './errors';
import type { StreamResult } from './publisher';

export interface QnabotHookEvent {
  req: {
    question?: string;
    _event?: {
      sessionId?: string;
      userId?: string;
      inputTranscript?: string;
      sessionState?: { sessionAttributes?: Record<string, string> };
      sessionAttributes?: Record<string, string>;
      [key: string]: unknown;
    };
    _settings?: Record<string, unknown>;
    session?: Record<string, unknown>;
    [key: string]: unknown;
  };
  res: {
    message?: string;
    session?: { appContext?: unknown; [key: string]: unknown };
    result?: { args?: unknown[]; [key: string]: unknown };
    [key: string]: unknown;
  };
  [key: string]: unknown;
}

export interface QnabotHookRequest {
  sessionId: string;
  question: string;
  /** Session attributes as QnABot and Lex see them (for the endpoint compatibility check). */
  sessionAttributes: Record<string, unknown>;
  /** Hook arguments: JSON objects among `res.result.args` merged; a plain string becomes `system`. */
  args: Record<string, unknown>;
  settings: Record<string, unknown>;
}

function parseArgs(raw: unknown[] | undefined): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const arg of raw ?? []) {
    if (arg && typeof arg === 'object' && !Array.isArray(arg)) {
      Object.assign(args, arg);
      continue;
    }
    if (typeof arg !== 'string' || !arg.trim()) continue;
    try {
      const parsed: unknown = JSON.parse(arg);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        Object.assign(args, parsed);
        continue;
      }
    } catch {
      // not JSON: a plain instruction for the model
    }
    if (args.system === undefined) args.system = arg.trim();
  }
  return args;
}

export function readQnabotHookEvent(event: QnabotHookEvent): QnabotHookRequest {
  const lexEvent = event.req?._event ?? {};
  const sessionId = lexEvent.sessionId ?? lexEvent.userId;
  if (!sessionId) {
    throw new StreamingError(
      'QnABot hook event has no req._event.sessionId (Lex V2) or req._event.userId (Lex V1)',
      {
        code: 'BadHookEvent',
      },
    );
  }
  const question = (event.req.question ?? lexEvent.inputTranscript ?? '').trim();
  return {
    sessionId,
    question,
    sessionAttributes: {
      ...(lexEvent.sessionAttributes ?? {}),
      ...(lexEvent.sessionState?.sessionAttributes ?? {}),
      ...(event.req.session ?? {}),
    },
    args: parseArgs(event.res?.result?.args),
    settings: event.req._settings ?? {},
  };
}

function asObject(value: unknown): Record<string, unknown> {
  if (typeof value === 'string') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
        return parsed as Record<string, unknown>;
    } catch {
      return {};
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/**
 * Writes the answer into `res.message` and `res.session.appContext.altMessages.markdown` (keeping any
 * other appContext/altMessages fields) and returns the event, as a hook must.
 */
export function applyAnswerToQnabotEvent(
  event: QnabotHookEvent,
  result: Pick<StreamResult, 'text'>,
): QnabotHookEvent {
  event.res ??= {};
  event.res.session ??= {};
  const appContext = asObject(event.res.session.appContext);
  const altMessages = asObject(appContext.altMessages);
  event.res.message = result.text;
  event.res.session.appContext = { ...appContext, altMessages: { ...altMessages, markdown: result.text } };
  return event;
}
