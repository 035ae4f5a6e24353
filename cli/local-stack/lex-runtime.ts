/**
 * Local Lex V2 runtime: `RecognizeText`, `GetSession` and `DeleteSession` over restJson1, as the
 * `@aws-sdk/client-lex-runtime-v2` client (and so Lex Web UI) calls them, with SigV4 header auth
 * (service `lex`) checked against the shared {@link CredentialStore}.
 *
 * One bot, alias and locale; every utterance goes to one intent (`FallbackIntent` unless another
 * is configured, as in a QnABot bot), which is ready for fulfillment at once. `fulfill` plays the
 * fulfillment Lambda: it gets a real Lex V2 code-hook event and its answer is checked the way Lex
 * checks a Lambda response — a malformed answer, a thrown error or a late answer is a 424
 * DependencyFailedException, exactly what a chat client sees when the Lambda misbehaves on AWS.
 *
 * Decisions a user might notice:
 * - Session attributes persist across turns. A request that carries
 *   `sessionState.sessionAttributes` replaces them (Lex Web UI sends its full set every turn);
 *   a Lambda answer without `sessionAttributes` keeps the previous ones.
 * - A session idle longer than `idleSessionTtlSeconds` is forgotten, as Lex does (default 5 min).
 * - Two requests at once on one session: the second is a 409 ConflictException, as on Lex.
 * - `Delegate` from a fulfillment hook closes the intent as fulfilled.
 */
import type {
  LexV2ActiveContext,
  LexV2Event,
  LexV2ImageResponseCard,
  LexV2Intent,
  LexV2Interpretation,
  LexV2Message,
  LexV2Result,
} from 'aws-lambda';
import { SESSION_ID_PATTERN } from '../../functions/protocol/websocket';
import { ConfigurationError } from '../../functions/shared/errors';
import { createLogger, type Logger } from '../../functions/shared/logger';
import type { CredentialStore, LocalIdentity } from './credentials';
import {
  isRecord,
  isStringMap,
  LocalAwsError,
  type LocalRequest,
  type LocalResponse,
  newRequestId,
  parseJsonObject,
  readBody,
  requestHost,
  sendJson,
  sendRestJsonError,
  startLocalServer,
} from './http';
import { SignatureError, type SignedRequestInput, verifySignedRequest } from './sigv4';

/** The event `fulfill` receives: a Lex V2 `FulfillmentCodeHook` event for a text turn. */
export type LexV2FulfillmentEvent = Omit<LexV2Event, 'proposedNextState' | 'interpretations'> & {
  /** Lex sends no proposed next state to a fulfillment code hook. */
  proposedNextState?: LexV2Event['proposedNextState'];
  interpretations: (LexV2Interpretation & { interpretationSource?: 'Bedrock' | 'Lex' })[];
};

/** What a fulfillment Lambda returns to Lex V2. */
export type LexV2FulfillmentResult = LexV2Result & { requestAttributes?: Record<string, string> };

export interface LexFulfillmentContext {
  /** Aborted when Lex stops waiting (timeout) or the local runtime stops. */
  signal: AbortSignal;
  /** Who signed the `RecognizeText` request (Lex does not pass this to the Lambda). */
  caller: LocalIdentity;
}

export type LexFulfill = (
  event: LexV2FulfillmentEvent,
  context: LexFulfillmentContext,
) => Promise<LexV2FulfillmentResult>;

export const DEFAULT_BOT_ID = 'QNASTREAM1';
/** The id Lex gives every bot's test alias. */
export const DEFAULT_BOT_ALIAS_ID = 'TSTALIASID';
export const DEFAULT_LOCALE_ID = 'en_US';
export const DEFAULT_INTENT_NAME = 'FallbackIntent';
export const MAX_TEXT_LENGTH = 1024;

export interface LocalLexRuntimeOptions {
  /** Who may call: requests must be SigV4-signed with credentials registered here. */
  credentials: CredentialStore;
  /** @default 'us-east-1' */
  region?: string;
  /** @default DEFAULT_BOT_ID */
  botId?: string;
  /** @default DEFAULT_BOT_ALIAS_ID */
  botAliasId?: string;
  /** @default DEFAULT_LOCALE_ID */
  localeId?: string;
  /** @default 'QnaStreamingLocalBot' */
  botName?: string;
  /** @default 'TestBotAlias' */
  botAliasName?: string;
  /** The one intent every utterance resolves to. @default 'FallbackIntent' */
  intentName?: string;
  /** The fulfillment Lambda. */
  fulfill: LexFulfill;
  /** Lex gives up on the Lambda after this long. @default 30000 */
  fulfillmentTimeoutMs?: number;
  /** @default 300 */
  idleSessionTtlSeconds?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** @default 0 (a free port) */
  port?: number;
  /** @default a JSON logger named `local-lex-runtime` */
  logger?: Logger;
  /** Clock for session expiry. @default Date.now */
  now?: () => number;
}

