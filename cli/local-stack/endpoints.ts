/**
 * Where each part of a running local stack listens: what `npm start` prints, writes to
 * build/local/endpoints.json and shows on the status and demo pages.
 */
/** What `npm start` prints and writes to build/local/endpoints.json. */
export interface LocalEndpoints {
  region: string;
  webSocketUrl: string;
  callbackUrl: string;
  dynamodb: string;
  bedrockRuntime: string;
  bedrockAgentRuntime: string;
  cognitoIdentity: string;
  identityPoolId: string;
  lexRuntime: string;
  botId: string;
  botAliasId: string;
  localeId: string;
  tableName: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** The page to open. */
  webUrl: string;
  /** Model the fulfillment Lambda asks. */
  modelId: string;
  /** Timing of the local model at start (absent with real Bedrock). */
  modelTiming?: { timeToFirstTokenMs: number; tokensPerSecond: number };
}
