/**
 * The plugin's Lex V2 RecognizeText helper against the local Lex V2 runtime double (SigV4-checking,
 * Lex's routes, errors and session state) with a visitor's credentials from the local Cognito
 * double: what a page's `ask` does, and what the official SDK client gets for the same question.
 */
import { createServer } from 'node:net';
import { LexRuntimeV2Client, RecognizeTextCommand } from '@aws-sdk/client-lex-runtime-v2';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { type LocalCognitoIdentity, startLocalCognitoIdentity } from '../../cli/local-stack/cognito-identity';
import { CredentialStore } from '../../cli/local-stack/credentials';
import {
  type LexV2FulfillmentEvent,
  type LexV2FulfillmentResult,
  type LocalLexRuntime,
  startLocalLexRuntime,
} from '../../cli/local-stack/lex-runtime';
import { WebPluginError } from '../../web-plugin/errors';
import {
  answerText,
  LexRuntimeError,
  lexRuntimeEndpoint,
  type RecognizeTextOptions,
  recognizeText,
} from '../../web-plugin/lex-runtime';

const REGION = 'us-east-1';
const BOT = { botId: 'QNABOTLOC1', botAliasId: 'TSTALIASID', localeId: 'en_US' } as const;
const silent = { debug() {}, info() {}, warn() {}, error() {}, child: () => silent } as never;

/** GetCredentialsForIdentity's JSON `Credentials`, as a page's fetch receives it. */
interface CognitoJsonCredentials {
  AccessKeyId: string;
  SecretKey: string;
  SessionToken: string;
  /** Epoch seconds. */
  Expiration: number;
}

const credentials = new CredentialStore();
const events: LexV2FulfillmentEvent[] = [];
let cognito: LocalCognitoIdentity;
let lex: LocalLexRuntime;
let identityId: string;
let issued: CognitoJsonCredentials;

async function cognitoCall(operation: string, input: object): Promise<Record<string, unknown>> {
  const response = await fetch(cognito.endpoint, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.1',
      'x-amz-target': `AWSCognitoIdentityService.${operation}`,
    },
    body: JSON.stringify(input),
  });
  return (await response.json()) as Record<string, unknown>;
}

beforeAll(async () => {
  cognito = await startLocalCognitoIdentity({ credentials, region: REGION, logger: silent });
  lex = await startLocalLexRuntime({
    credentials,
    region: REGION,
    ...BOT,
    logger: silent,
    fulfill: async (event) => {
      events.push(event);
      const turns = Number(event.sessionState.sessionAttributes?.turns ?? '0') + 1;
      const result: LexV2FulfillmentResult = {
        sessionState: {
          sessionAttributes: { ...event.sessionState.sessionAttributes, turns: String(turns) },
          dialogAction: { type: 'Close' },
          intent: { name: event.sessionState.intent.name, state: 'Fulfilled', slots: {} },
        },
        messages: [
          { contentType: 'PlainText', content: `You asked: ${event.inputTranscript}` },
          { contentType: 'PlainText', content: ' ' },
          { contentType: 'CustomPayload', content: '{"more":"below"}' },
        ],
      };
      return result;
    },
  });
  const id = await cognitoCall('GetId', { IdentityPoolId: cognito.identityPoolId });
  identityId = id.IdentityId as string;
  const answer = await cognitoCall('GetCredentialsForIdentity', { IdentityId: identityId });
  issued = answer.Credentials as CognitoJsonCredentials;
});

afterAll(async () => {
  await lex?.stop();
  await cognito?.stop();
});

beforeEach(() => {
  events.length = 0;
});

/** The visitor's credentials provider, returning Cognito's JSON as it came (epoch-second expiration). */
const visitorCredentials = async () => ({
  accessKeyId: issued.AccessKeyId,
  secretAccessKey: issued.SecretKey,
  sessionToken: issued.SessionToken,
  expiration: issued.Expiration,
});

function ask(text: string, extra: Partial<RecognizeTextOptions> = {}) {
  return recognizeText({
    region: REGION,
    ...BOT,
    endpoint: lex.endpoint,
    sessionId: identityId,
    text,
    credentials: visitorCredentials,
    ...extra,
  });
}