export interface LocalLexRuntime {
  /** `http://127.0.0.1:<port>`, for `new LexRuntimeV2Client({ endpoint })`. */
  endpoint: string;
  port: number;
  region: string;
  botId: string;
  botAliasId: string;
  localeId: string;
  stop(): Promise<void>;
}

/** The answer of a turn, as RecognizeText returns it and GetSession repeats it. */
interface TurnAnswer {
  messages?: LexV2Message[];
  sessionState: ApiSessionState;
  interpretations: ApiInterpretation[];
  requestAttributes?: Record<string, string>;
}

interface ApiIntent {
  name: string;
  slots: Record<string, unknown>;
  state: string;
  confirmationState: string;
}

interface ApiSessionState {
  dialogAction?: Record<string, unknown>;
  intent: ApiIntent;
  activeContexts?: LexV2ActiveContext[];
  sessionAttributes: Record<string, string>;
  originatingRequestId: string;
}

interface ApiInterpretation {
  intent: ApiIntent;
  nluConfidence?: { score: number };
  interpretationSource: 'Lex';
}

interface SessionRecord {
  sessionAttributes: Record<string, string>;
  lastAnswer?: TurnAnswer;
  lastActiveAt: number;
  busy: boolean;
}

interface RuntimeSettings {
  region: string;
  botId: string;
  botAliasId: string;
  localeId: string;
  botName: string;
  botAliasName: string;
  intentName: string;
  fulfill: LexFulfill;
  fulfillmentTimeoutMs: number;
  idleSessionTtlMs: number;
  credentials: CredentialStore;
  logger: Logger;
  now: () => number;
}

export async function startLocalLexRuntime(options: LocalLexRuntimeOptions): Promise<LocalLexRuntime> {
  const region = options.region ?? 'us-east-1';
  const fulfillmentTimeoutMs = options.fulfillmentTimeoutMs ?? 30_000;
  if (!Number.isFinite(fulfillmentTimeoutMs) || fulfillmentTimeoutMs <= 0) {
    throw new ConfigurationError(
      `fulfillmentTimeoutMs must be a positive number, got ${fulfillmentTimeoutMs}`,
    );
  }
  const idleSessionTtlSeconds = options.idleSessionTtlSeconds ?? 300;
  if (!Number.isFinite(idleSessionTtlSeconds) || idleSessionTtlSeconds <= 0) {
    throw new ConfigurationError(
      `idleSessionTtlSeconds must be a positive number, got ${idleSessionTtlSeconds}`,
    );
  }
  const settings: RuntimeSettings = {
    region,
    botId: options.botId ?? DEFAULT_BOT_ID,
    botAliasId: options.botAliasId ?? DEFAULT_BOT_ALIAS_ID,
    localeId: options.localeId ?? DEFAULT_LOCALE_ID,
    botName: options.botName ?? 'QnaStreamingLocalBot',
    botAliasName: options.botAliasName ?? 'TestBotAlias',
    intentName: options.intentName ?? DEFAULT_INTENT_NAME,
    fulfill: options.fulfill,
    fulfillmentTimeoutMs,
    idleSessionTtlMs: idleSessionTtlSeconds * 1000,
    credentials: options.credentials,
    logger: options.logger ?? createLogger({ service: 'local-lex-runtime' }),
    now: options.now ?? Date.now,
  };
  const runtime = new LexRuntime(settings);
  const server = await startLocalServer(
    (request, response) => {
      runtime.handle(request, response).catch((error: unknown) => {
        settings.logger.error('unexpected failure', { error });
        if (!response.headersSent) sendRestJsonError(response, newRequestId(), internalError(error));
        else response.destroy();
      });
    },
    options.host ?? '127.0.0.1',
    options.port ?? 0,
  );
  settings.logger.debug('listening', { endpoint: server.endpoint, botId: settings.botId });
  return {
    endpoint: server.endpoint,
    port: server.port,
    region,
    botId: settings.botId,
    botAliasId: settings.botAliasId,
    localeId: settings.localeId,
    stop: async () => {
      runtime.abortAll();
      await server.close();
    },
  };
}

