import type { LexV2Event } from 'aws-lambda';
import { readPublisherConfig } from '../../functions/shared/config';
import { createLogger } from '../../functions/shared/logger';
import { resolveModelSettings } from '../../functions/streaming/integrations/answer-flows';
import {
  EMPTY_ANSWER_MESSAGE,
  lexV2CloseResponse,
  readLexV2Event,
} from '../../functions/streaming/integrations/lex-v2';
import { applyAnswerToQnabotEvent, readQnabotHookEvent } from '../../functions/streaming/integrations/qnabot';
import { checkStreamingAttributes } from '../../functions/streaming/integrations/session-attributes';

const config = readPublisherConfig({
  STREAMING_TABLE_NAME: 'sessions',
  STREAMING_CALLBACK_URL: 'https://abc123.execute-api.us-east-1.amazonaws.com/Prod',
  STREAMING_WEBSOCKET_ENDPOINT: 'wss://abc123.execute-api.us-east-1.amazonaws.com/Prod',
  STREAMING_MODEL_ID: 'env-model',
});

describe('readPublisherConfig', () => {
  it('treats an empty callback URL and table as streaming off, not as an error', () => {
    const off = readPublisherConfig({
      STREAMING_TABLE_NAME: '',
      STREAMING_CALLBACK_URL: '',
      STREAMING_WEBSOCKET_ENDPOINT: '',
      STREAMING_MODEL_ID: 'env-model',
    });
    expect(off).toMatchObject({
      streamingEnabled: false,
      tableName: '',
      callbackUrl: '',
      modelId: 'env-model',
    });
    expect(config.streamingEnabled).toBe(true);
  });

  it('refuses a half-wired pair at cold start, naming both settings', () => {
    for (const env of [
      { STREAMING_TABLE_NAME: 't', STREAMING_CALLBACK_URL: '' },
      { STREAMING_CALLBACK_URL: 'https://x/Prod' },
    ]) {
      expect(() => readPublisherConfig(env)).toThrow(
        /STREAMING_CALLBACK_URL and STREAMING_TABLE_NAME must both be set .* or both be empty/,
      );
    }
    expect(() => readPublisherConfig({ STREAMING_TABLE_NAME: 't' })).toThrow(
      'STREAMING_CALLBACK_URL is empty',
    );
    expect(() =>
      readPublisherConfig({ STREAMING_TABLE_NAME: 't', STREAMING_CALLBACK_URL: 'ftp://x' }),
    ).toThrow(/ftp:\/\/x/);
  });
});

describe('QnABot hook helpers', () => {
  it('reads the Lex V2 session id, the question, attributes and JSON hook arguments', () => {
    const event = {
      req: {
        question: 'What is streaming?',
        _event: {
          sessionId: 'us-east-1:abc',
          sessionState: { sessionAttributes: { streamingEndpoint: 'x' } },
        },
        _settings: { STREAMING_SYSTEM_PROMPT: 'Be brief.' },
      },
      res: { message: 'placeholder', result: { args: ['{"modelId":"arg-model","maxTokens":"200"}'] } },
    };
    const request = readQnabotHookEvent(event);
    expect(request).toMatchObject({
      sessionId: 'us-east-1:abc',
      question: 'What is streaming?',
      sessionAttributes: { streamingEndpoint: 'x' },
      args: { modelId: 'arg-model', maxTokens: '200' },
    });
    expect(resolveModelSettings(config, request.args, request.settings)).toEqual({
      modelId: 'arg-model',
      maxTokens: 200,
      system: 'Be brief.',
    });
  });

  it('falls back to the Lex V1 userId and to the environment model', () => {
    const request = readQnabotHookEvent({ req: { question: 'q', _event: { userId: 'v1-user' } }, res: {} });
    expect(request.sessionId).toBe('v1-user');
    expect(resolveModelSettings(config, request.args, request.settings).modelId).toBe('env-model');
  });

  it('refuses an event without any session id', () => {
    expect(() => readQnabotHookEvent({ req: { question: 'q', _event: {} }, res: {} })).toThrow(/sessionId/);
  });

  it('writes the answer to res.message and the markdown alternative, keeping other appContext fields', () => {
    const event = {
      req: {},
      res: {
        message: 'old',
        session: { appContext: JSON.stringify({ altMessages: { ssml: '<speak/>' }, x: 1 }) },
      },
    };
    const out = applyAnswerToQnabotEvent(event, { text: '**Answer**' });
    expect(out.res.message).toBe('**Answer**');
    expect(out.res.session?.appContext).toEqual({
      x: 1,
      altMessages: { ssml: '<speak/>', markdown: '**Answer**' },
    });
  });
});

