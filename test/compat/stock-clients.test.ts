/**
 * The neighbours, unmodified, against the local stack: stock Lex Web UI 0.24.1's socket and typing
 * bubble (lex-web-ui-client.ts, modelled from its source) and QnABot 7.4's own fulfillment
 * streaming (`GetItem {sessionId}` → `connectionId`, then one raw PostToConnection per model chunk,
 * upstream source/lambda/es-proxy-layer/lib/getConnectionId.js and lib/bedrock/bedrockClient.js
 * `converseStream`), reproduced here from reading them.
 */
import {
  ApiGatewayManagementApiClient,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { type LocalStack, startLocalStack } from '../../cli/local-stack/stack';
import { END_OF_TEXT_MARKER } from '../../functions/streaming/pipeline/text-protocol';
import { newVisitor } from '../../scripts/bench/visitor';
import { type LexWebUiClient as Client, LexWebUiClient, type LexWebUiCredentials } from './lex-web-ui-client';

let stack: LocalStack;
const clients: Client[] = [];

beforeAll(async () => {
  // A realistic pace: about 30 tokens per second, so an answer streams for a few seconds.
  stack = await startLocalStack({ modelBehaviour: { timeToFirstTokenMs: 200, tokensPerSecond: 30 } });
}, 60_000);

afterAll(async () => {
  for (const client of clients) client.close();
  await stack.stop();
});

/** An unauthenticated Cognito visitor, as Lex Web UI's default configuration gets one (no identityId given). */
async function visitorCredentials(): Promise<LexWebUiCredentials> {
  return (await newVisitor(stack.endpoints)).credentials;
}

function lexWebUi(credentials: LexWebUiCredentials, userId?: string): LexWebUiClient {
  const { endpoints } = stack;
  const client = new LexWebUiClient(
    {
      region: endpoints.region,
      streamingWebSocketEndpoint: endpoints.webSocketUrl,
      streamingDynamoDbTable: '',
      lexRuntime: endpoints.lexRuntime,
      botId: endpoints.botId,
      botAliasId: endpoints.botAliasId,
      localeId: endpoints.localeId,
    },
    credentials,
    userId,
  );
  clients.push(client);
  return client;
}

describe('stock Lex Web UI 0.24.1', () => {
  it('connects with its lex-web-ui-XXXX session id and a port-less signature, and pings on open', async () => {
    // Prepare
    const credentials = await visitorCredentials();
    const client = lexWebUi(credentials);

    // Act
    await client.connect();

    // Assess
    expect(client.userId).toMatch(/^lex-web-ui-[0-9a-f]{4}$/);
    expect(client.sent).toEqual(['{"action":"ping"}']);
  });

  it('shows the answer growing in its bubble, last words included, before Lex replaces it', async () => {
    // Prepare
    const credentials = await visitorCredentials();
    const client = lexWebUi(credentials);
    await client.connect();

    // Act
    const turn = await client.ask('How does streaming reach the browser?');

    // Assess
    const texts = turn.bubble.map((snapshot) => snapshot.text);
    expect(texts.length).toBeGreaterThanOrEqual(3);
    for (let i = 1; i < texts.length; i += 1) expect(texts[i]?.startsWith(texts[i - 1] ?? '')).toBe(true);
    expect(texts.at(-1)?.trimEnd()).toBe(turn.finalMessage.trimEnd());
    expect(turn.framesReceived.at(-1)).toBe(END_OF_TEXT_MARKER);
    expect(turn.bubble.at(-1)?.atMs).toBeLessThanOrEqual(turn.lexAnsweredAtMs);
  });

  it('refuses another visitor who signs with the same lex-web-ui id while it is in use', async () => {
    // Prepare
    const owner = await visitorCredentials();
    const other = await visitorCredentials();
    const first = lexWebUi(owner);
    await first.connect();

    // Act
    const intruder = lexWebUi(other, first.userId);

    // Assess
    await expect(intruder.connect()).rejects.toThrow(/HTTP 403/);
  });
});

describe("QnABot 7.4's own fulfillment streaming, with our table", () => {
  /** QnABot's getConnectionId: GetItem by session id, `Item.connectionId.S`. */
  async function qnabotGetConnectionId(sessionId: string): Promise<string | undefined> {
    const dynamodb = new DynamoDBClient({
      endpoint: stack.endpoints.dynamodb,
      region: stack.endpoints.region,
      credentials: stack.endpoints.credentials,
    });
    try {
      const { Item } = await dynamodb.send(
        new GetItemCommand({ TableName: stack.endpoints.tableName, Key: { sessionId: { S: sessionId } } }),
      );
      return Item?.connectionId?.S;
    } finally {
      dynamodb.destroy();
    }
  }

  it('finds the visitor’s socket and every raw chunk it posts reaches Lex Web UI', async () => {
    // Prepare: a Lex Web UI visitor with its socket open
    const credentials = await visitorCredentials();
    const client = lexWebUi(credentials);
    await client.connect();
    const frames: string[] = [];
    (client as unknown as { onFrame: (data: string) => void }).onFrame = (data) => frames.push(data);

    // Act: what QnABot's converseStream does with the session attributes Lex Web UI sent
    const connectionId = await qnabotGetConnectionId(client.userId);
    const endpoint = stack.endpoints.webSocketUrl.replace(/^ws/, 'http');
    const management = new ApiGatewayManagementApiClient({
      endpoint,
      region: stack.endpoints.region,
      credentials: stack.endpoints.credentials,
    });
    const bedrock = new BedrockRuntimeClient({
      endpoint: stack.endpoints.bedrockRuntime,
      region: stack.endpoints.region,
      credentials: stack.endpoints.credentials,
    });
    let complete = '';
    try {
      const response = await bedrock.send(
        new ConverseStreamCommand({
          modelId: stack.endpoints.modelId,
          messages: [{ role: 'user', content: [{ text: 'What is the direct ask route?' }] }],
        }),
      );
      for await (const event of response.stream ?? []) {
        const text = event.contentBlockDelta?.delta?.text;
        if (!text) continue;
        complete += text;
        await management.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: text }));
      }
    } finally {
      management.destroy();
      bedrock.destroy();
    }
    const deadline = Date.now() + 5000;
    while (frames.join('') !== complete && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));

    // Assess
    expect(connectionId).toBeDefined();
    expect(complete.length).toBeGreaterThan(20);
    expect(frames.join('')).toBe(complete);
  });
});
