import {
  type BedrockAgentRuntimeClient,
  DependencyFailedException,
  RetrieveAndGenerateStreamCommand,
  type RetrieveAndGenerateStreamCommandInput,
  type RetrieveAndGenerateStreamCommandOutput,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-agent-runtime';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { DEFAULT_BEHAVIOUR } from '../../cli/local-stack/bedrock/behaviour';
import type { LocalBedrock } from '../../cli/local-stack/bedrock/server';
import { FALLBACK_ANSWER, KNOWLEDGE_BASE_ENTRIES } from '../../cli/local-stack/knowledge-base/entries';
import { tokenize } from '../../cli/local-stack/knowledge-base/tokenizer';
import { agentRuntimeClient, startDouble } from './support';

const MODEL_ARN = 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0';
const KNOWLEDGE_BASE_ID = 'LOCALKB001';
const QUESTION = 'How can I cancel an answer while it streams?';
const CANCEL_ANSWER = KNOWLEDGE_BASE_ENTRIES.find((entry) => entry.slug === 'cancel-answer')
  ?.answer as string;

let bedrock: LocalBedrock;
let client: BedrockAgentRuntimeClient;

beforeAll(async () => {
  ({ bedrock } = await startDouble());
  client = agentRuntimeClient(bedrock, { maxAttempts: 1 });
});

afterAll(async () => {
  client.destroy();
  await bedrock.stop();
});

beforeEach(() => {
  bedrock.setBehaviour({
    ...DEFAULT_BEHAVIOUR,
    timeToFirstTokenMs: 0,
    tokensPerSecond: Number.POSITIVE_INFINITY,
  });
});

function ask(
  text: string,
  change: (input: RetrieveAndGenerateStreamCommandInput) => void = () => {},
): RetrieveAndGenerateStreamCommand {
  const input: RetrieveAndGenerateStreamCommandInput = {
    input: { text },
    retrieveAndGenerateConfiguration: {
      type: 'KNOWLEDGE_BASE',
      knowledgeBaseConfiguration: { knowledgeBaseId: KNOWLEDGE_BASE_ID, modelArn: MODEL_ARN },
    },
  };
  change(input);
  return new RetrieveAndGenerateStreamCommand(input);
}

type StreamEvent =
  NonNullable<RetrieveAndGenerateStreamCommandOutput['stream']> extends AsyncIterable<infer E> ? E : never;

async function collect(response: RetrieveAndGenerateStreamCommandOutput) {
  const events: StreamEvent[] = [];
  let error: unknown;
  try {
    for await (const event of response.stream ?? []) events.push(event);
  } catch (caught) {
    error = caught;
  }
  const text = events.map((event) => event.output?.text ?? '').join('');
  return { sessionId: response.sessionId, events, text, error };
}

describe('RetrieveAndGenerateStream through the real BedrockAgentRuntimeClient (HTTP/2)', () => {
  it('streams output events that concatenate to the answer, then cites the matched documents', async () => {
    // Act
    const result = await collect(await client.send(ask(QUESTION)));

    // Assess
    expect(result.error).toBeUndefined();
    expect(result.text).toBe(CANCEL_ANSWER);
    expect(result.sessionId).toMatch(/^[0-9a-f-]{36}$/);
    const citations = result.events.filter((event) => event.citation);
    expect(citations).toHaveLength(1);
    const citation = citations[0]?.citation;
    expect(citation?.citation?.generatedResponsePart?.textResponsePart).toEqual({
      text: CANCEL_ANSWER,
      span: { start: 0, end: CANCEL_ANSWER.length - 1 },
    });
    const [first] = citation?.retrievedReferences ?? [];
    expect(first?.content?.text).toBe(CANCEL_ANSWER);
    expect(first?.location).toEqual({
      type: 'S3',
      s3Location: { uri: 's3://local-knowledge-base/cancel-answer.md' },
    });
    expect(first?.metadata).toEqual(
      expect.objectContaining({
        'x-amz-bedrock-kb-source-uri': 's3://local-knowledge-base/cancel-answer.md',
      }),
    );
    expect(citation?.citation?.retrievedReferences).toEqual(citation?.retrievedReferences);
    expect(result.events.at(-1)?.citation).toBeDefined();
  });

  it('keeps the session id the caller passes', async () => {
    const result = await collect(
      await client.send(
        ask(QUESTION, (input) => {
          input.sessionId = 'session-123';
        }),
      ),
    );

    expect(result.sessionId).toBe('session-123');
  });

  it('reports the guardrail verdict when the request names a guardrail', async () => {
    const result = await collect(
      await client.send(
        ask(QUESTION, (input) => {
          const configuration = input.retrieveAndGenerateConfiguration?.knowledgeBaseConfiguration;
          if (configuration) {
            configuration.generationConfiguration = {
              guardrailConfiguration: { guardrailId: 'gr123', guardrailVersion: '1' },
            };
          }
        }),
      ),
    );

    expect(result.events.at(-1)?.guardrail).toEqual({ action: 'NONE' });
  });

  it('answers politely, without citations, when nothing in the knowledge base matches', async () => {
    const result = await collect(await client.send(ask('Recommend a recipe with bananas')));

    expect(result.text).toBe(FALLBACK_ANSWER);
    expect(result.events.some((event) => event.citation)).toBe(false);
  });

  it('serves HTTP/1.1 clients too (NodeHttpHandler)', async () => {
    const http1Client = agentRuntimeClient(bedrock, {
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler(),
    });

    const result = await collect(await http1Client.send(ask(QUESTION)));
    http1Client.destroy();

    expect(result.text).toBe(CANCEL_ANSWER);
  });
});

describe('RetrieveAndGenerateStream faults', () => {
  it('throttles with a typed ThrottlingException (HTTP 429)', async () => {
    bedrock.setBehaviour({ throttleRequests: 1 });

    const error = await client.send(ask(QUESTION)).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ThrottlingException);
    expect((error as ThrottlingException).$metadata.httpStatusCode).toBe(429);
  });

  it('fails mid-stream with a typed DependencyFailedException after K tokens', async () => {
    bedrock.setBehaviour({ failAfterTokens: 4 });

    const result = await collect(await client.send(ask(QUESTION)));

    expect(result.error).toBeInstanceOf(DependencyFailedException);
    expect(result.text).toBe(tokenize(CANCEL_ANSWER).slice(0, 4).join(''));
  });

  it.each([
    [
      'an unknown model',
      (input: RetrieveAndGenerateStreamCommandInput) => {
        const configuration = input.retrieveAndGenerateConfiguration?.knowledgeBaseConfiguration;
        if (configuration)
          configuration.modelArn = 'arn:aws:bedrock:us-east-1::foundation-model/acme.nothing-v1';
      },
    ],
    [
      'a malformed knowledge base id',
      (input: RetrieveAndGenerateStreamCommandInput) => {
        const configuration = input.retrieveAndGenerateConfiguration?.knowledgeBaseConfiguration;
        if (configuration) configuration.knowledgeBaseId = 'not a kb id';
      },
    ],
  ])('refuses %s with ValidationException (HTTP 400)', async (_case, change) => {
    const error = await client.send(ask(QUESTION, change)).catch((caught: unknown) => caught);

    expect(error).toBeInstanceOf(ValidationException);
    expect((error as ValidationException).$metadata.httpStatusCode).toBe(400);
  });
});