const ROUTE = /^\/bots\/([^/]+)\/botAliases\/([^/]+)\/botLocales\/([^/]+)\/sessions\/([^/]+)(\/text)?\/?$/;

class LexRuntime {
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly inFlight = new Set<AbortController>();

  constructor(private readonly settings: RuntimeSettings) {}

  abortAll(): void {
    for (const controller of this.inFlight) controller.abort(new Error('local Lex runtime stopped'));
  }

  async handle(request: LocalRequest, response: LocalResponse): Promise<void> {
    const requestId = newRequestId();
    try {
      const body = await readBody(request);
      const signed = signedInput(request, body);
      const caller = await this.authenticate(signed);
      const route = ROUTE.exec(signed.path);
      const method = signed.method;
      const operation = !route
        ? undefined
        : route[5]
          ? method === 'POST' && 'RecognizeText'
          : method === 'GET'
            ? 'GetSession'
            : method === 'DELETE' && 'DeleteSession';
      if (!route || !operation) {
        throw new LocalAwsError(
          404,
          'UnknownOperationException',
          `no operation for ${method} ${signed.path}`,
        );
      }
      const [botId, botAliasId, localeId, sessionId] = route
        .slice(1, 5)
        .map((label) => decodeLabel(label ?? ''));
      this.checkBot(botId ?? '', botAliasId ?? '', localeId ?? '');
      if (!SESSION_ID_PATTERN.test(sessionId ?? '')) {
        throw new LocalAwsError(
          400,
          'ValidationException',
          `sessionId must be 2-100 characters of [0-9a-zA-Z._:-], got "${sessionId}"`,
        );
      }
      const id = sessionId as string;
      let output: unknown;
      if (operation === 'RecognizeText') output = await this.recognizeText(id, body, caller, requestId);
      else if (operation === 'GetSession') output = this.getSession(id);
      else output = this.deleteSession(id);
      sendJson(response, 200, output, { 'x-amzn-requestid': requestId });
    } catch (error) {
      sendRestJsonError(response, requestId, error instanceof LocalAwsError ? error : internalError(error));
    }
  }

  /** SigV4 header auth, service `lex`. Every failure is a 403, as AWS REST APIs answer. */
  private async authenticate(input: SignedRequestInput): Promise<LocalIdentity> {
    try {
      return await verifySignedRequest(input, {
        credentials: this.settings.credentials,
        service: 'lex',
        region: this.settings.region,
      });
    } catch (error) {
      if (!(error instanceof SignatureError)) throw error;
      const code =
        error.code === 'MissingAuthenticationToken' ? 'MissingAuthenticationTokenException' : error.code;
      throw new LocalAwsError(403, code, error.message, { cause: error });
    }
  }

  private checkBot(botId: string, botAliasId: string, localeId: string): void {
    const { settings } = this;
    if (botId !== settings.botId) throw notFound(`Bot ${botId} not found.`);
    if (botAliasId !== settings.botAliasId)
      throw notFound(`Bot alias ${botAliasId} of bot ${botId} not found.`);
    if (localeId !== settings.localeId) throw notFound(`Locale ${localeId} of bot ${botId} not found.`);
  }

  private session(sessionId: string): SessionRecord | undefined {
    const record = this.sessions.get(sessionId);
    if (
      record &&
      !record.busy &&
      this.settings.now() - record.lastActiveAt > this.settings.idleSessionTtlMs
    ) {
      this.sessions.delete(sessionId);
      return undefined;
    }
    return record;
  }

  private getSession(sessionId: string): unknown {
    const answer = this.session(sessionId)?.lastAnswer;
    if (!answer) throw notFound(`Session ${sessionId} not found.`);
    return {
      sessionId,
      messages: answer.messages,
      interpretations: answer.interpretations,
      sessionState: answer.sessionState,
    };
  }

  private deleteSession(sessionId: string): unknown {
    const record = this.session(sessionId);
    if (!record) throw notFound(`Session ${sessionId} not found.`);
    if (record.busy) throw conflict(sessionId);
    this.sessions.delete(sessionId);
    const { botId, botAliasId, localeId } = this.settings;
    return { botId, botAliasId, localeId, sessionId };
  }

