/**
 * Helpers for a QnABot Lambda hook. QnABot calls the hook with `{ req, res }`: `req._event` is the
 * raw Lex event (Lex V2: `sessionId`; Lex V1: `userId`, which Lex Web UI also uses as the session),
 * `req.question` the user's question, `req._settings` QnABot's settings, `req.session` the session
 * attributes, and `res.result.args` the "Lambda Hook Arguments" of the matched item. The hook
 * returns the event with `res.message` (and the Markdown alternative in
 * `res.session.appContext.altMessages.markdown`, which Lex Web UI renders) replaced by the answer.
 */
import { StreamingError } from '../errors';
import type { StreamResult } from '../pipeline/publisher';

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

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function badHookEvent(message: string): StreamingError {
  return new StreamingError(`QnABot hook event: ${message}`, { code: 'BadHookEvent' });
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value;
}

/** A string field, or undefined when absent; any other type is a bad event (named, not a TypeError). */
function optionalText(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw badHookEvent(`${name} must be a string, got ${describe(value)}`);
  return value;
}

/**
 * Reads what a hook needs and checks the shape it will write back to (`res`, `res.session`) before
 * anything is streamed, so a malformed event fails with a named error instead of losing an answer
 * that was already on the user's screen.
 */
export function readQnabotHookEvent(event: QnabotHookEvent): QnabotHookRequest {
  if (!isObject(event)) throw badHookEvent(`the event must be an object, got ${describe(event)}`);
  if (!isObject(event.req)) throw badHookEvent(`req must be an object, got ${describe(event.req)}`);
  if (event.res !== undefined && !isObject(event.res)) {
    throw badHookEvent(`res must be an object, got ${describe(event.res)}`);
  }
  if (event.res?.session !== undefined && !isObject(event.res.session)) {
    throw badHookEvent(`res.session must be an object, got ${describe(event.res.session)}`);
  }
  const rawArgs = event.res?.result?.args;
  if (rawArgs !== undefined && !Array.isArray(rawArgs)) {
    throw badHookEvent(`res.result.args must be a list, got ${describe(rawArgs)}`);
  }
  const lexEvent = isObject(event.req._event) ? event.req._event : {};
  const sessionId =
    optionalText(lexEvent.sessionId, 'req._event.sessionId') ??
    optionalText(lexEvent.userId, 'req._event.userId');
  if (!sessionId) {
    throw badHookEvent('it has no req._event.sessionId (Lex V2) or req._event.userId (Lex V1)');
  }
  const question = (
    optionalText(event.req.question, 'req.question') ??
    optionalText(lexEvent.inputTranscript, 'req._event.inputTranscript') ??
    ''
  ).trim();
  const objectOrEmpty = (value: unknown) => (isObject(value) ? value : {});
  return {
    sessionId,
    question,
    sessionAttributes: {
      ...objectOrEmpty(lexEvent.sessionAttributes),
      ...objectOrEmpty(isObject(lexEvent.sessionState) ? lexEvent.sessionState.sessionAttributes : undefined),
      ...objectOrEmpty(event.req.session),
    },
    args: parseArgs(rawArgs),
    settings: objectOrEmpty(event.req._settings),
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
 * `appContext` with `altMessages.markdown` set to `markdown`, its other fields and other
 * alternatives kept: what Lex Web UI renders as the bot message (QnABot's shape; also used by
 * lexV2CloseResponse).
 */
export function withMarkdownAlternative(
  appContext: Record<string, unknown>,
  markdown: string,
): Record<string, unknown> {
  return { ...appContext, altMessages: { ...asObject(appContext.altMessages), markdown } };
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
  event.res.message = result.text;
  event.res.session.appContext = withMarkdownAlternative(appContext, result.text);
  return event;
}
