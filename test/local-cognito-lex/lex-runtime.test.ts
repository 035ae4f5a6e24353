import {
  CognitoIdentityClient,
  GetCredentialsForIdentityCommand,
  GetIdCommand,
} from '@aws-sdk/client-cognito-identity';
import {
  ConflictException,
  DeleteSessionCommand,
  DependencyFailedException,
  GetSessionCommand,
  LexRuntimeV2Client,
  type LexRuntimeV2ServiceException,
  RecognizeTextCommand,
  type RecognizeTextCommandInput,
  ResourceNotFoundException,
  ValidationException,
} from '@aws-sdk/client-lex-runtime-v2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type LocalCognitoIdentity, startLocalCognitoIdentity } from '../../cli/local-stack/cognito-identity';
import { CredentialStore } from '../../cli/local-stack/credentials';
import {
  type LexV2FulfillmentEvent,
  type LexV2FulfillmentResult,
  type LocalLexRuntime,
  startLocalLexRuntime,
} from '../../cli/local-stack/lex-runtime';

const REGION = 'us-east-1';
/**
 * In Node the Lex V2 client defaults to HTTP/2; a browser's fetch speaks HTTP/1.1 to `http://`.
 * The browser path is the product's, so the suite runs on HTTP/1.1; one test covers HTTP/2.
 */
const http1 = () => new NodeHttpHandler();
const BOT = { botId: 'QNABOTLOC1', botAliasId: 'TSTALIASID', localeId: 'en_US' } as const;

type FulfillBehaviour = (event: LexV2FulfillmentEvent, signal: AbortSignal) => Promise<unknown>;

/** A QnABot-like fulfillment: answers, counts the turns in a session attribute. */
const answerAndCountTurns: FulfillBehaviour = async (event) => {
  const turns = Number(event.sessionState.sessionAttributes?.turns ?? '0') + 1;
  const result: LexV2FulfillmentResult = {
    sessionState: {
      sessionAttributes: { ...event.sessionState.sessionAttributes, turns: String(turns) },
      dialogAction: { type: 'Close' },
      intent: { name: event.sessionState.intent.name, state: 'Fulfilled', slots: {} },
    },
    messages: [{ contentType: 'PlainText', content: `You asked: ${event.inputTranscript}` }],
  };
  return result;
};