  private async recognizeText(
    sessionId: string,
    body: Buffer,
    caller: LocalIdentity,
    requestId: string,
  ): Promise<unknown> {
    const input = readRecognizeTextInput(parseJsonObject(body, 'ValidationException'));
    const existing = this.session(sessionId);
    if (existing?.busy) throw conflict(sessionId);
    const record: SessionRecord = existing ?? { sessionAttributes: {}, lastActiveAt: 0, busy: false };
    this.sessions.set(sessionId, record);
    record.busy = true;
    record.lastActiveAt = this.settings.now();
    try {
      if (input.sessionAttributes) record.sessionAttributes = { ...input.sessionAttributes };
      const event = this.buildEvent(sessionId, input, record.sessionAttributes, requestId);
      const result = await this.invokeFulfillment(event, caller);
      const answer = this.answerFrom(event, result);
      record.sessionAttributes = { ...answer.sessionState.sessionAttributes };
      record.lastAnswer = answer;
      return { sessionId, ...answer };
    } finally {
      record.busy = false;
      record.lastActiveAt = this.settings.now();
    }
  }

  private buildEvent(
    sessionId: string,
    input: RecognizeTextInput,
    sessionAttributes: Record<string, string>,
    requestId: string,
  ): LexV2FulfillmentEvent {
    const { settings } = this;
    const intent = (): LexV2Intent => ({
      name: settings.intentName,
      slots: {},
      state: 'ReadyForFulfillment',
      confirmationState: 'None',
    });
    const isFallback = settings.intentName === DEFAULT_INTENT_NAME;
    return {
      messageVersion: '1.0',
      invocationSource: 'FulfillmentCodeHook',
      inputMode: 'Text',
      responseContentType: 'text/plain; charset=utf-8',
      sessionId,
      inputTranscript: input.text,
      bot: {
        id: settings.botId,
        name: settings.botName,
        aliasId: settings.botAliasId,
        aliasName: settings.botAliasName,
        localeId: settings.localeId,
        version: 'DRAFT',
      },
      // FallbackIntent carries no confidence score; a matched intent does.
      interpretations: [
        { intent: intent(), interpretationSource: 'Lex', ...(isFallback ? {} : { nluConfidence: 1 }) },
      ],
      ...(input.requestAttributes ? { requestAttributes: { ...input.requestAttributes } } : {}),
      sessionState: {
        sessionAttributes: { ...sessionAttributes },
        activeContexts: [],
        intent: intent(),
        originatingRequestId: requestId,
      },
      transcriptions: [
        {
          transcription: input.text,
          transcriptionConfidence: 1,
          resolvedContext: { intent: settings.intentName },
          resolvedSlots: {},
        },
      ],
    };
  }

  private async invokeFulfillment(event: LexV2FulfillmentEvent, caller: LocalIdentity): Promise<unknown> {
    const { fulfillmentTimeoutMs, logger } = this.settings;
    const controller = new AbortController();
    this.inFlight.add(controller);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = dependencyFailed(`Lambda function timed out after ${fulfillmentTimeoutMs} ms`);
        reject(error);
        controller.abort(error);
      }, fulfillmentTimeoutMs);
    });
    const stopped = new Promise<never>((_, reject) => {
      controller.signal.addEventListener(
        'abort',
        () => reject(dependencyFailed('Lambda invocation was aborted')),
        {
          once: true,
        },
      );
    });
    try {
      return await Promise.race([
        Promise.resolve()
          .then(() => this.settings.fulfill(structuredClone(event), { signal: controller.signal, caller }))
          .catch((error: unknown) => {
            if (error instanceof LocalAwsError) throw error;
            logger.warn('fulfillment failed', { sessionId: event.sessionId, error });
            const name = error instanceof Error ? error.name : 'Unhandled';
            throw dependencyFailed(`Received error response from Lambda: ${name}`, error);
          }),
        timeout,
        stopped,
      ]);
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(controller);
    }
  }

  private answerFrom(event: LexV2FulfillmentEvent, raw: unknown): TurnAnswer {
    const problem = describeInvalidResult(raw);
    if (problem) {
      this.settings.logger.warn('invalid fulfillment response', { sessionId: event.sessionId, problem });
      throw dependencyFailed(`Received invalid response from Lambda: ${problem}`);
    }
    const result = raw as LexV2FulfillmentResult;
    const returnedIntent = result.sessionState.intent as
      | (NonNullable<LexV2Result['sessionState']['intent']> & { confirmationState?: string })
      | undefined;
    let dialogAction: Record<string, unknown> = { ...result.sessionState.dialogAction };
    let state: string = returnedIntent?.state ?? (dialogAction.type === 'Close' ? 'Fulfilled' : 'InProgress');
    // A fulfillment hook that delegates leaves the rest to Lex, which closes the fulfilled intent.
    if (dialogAction.type === 'Delegate') {
      dialogAction = { type: 'Close' };
      if (state === 'ReadyForFulfillment' || state === 'FulfillmentInProgress') state = 'Fulfilled';
    }
    const intent: ApiIntent = {
      name: returnedIntent?.name ?? this.settings.intentName,
      slots: returnedIntent?.slots ?? {},
      state,
      confirmationState: returnedIntent?.confirmationState ?? 'None',
    };
    const interpretation = event.interpretations[0];
    const nluScore = interpretation?.nluConfidence;
    const requestAttributes = result.requestAttributes ?? event.requestAttributes;
    return {
      ...(result.messages && result.messages.length > 0 ? { messages: result.messages } : {}),
      sessionState: {
        dialogAction,
        intent,
        sessionAttributes: {
          ...(result.sessionState.sessionAttributes ?? event.sessionState.sessionAttributes),
        },
        originatingRequestId: event.sessionState.originatingRequestId,
      },
      interpretations: [
        {
          intent: { ...intent, slots: { ...intent.slots } },
          ...(nluScore === undefined ? {} : { nluConfidence: { score: nluScore } }),
          interpretationSource: 'Lex',
        },
      ],
      ...(requestAttributes ? { requestAttributes } : {}),
    };
  }
}