describe('Lex V2 helpers', () => {
  const event = {
    sessionId: 'sess-1',
    inputTranscript: '  hello there ',
    sessionState: {
      sessionAttributes: { a: '1' },
      intent: { name: 'FallbackIntent', slots: {}, state: 'InProgress' },
    },
  } as unknown as LexV2Event;

  it('reads session id and transcript, and closes the intent with the answer', () => {
    expect(readLexV2Event(event)).toEqual({
      sessionId: 'sess-1',
      inputTranscript: 'hello there',
      sessionAttributes: { a: '1' },
      intentName: 'FallbackIntent',
    });
    expect(lexV2CloseResponse(event, 'The **answer**')).toEqual({
      sessionState: {
        sessionAttributes: {
          a: '1',
          appContext: JSON.stringify({ altMessages: { markdown: 'The **answer**' } }),
        },
        dialogAction: { type: 'Close' },
        intent: { name: 'FallbackIntent', state: 'Fulfilled', slots: {} },
      },
      messages: [{ contentType: 'PlainText', content: 'The **answer**' }],
    });
  });

  it('gives Lex Web UI the answer as markdown in appContext, keeping what the session had there', () => {
    // Prepare: a session whose appContext carries other fields (QnABot's responseCard, an html alt)
    const attributes = {
      a: '1',
      appContext: JSON.stringify({ responseCard: { title: 'card' }, altMessages: { html: '<b>old</b>' } }),
    };

    // Act
    const response = lexV2CloseResponse(event, '- one\n- two', attributes);

    // Assess: what Lex Web UI's postTextMessage parses into the message's alts
    const appContext = JSON.parse(response.sessionState.sessionAttributes?.appContext ?? '{}');
    expect(appContext).toEqual({
      responseCard: { title: 'card' },
      altMessages: { html: '<b>old</b>', markdown: '- one\n- two' },
    });
    expect(response.sessionState.sessionAttributes?.a).toBe('1');
  });

  it('leaves the markdown out of an answer too long for Lex’s session attributes; the answer itself is whole', () => {
    // Prepare: about 12.5 KB of answer, which appContext would carry a second time (escaped)
    const long = 'A line of a long answer with "quotes".\n'.repeat(320);

    // Act
    const fitting = lexV2CloseResponse(event, long.slice(0, 4000), { a: '1' });
    const tooLong = lexV2CloseResponse(event, long, { a: '1' });

    // Assess
    expect(JSON.parse(fitting.sessionState.sessionAttributes?.appContext ?? '{}').altMessages.markdown).toBe(
      long.slice(0, 4000),
    );
    expect(tooLong.sessionState.sessionAttributes).toEqual({ a: '1' });
    expect(tooLong.messages).toEqual([{ contentType: 'PlainText', content: long }]);
  });

  it('leaves an appContext that is not a JSON object as it was, and adds none when asked not to', () => {
    // Act
    const broken = lexV2CloseResponse(event, 'x', { appContext: 'not json' });
    const list = lexV2CloseResponse(event, 'x', { appContext: '[1]' });
    const off = lexV2CloseResponse(event, 'x', { a: '1' }, { markdownAlternative: false });

    // Assess
    expect(broken.sessionState.sessionAttributes).toEqual({ appContext: 'not json' });
    expect(list.sessionState.sessionAttributes).toEqual({ appContext: '[1]' });
    expect(off.sessionState.sessionAttributes).toEqual({ a: '1' });
  });

  it('never returns an empty message (Lex refuses it)', () => {
    expect(lexV2CloseResponse(event, '').messages).toEqual([
      { contentType: 'PlainText', content: EMPTY_ANSWER_MESSAGE },
    ]);
  });
});

describe('checkStreamingAttributes', () => {
  const lines: string[] = [];
  const logger = createLogger({ service: 'test', write: (line) => lines.push(line) });

  it("accepts Lex Web UI's attributes when they name the configured endpoint (https form) and table", () => {
    const check = checkStreamingAttributes(
      {
        streamingEndpoint: 'https://abc123.execute-api.us-east-1.amazonaws.com/Prod/',
        streamingDynamoDbTable: 'sessions',
      },
      config,
      logger,
    );
    expect(check.ignored).toEqual([]);
  });

  it('ignores, with a warning, attributes naming another endpoint or table', () => {
    lines.length = 0;
    const check = checkStreamingAttributes(
      { streamingEndpoint: 'https://evil.example.com/Prod', streamingDynamoDbTable: 'other' },
      config,
      logger,
    );
    expect(check.ignored).toEqual(['streamingEndpoint', 'streamingDynamoDbTable']);
    expect(lines.map((line) => JSON.parse(line).level)).toEqual(['warn', 'warn']);
  });
});
