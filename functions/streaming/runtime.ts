/**
 * The clients a publishing Lambda needs, created once per container (first call) from the Lambda's
 * configuration. Endpoints of Bedrock and DynamoDB follow the standard `AWS_ENDPOINT_URL_<SERVICE>`
 * variables (the local stack sets them); the `@connections` endpoint is the configured callback URL.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { BedrockAgentRuntimeClient } from '@aws-sdk/client-bedrock-agent-runtime';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type PublisherConfig, readPublisherConfig } from '../shared/config';
import { DEFAULT_SESSION_TTL_SECONDS } from '../shared/constants';
import { createLogger, type Logger } from '../shared/logger';
import { SessionTable } from '../shared/session-table';

export interface PublisherRuntime {
  config: PublisherConfig;
  table: SessionTable;
  /** Posts to `config.callbackUrl`; its SDK retries are off because the poster has its own policy. */
  managementApi: ApiGatewayManagementApiClient;
  bedrock(): BedrockRuntimeClient;
  agentRuntime(): BedrockAgentRuntimeClient;
  logger: Logger;
  /** Name in logs and the `Service` dimension of the metrics. */
  service: string;
}

export function createPublisherRuntime(
  config: PublisherConfig,
  options: { service?: string; dynamoDb?: DynamoDBClient } = {},
): PublisherRuntime {
  let bedrock: BedrockRuntimeClient | undefined;
  let agentRuntime: BedrockAgentRuntimeClient | undefined;
  return {
    config,
    table: new SessionTable({
      client: options.dynamoDb ?? new DynamoDBClient({}),
      tableName: config.tableName,
      ttlSeconds: DEFAULT_SESSION_TTL_SECONDS,
    }),
    managementApi: new ApiGatewayManagementApiClient({ endpoint: config.callbackUrl, maxAttempts: 1 }),
    bedrock: () => {
      bedrock ??= new BedrockRuntimeClient({});
      return bedrock;
    },
    agentRuntime: () => {
      agentRuntime ??= new BedrockAgentRuntimeClient({});
      return agentRuntime;
    },
    logger: createLogger({ service: options.service ?? 'publisher' }),
    service: options.service ?? 'publisher',
  };
}

let cached: PublisherRuntime | undefined;

/** The container's runtime, created from `process.env` on first use. */
export function getPublisherRuntime(service?: string): PublisherRuntime {
  cached ??= createPublisherRuntime(readPublisherConfig(process.env), { service });
  return cached;
}

/** Forgets the cached runtime (tests that change the environment). */
export function resetPublisherRuntime(): void {
  cached = undefined;
}