interface RecognizeTextInput {
  text: string;
  sessionAttributes?: Record<string, string>;
  requestAttributes?: Record<string, string>;
}

function readRecognizeTextInput(body: Record<string, unknown>): RecognizeTextInput {
  const { text, sessionState, requestAttributes } = body;
  if (typeof text !== 'string' || text.length === 0) {
    throw new LocalAwsError(400, 'ValidationException', 'text is required and must not be empty');
  }
  if (text.length > MAX_TEXT_LENGTH) {
    throw new LocalAwsError(
      400,
      'ValidationException',
      `1 validation error detected: Value at 'text' failed to satisfy constraint: Member must have length less than or equal to ${MAX_TEXT_LENGTH}`,
    );
  }
  if (requestAttributes !== undefined && !isStringMap(requestAttributes)) {
    throw new LocalAwsError(400, 'ValidationException', 'requestAttributes must map names to strings');
  }
  if (sessionState !== undefined && !isRecord(sessionState)) {
    throw new LocalAwsError(400, 'ValidationException', 'sessionState must be an object');
  }
  const sessionAttributes = sessionState?.sessionAttributes;
  if (sessionAttributes !== undefined && !isStringMap(sessionAttributes)) {
    throw new LocalAwsError(
      400,
      'ValidationException',
      'sessionState.sessionAttributes must map names to strings',
    );
  }
  return {
    text,
    ...(sessionAttributes ? { sessionAttributes } : {}),
    ...(requestAttributes ? { requestAttributes } : {}),
  };
}

const DIALOG_ACTION_TYPES = ['Close', 'ConfirmIntent', 'Delegate', 'ElicitIntent', 'ElicitSlot'];
const INTENT_STATES = [
  'Failed',
  'Fulfilled',
  'FulfillmentInProgress',
  'InProgress',
  'ReadyForFulfillment',
  'Waiting',
];
const CONFIRMATION_STATES = ['Confirmed', 'Denied', 'None'];
const TEXT_CONTENT_TYPES = ['CustomPayload', 'PlainText', 'SSML'];