describe('local Lex V2 runtime', () => {
  const credentials = new CredentialStore();
  const events: LexV2FulfillmentEvent[] = [];
  let behaviour: FulfillBehaviour = answerAndCountTurns;
  let cognito: LocalCognitoIdentity;
  let lex: LocalLexRuntime;
  let identityId: string;
  let client: LexRuntimeV2Client;

  beforeAll(async () => {
    cognito = await startLocalCognitoIdentity({ credentials, region: REGION });
    lex = await startLocalLexRuntime({
      credentials,
      region: REGION,
      ...BOT,
      botName: 'QnABot_Local',
      fulfillmentTimeoutMs: 300,
      fulfill: async (event, { signal }) => {
        events.push(event);
        return (await behaviour(event, signal)) as LexV2FulfillmentResult;
      },
      logger: { debug() {}, info() {}, warn() {}, error() {}, child: () => ({}) as never },
    });
    // The browser flow without @aws-sdk/credential-providers: GetId, then GetCredentialsForIdentity.
    const cognitoClient = new CognitoIdentityClient({ endpoint: cognito.endpoint, region: REGION });
    const id = await cognitoClient.send(new GetIdCommand({ IdentityPoolId: cognito.identityPoolId }));
    const issued = await cognitoClient.send(
      new GetCredentialsForIdentityCommand({ IdentityId: id.IdentityId }),
    );
    cognitoClient.destroy();
    identityId = id.IdentityId as string;
    client = new LexRuntimeV2Client({
      endpoint: lex.endpoint,
      region: REGION,
      maxAttempts: 1,
      requestHandler: http1(),
      credentials: {
        accessKeyId: issued.Credentials?.AccessKeyId as string,
        secretAccessKey: issued.Credentials?.SecretKey as string,
        sessionToken: issued.Credentials?.SessionToken as string,
        expiration: issued.Credentials?.Expiration as Date,
      },
    });
  });

  afterAll(async () => {
    client.destroy();
    await lex.stop();
    await cognito.stop();
  });

  beforeEach(() => {
    events.length = 0;
    behaviour = answerAndCountTurns;
  });

  const recognize = (text: string, extra: Partial<RecognizeTextCommandInput> = {}) =>
    client.send(new RecognizeTextCommand({ ...BOT, sessionId: identityId, text, ...extra }));

  it('hands a signed utterance to the fulfillment as a Lex V2 code-hook event and returns its answer', async () => {
    // Act
    const answer = await recognize('What is streaming?', {
      sessionState: { sessionAttributes: { topic: 'qna', turns: '0' } },
      requestAttributes: { 'x-amz-lex:channels:platform': 'Web' },
    });

    // Assess: the event is what a Lex V2 fulfillment Lambda receives.
    expect(events).toHaveLength(1);
    const event = events[0] as LexV2FulfillmentEvent;
    expect(event).toMatchObject({
      messageVersion: '1.0',
      invocationSource: 'FulfillmentCodeHook',
      inputMode: 'Text',
      responseContentType: 'text/plain; charset=utf-8',
      sessionId: identityId,
      inputTranscript: 'What is streaming?',
      bot: {
        id: 'QNABOTLOC1',
        name: 'QnABot_Local',
        aliasId: 'TSTALIASID',
        localeId: 'en_US',
        version: 'DRAFT',
      },
      requestAttributes: { 'x-amz-lex:channels:platform': 'Web' },
      sessionState: {
        sessionAttributes: { topic: 'qna', turns: '0' },
        activeContexts: [],
        intent: {
          name: 'FallbackIntent',
          slots: {},
          state: 'ReadyForFulfillment',
          confirmationState: 'None',
        },
      },
    });
    expect(event.interpretations[0]?.intent.name).toBe('FallbackIntent');
    expect(event.proposedNextState).toBeUndefined();
    expect(event.sessionState.originatingRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event.transcriptions[0]?.transcription).toBe('What is streaming?');

    // Assess: the SDK parses the answer as Lex's.
    expect(answer.sessionId).toBe(identityId);
    expect(answer.messages).toEqual([{ contentType: 'PlainText', content: 'You asked: What is streaming?' }]);
    expect(answer.sessionState?.dialogAction?.type).toBe('Close');
    expect(answer.sessionState?.intent).toMatchObject({ name: 'FallbackIntent', state: 'Fulfilled' });
    expect(answer.sessionState?.sessionAttributes).toEqual({ topic: 'qna', turns: '1' });
    expect(answer.interpretations?.[0]?.intent?.name).toBe('FallbackIntent');
    expect(answer.requestAttributes).toEqual({ 'x-amz-lex:channels:platform': 'Web' });
  });

  it('keeps the session attributes for the next turn, as Lex does', async () => {
    // Prepare
    const sessionId = `${identityId}-persist`;
    await recognize('first', { sessionId, sessionState: { sessionAttributes: { topic: 'qna' } } });

    // Act: the second turn sends no session state at all.
    const second = await recognize('second', { sessionId });
    const stored = await client.send(new GetSessionCommand({ ...BOT, sessionId }));

    // Assess
    expect(events[1]?.sessionState.sessionAttributes).toEqual({ topic: 'qna', turns: '1' });
    expect(second.sessionState?.sessionAttributes).toEqual({ topic: 'qna', turns: '2' });
    expect(stored.sessionState?.sessionAttributes).toEqual({ topic: 'qna', turns: '2' });
    expect(stored.messages?.[0]?.content).toBe('You asked: second');
  });

  it('forgets a session left idle longer than the idle session timeout', async () => {
    // Prepare
    let clock = Date.now();
    const idleLex = await startLocalLexRuntime({
      credentials,
      region: REGION,
      ...BOT,
      idleSessionTtlSeconds: 300,
      now: () => clock,
      fulfill: async (event) => {
        events.push(event);
        return (await answerAndCountTurns(event, new AbortController().signal)) as LexV2FulfillmentResult;
      },
    });
    const idleClient = new LexRuntimeV2Client({
      endpoint: idleLex.endpoint,
      region: REGION,
      requestHandler: http1(),
      credentials: client.config.credentials,
    });
    const send = (text: string) =>
      idleClient.send(new RecognizeTextCommand({ ...BOT, sessionId: identityId, text }));
    try {
      await send('first');
      clock += 299_000;
      await send('within five minutes');

      // Act
      clock += 301_000;
      await send('after six idle minutes');

      // Assess
      expect(events.map((event) => event.sessionState.sessionAttributes)).toEqual([{}, { turns: '1' }, {}]);
    } finally {
      idleClient.destroy();
      await idleLex.stop();
    }
  });

  it('forgets a deleted session', async () => {
    // Prepare
    const sessionId = `${identityId}-delete`;
    await recognize('hello', { sessionId, sessionState: { sessionAttributes: { topic: 'qna' } } });

    // Act
    const deleted = await client.send(new DeleteSessionCommand({ ...BOT, sessionId }));
    const lookup = await client
      .send(new GetSessionCommand({ ...BOT, sessionId }))
      .catch((error: unknown) => error);
    await recognize('hello again', { sessionId });

    // Assess
    expect(deleted).toMatchObject({ ...BOT, sessionId });
    expect(lookup).toBeInstanceOf(ResourceNotFoundException);
    expect(events[1]?.sessionState.sessionAttributes).toEqual({});
  });

  it.each([
    ['a bot', { botId: 'UNKNOWNBOT' }],
    ['an alias', { botAliasId: 'OTHERALIAS' }],
    ['a locale', { localeId: 'fr_FR' }],
  ])('answers ResourceNotFoundException (404) for an unknown %s', async (_, override) => {
    // Act
    const attempt = recognize('hello', override);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(attempt).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    expect(events).toHaveLength(0);
  });

  it.each([
    ['empty text', ''],
    ['text over 1024 characters', 'x'.repeat(1025)],
  ])('answers ValidationException (400) for %s', async (_, text) => {
    // Act
    const attempt = recognize(text);

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ValidationException);
    await expect(attempt).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    expect(events).toHaveLength(0);
  });

  it('accepts text of exactly 1024 characters', async () => {
    // Act
    const answer = await recognize('y'.repeat(1024));

    // Assess
    expect(events[0]?.inputTranscript).toHaveLength(1024);
    expect(answer.messages).toHaveLength(1);
  });

  it.each<[string, FulfillBehaviour]>([
    ['throws', async () => Promise.reject(new TypeError('boom'))],
    ['returns no sessionState', async () => ({ messages: [{ contentType: 'PlainText', content: 'hi' }] })],
    [
      'returns an unknown dialog action',
      async () => ({ sessionState: { dialogAction: { type: 'Finish' } } }),
    ],
    [
      'returns a message of an unknown content type',
      async () => ({
        sessionState: {
          dialogAction: { type: 'Close' },
          intent: { name: 'FallbackIntent', state: 'Fulfilled' },
        },
        messages: [{ contentType: 'Markdown', content: '**hi**' }],
      }),
    ],
    [
      'returns a number as a session attribute',
      async () => ({ sessionState: { dialogAction: { type: 'Close' }, sessionAttributes: { turns: 1 } } }),
    ],
    [
      'elicits an intent without a message',
      async () => ({ sessionState: { dialogAction: { type: 'ElicitIntent' } } }),
    ],
    [
      'answers later than the timeout',
      (_, signal) => new Promise((resolve) => signal.addEventListener('abort', () => resolve({}))),
    ],
  ])('answers DependencyFailedException (424) when the fulfillment %s', async (_, failing) => {
    // Prepare
    behaviour = failing;
    const sessionId = `${identityId}-failing`;

    // Act
    const attempt = recognize('hello', { sessionId });

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(DependencyFailedException);
    await expect(attempt).rejects.toMatchObject({ $metadata: { httpStatusCode: 424 } });
    expect(events).toHaveLength(1);
  });

  it('passes image response cards and custom payloads through', async () => {
    // Prepare
    behaviour = async () => ({
      sessionState: {
        dialogAction: { type: 'Close' },
        intent: { name: 'FallbackIntent', state: 'Fulfilled' },
      },
      messages: [
        { contentType: 'CustomPayload', content: '{"markdown":"**hi**"}' },
        {
          contentType: 'ImageResponseCard',
          imageResponseCard: { title: 'Was this helpful?', buttons: [{ text: 'Yes', value: 'thumbs up' }] },
        },
      ],
    });

    // Act
    const answer = await recognize('hello');

    // Assess
    expect(answer.messages).toEqual([
      { contentType: 'CustomPayload', content: '{"markdown":"**hi**"}' },
      {
        contentType: 'ImageResponseCard',
        imageResponseCard: { title: 'Was this helpful?', buttons: [{ text: 'Yes', value: 'thumbs up' }] },
      },
    ]);
  });

  it('refuses a second request on a session while the first is still being fulfilled', async () => {
    // Prepare
    let release: () => void = () => {};
    behaviour = async (event) => {
      await new Promise<void>((resolve) => {
        release = resolve;
      });
      return answerAndCountTurns(event, new AbortController().signal);
    };
    const sessionId = `${identityId}-busy`;
    const first = recognize('first', { sessionId });
    await waitFor(() => events.length === 1);

    // Act
    const second = recognize('second', { sessionId });

    // Assess
    await expect(second).rejects.toBeInstanceOf(ConflictException);
    release();
    await expect(first).resolves.toMatchObject({ sessionId });
  });

  it('answers the browser preflight unsigned, so a page on another origin can call it', async () => {
    // Act
    const preflight = await fetch(
      `${lex.endpoint}/bots/${BOT.botId}/botAliases/${BOT.botAliasId}/botLocales/${BOT.localeId}/sessions/${identityId}/text`,
      {
        method: 'OPTIONS',
        headers: {
          origin: 'http://127.0.0.1:5173',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type,x-amz-date,x-amz-security-token',
        },
      },
    );

    // Assess
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('x-amz-security-token');
  });

  // Over HTTP/2 the SDK signs `:authority` instead of `host`; the verifier accepts both, as AWS does.
  it('answers a Node client on the SDK default (HTTP/2) too', async () => {
    // Prepare
    const http2Client = new LexRuntimeV2Client({
      endpoint: lex.endpoint,
      region: REGION,
      maxAttempts: 1,
      credentials: client.config.credentials,
    });
    try {
      // Act
      const answer = await http2Client.send(
        new RecognizeTextCommand({ ...BOT, sessionId: `${identityId}-h2`, text: 'over http2' }),
      );

      // Assess
      expect(answer.messages?.[0]?.content).toBe('You asked: over http2');
    } finally {
      http2Client.destroy();
    }
  });

  it('refuses unsigned and badly signed requests with 403 before reaching the fulfillment', async () => {
    // Prepare
    const unsigned = new LexRuntimeV2Client({
      endpoint: lex.endpoint,
      region: REGION,
      maxAttempts: 1,
      requestHandler: http1(),
      credentials: { accessKeyId: 'AKIANOTREGISTERED001', secretAccessKey: 'x' },
    });
    const wrongSecret = new LexRuntimeV2Client({
      endpoint: lex.endpoint,
      region: REGION,
      maxAttempts: 1,
      requestHandler: http1(),
      credentials: async () => {
        const real = await client.config.credentials();
        return { ...real, secretAccessKey: `${real.secretAccessKey}x` };
      },
    });
    const input = { ...BOT, sessionId: identityId, text: 'hello' };

    try {
      // Act
      const raw = await fetch(
        `${lex.endpoint}/bots/${BOT.botId}/botAliases/${BOT.botAliasId}/botLocales/${BOT.localeId}/sessions/${identityId}/text`,
        { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"hello"}' },
      );
      const unknownKey = unsigned.send(new RecognizeTextCommand(input));
      const badSignature = wrongSecret.send(new RecognizeTextCommand(input));

      // Assess
      expect(raw.status).toBe(403);
      expect(raw.headers.get('access-control-allow-origin')).toBe('*');
      expect(raw.headers.get('x-amzn-errortype')).toBe('MissingAuthenticationTokenException');
      await expect(unknownKey).rejects.toMatchObject({ $metadata: { httpStatusCode: 403 } });
      const error = (await badSignature.catch((caught: unknown) => caught)) as LexRuntimeV2ServiceException;
      expect(error.$metadata.httpStatusCode).toBe(403);
      expect(error.name).toBe('SignatureDoesNotMatch');
      expect(events).toHaveLength(0);
    } finally {
      unsigned.destroy();
      wrongSecret.destroy();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