it('asks the bot in the visitor session and returns what the official SDK client returns', async () => {
  // Prepare
  const sessionId = `${identityId}.sdk`;
  const sdk = new LexRuntimeV2Client({
    endpoint: lex.endpoint,
    region: REGION,
    maxAttempts: 1,
    requestHandler: new NodeHttpHandler(),
    credentials: {
      accessKeyId: issued.AccessKeyId,
      secretAccessKey: issued.SecretKey,
      sessionToken: issued.SessionToken,
    },
  });

  // Act
  const result = await ask('What is streaming?', {
    sessionState: { sessionAttributes: { topic: 'qna' } },
    requestAttributes: { 'x-amz-lex:channels:platform': 'Web' },
  });
  const helperTurn = events[0];
  const fromSdk = await sdk
    .send(new RecognizeTextCommand({ ...BOT, sessionId, text: 'What is streaming?' }))
    .finally(() => sdk.destroy());

  // Assess: the fulfillment got the question in the visitor's session, with the attributes
  expect(helperTurn).toMatchObject({
    sessionId: identityId,
    inputTranscript: 'What is streaming?',
    requestAttributes: { 'x-amz-lex:channels:platform': 'Web' },
    sessionState: { sessionAttributes: { topic: 'qna' } },
  });
  // … and the page gets Lex's answer, shaped as the SDK shapes it
  expect(result.sessionId).toBe(identityId);
  expect(result.messages).toEqual(fromSdk.messages);
  expect(result.sessionState?.sessionAttributes).toEqual({ topic: 'qna', turns: '1' });
  expect(result.sessionState?.intent).toMatchObject({ name: 'FallbackIntent', state: 'Fulfilled' });
  expect(result.interpretations?.[0]).toMatchObject({ intent: { name: 'FallbackIntent' } });
  expect(result.requestAttributes).toEqual({ 'x-amz-lex:channels:platform': 'Web' });
  expect(answerText(result)).toBe('You asked: What is streaming?\n\n{"more":"below"}');
});

it('takes plain credentials as well as a provider', async () => {
  // Act
  const result = await ask('plain', { credentials: await visitorCredentials() });

  // Assess
  expect(result.messages[0]?.content).toBe('You asked: plain');
});

it('reports a refused signature with the status and Lex error name, before the bot runs', async () => {
  // Act
  const call = ask('hello', {
    credentials: { accessKeyId: issued.AccessKeyId, secretAccessKey: `${issued.SecretKey}x` },
  });

  // Assess
  await expect(call).rejects.toBeInstanceOf(LexRuntimeError);
  await expect(call).rejects.toMatchObject({ status: 403 });
  await expect(call).rejects.toThrow(/^Lex RecognizeText failed with HTTP 403 \(\w+/);
  expect(events).toEqual([]);
});

it('names an unknown bot in the error', async () => {
  // Act
  const call = ask('hello', { botId: 'NOSUCHBOT1' });

  // Assess
  await expect(call).rejects.toMatchObject({ status: 404, awsCode: 'ResourceNotFoundException' });
  await expect(call).rejects.toThrow(
    'Lex RecognizeText failed with HTTP 404 (ResourceNotFoundException: Bot NOSUCHBOT1 not found.)',
  );
});

it('says which endpoint it could not reach when nothing listens there', async () => {
  // Prepare: a port that was free a moment ago
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));

  // Act
  const call = ask('hello', { endpoint: `http://127.0.0.1:${port}` });

  // Assess
  await expect(call).rejects.toBeInstanceOf(LexRuntimeError);
  await expect(call).rejects.toThrow(`Lex RecognizeText could not reach http://127.0.0.1:${port}: `);
  await expect(call).rejects.toMatchObject({ status: undefined });
});

it.each([
  ['an empty question', { text: '' }, 'recognizeText needs text, got ""'],
  ['no region', { region: undefined }, 'recognizeText needs region, got undefined'],
  ['a session id with a slash', { sessionId: 'a/b' }, 'sessionId must be 2-100 characters'],
  ['an endpoint that is no URL', { endpoint: '127.0.0.1:8080' }, 'endpoint must be an http(s) URL'],
])('refuses %s without sending anything', async (_case, extra, message) => {
  // Act
  const call = ask('hello', extra as Partial<RecognizeTextOptions>);

  // Assess
  await expect(call).rejects.toBeInstanceOf(WebPluginError);
  await expect(call).rejects.toMatchObject({ code: 'BAD_OPTION' });
  await expect(call).rejects.toThrow(message);
  expect(events).toEqual([]);
});

it('without an endpoint, signs for and posts to the region’s Lex V2 runtime', async () => {
  // Prepare: AWS cannot run here, so the request is captured at fetch
  const requests: { url: string; headers: Record<string, string> }[] = [];
  const capture = async (url: string, init: RequestInit) => {
    requests.push({ url, headers: init.headers as Record<string, string> });
    return new Response('{"sessionId":"s","messages":[]}', { status: 200 });
  };

  // Act
  await recognizeText({
    region: 'eu-west-2',
    ...BOT,
    sessionId: 'eu-west-2:1234-abcd',
    text: 'hello',
    credentials: { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' },
    fetch: capture,
  });

  // Assess
  expect(lexRuntimeEndpoint('eu-west-2')).toBe('https://runtime-v2-lex.eu-west-2.amazonaws.com');
  expect(requests.map((request) => request.url)).toEqual([
    'https://runtime-v2-lex.eu-west-2.amazonaws.com/bots/QNABOTLOC1/botAliases/TSTALIASID/botLocales/en_US/sessions/eu-west-2%3A1234-abcd/text',
  ]);
  expect(requests[0]?.headers.authorization).toMatch(
    /Credential=ASIAEXAMPLE\/\d{8}\/eu-west-2\/lex\/aws4_request/,
  );
  expect(requests[0]?.headers['x-amz-security-token']).toBe('token');
  expect(Object.keys(requests[0]?.headers ?? {})).not.toContain('host');
});