/** Why Lex would reject this Lambda response, or undefined when it is acceptable. */
export function describeInvalidResult(result: unknown): string | undefined {
  if (!isRecord(result)) return 'the response is not a JSON object';
  const { sessionState, messages, requestAttributes } = result;
  if (!isRecord(sessionState)) return 'sessionState is required';
  const { dialogAction, intent, sessionAttributes } = sessionState;
  if (!isRecord(dialogAction) || typeof dialogAction.type !== 'string') {
    return 'sessionState.dialogAction.type is required';
  }
  if (!DIALOG_ACTION_TYPES.includes(dialogAction.type)) {
    return `sessionState.dialogAction.type "${dialogAction.type}" is not one of ${DIALOG_ACTION_TYPES.join(', ')}`;
  }
  if (dialogAction.type === 'ElicitSlot' && typeof dialogAction.slotToElicit !== 'string') {
    return 'sessionState.dialogAction.slotToElicit is required for ElicitSlot';
  }
  if (intent !== undefined) {
    if (!isRecord(intent)) return 'sessionState.intent must be an object';
    if (intent.name !== undefined && typeof intent.name !== 'string')
      return 'sessionState.intent.name must be a string';
    if (intent.state !== undefined && !INTENT_STATES.includes(String(intent.state))) {
      return `sessionState.intent.state "${String(intent.state)}" is not one of ${INTENT_STATES.join(', ')}`;
    }
    if (
      intent.confirmationState !== undefined &&
      !CONFIRMATION_STATES.includes(String(intent.confirmationState))
    ) {
      return `sessionState.intent.confirmationState "${String(intent.confirmationState)}" is not valid`;
    }
    if (intent.slots !== undefined && intent.slots !== null && !isRecord(intent.slots)) {
      return 'sessionState.intent.slots must be an object';
    }
  }
  if (sessionAttributes !== undefined && sessionAttributes !== null && !isStringMap(sessionAttributes)) {
    return 'sessionState.sessionAttributes values must be strings';
  }
  if (requestAttributes !== undefined && requestAttributes !== null && !isStringMap(requestAttributes)) {
    return 'requestAttributes values must be strings';
  }
  if (messages !== undefined && messages !== null) {
    if (!Array.isArray(messages)) return 'messages must be a list';
    for (const [index, message] of messages.entries()) {
      const problem = describeInvalidMessage(message);
      if (problem) return `messages[${index}]: ${problem}`;
    }
  }
  const hasMessages = Array.isArray(messages) && messages.length > 0;
  if ((dialogAction.type === 'ElicitIntent' || dialogAction.type === 'ConfirmIntent') && !hasMessages) {
    return `messages are required when dialogAction.type is ${dialogAction.type}`;
  }
  return undefined;
}

function describeInvalidMessage(message: unknown): string | undefined {
  if (!isRecord(message)) return 'must be an object';
  const { contentType, content, imageResponseCard } = message;
  if (typeof contentType === 'string' && TEXT_CONTENT_TYPES.includes(contentType)) {
    return typeof content === 'string' && content.length > 0
      ? undefined
      : `content is required for ${contentType}`;
  }
  if (contentType === 'ImageResponseCard') return describeInvalidCard(imageResponseCard);
  return `contentType "${String(contentType)}" is not one of ${[...TEXT_CONTENT_TYPES, 'ImageResponseCard'].join(', ')}`;
}

function describeInvalidCard(card: unknown): string | undefined {
  if (!isRecord(card)) return 'imageResponseCard is required for ImageResponseCard';
  const { title, buttons } = card as Partial<Record<keyof LexV2ImageResponseCard, unknown>>;
  if (typeof title !== 'string' || title.length === 0) return 'imageResponseCard.title is required';
  if (buttons === undefined) return undefined;
  if (!Array.isArray(buttons) || buttons.length > 5)
    return 'imageResponseCard.buttons must be a list of at most 5';
  const valid = buttons.every(
    (button) => isRecord(button) && typeof button.text === 'string' && typeof button.value === 'string',
  );
  return valid ? undefined : 'each imageResponseCard button needs text and value';
}

/** What SigV4 verification needs, from either protocol; the path stays percent-encoded, as signed. */
function signedInput(request: LocalRequest, body: Buffer): SignedRequestInput {
  const rawUrl = request.url ?? '/';
  const queryStart = rawUrl.indexOf('?');
  return {
    method: request.method ?? 'GET',
    host: requestHost(request),
    path: queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart),
    query: new URLSearchParams(queryStart === -1 ? '' : rawUrl.slice(queryStart + 1)),
    headers: request.headers,
    body: new Uint8Array(body.buffer, body.byteOffset, body.length),
  };
}

function decodeLabel(label: string): string {
  try {
    return decodeURIComponent(label);
  } catch {
    return label;
  }
}

function notFound(message: string): LocalAwsError {
  return new LocalAwsError(404, 'ResourceNotFoundException', message);
}

function conflict(sessionId: string): LocalAwsError {
  return new LocalAwsError(409, 'ConflictException', `Concurrent client requests on session ${sessionId}.`);
}

function dependencyFailed(detail: string, cause?: unknown): LocalAwsError {
  return new LocalAwsError(424, 'DependencyFailedException', `Invalid Lambda Response: ${detail}`, { cause });
}

function internalError(error: unknown): LocalAwsError {
  return new LocalAwsError(500, 'InternalServerException', 'internal error in the local Lex runtime', {
    cause: error,
  });
}
