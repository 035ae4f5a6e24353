/**
 * The clients a publishing Lambda needs, created once per container (first call) from the Lambda's
 * configuration. Endpoints of Bedrock and DynamoDB follow the standard `AWS_ENDPOINT_URL_<SERVICE>`
 * variables (the local stack sets them); the `@connections` endpoint is the configured callback URL.
 *
 * Streaming off (`EnableStreaming=FALSE`: callback URL and table both empty) is not an error: the
 * runtime then has a session table in which no session has a connection, so the same answer flow
 * calls the model and returns the full answer through Lex without a single post.
 */
import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { BedrockAgentRuntimeClient } from '@aws-sdk/client-bedrock-agent-runtime';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type PublisherConfig, readPublisherConfig } from '../shared/config';
import { DEFAULT_SESSION_TTL_SECONDS, ENV } from '../shared/constants';
import { createLogger, type Logger } from '../shared/logger';
import { SessionTable } from '../shared/session-table';
import { qnabotStreamingTarget } from './integrations/session-attributes';
import type { PublishAnswerOptions } from './pipeline/publisher';

/** What a publisher reads and deletes in the session table. */
export type PublisherTable = Pick<SessionTable, 'listConnections' | 'deleteConnection' | 'findConnection'>;

/** The session table of a Lambda whose streaming is off: no session has a connection. */
export const NO_SESSIONS: PublisherTable = {
  listConnections: async () => [],
  deleteConnection: async () => false,
  findConnection: async () => undefined,
};

export interface PublisherRuntime {
  config: PublisherConfig;
  /** The session table, or NO_SESSIONS when streaming is off. */
  table: PublisherTable;
  /**
   * Posts to `config.callbackUrl`; its SDK retries are off because the poster has its own policy.
   * Never called when streaming is off (there is no connection to post to).
   */
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
  const service = options.service ?? 'publisher';
  const logger = createLogger({ service });
  if (!config.streamingEnabled) {
    logger.info('streaming is off: answers return through Lex only, nothing is posted to sockets', {
      reason: `${ENV.callbackUrl} and ${ENV.tableName} are empty (EnableStreaming=FALSE)`,
    });
  }
  return {
    config,
    table: config.streamingEnabled
      ? new SessionTable({
          client: options.dynamoDb ?? new DynamoDBClient({}),
          tableName: config.tableName,
          ttlSeconds: DEFAULT_SESSION_TTL_SECONDS,
        })
      : NO_SESSIONS,
    managementApi: new ApiGatewayManagementApiClient({
      ...(config.streamingEnabled ? { endpoint: config.callbackUrl } : {}),
      maxAttempts: 1,
    }),
    bedrock: () => {
      bedrock ??= new BedrockRuntimeClient({});
      return bedrock;
    },
    agentRuntime: () => {
      agentRuntime ??= new BedrockAgentRuntimeClient({});
      return agentRuntime;
    },
    logger,
    service,
  };
}

let cached: PublisherRuntime | undefined;

/** The container's runtime, created from `process.env` on first use (call it at module load: cold start). */
export function getPublisherRuntime(service?: string): PublisherRuntime {
  cached ??= createPublisherRuntime(readPublisherConfig(process.env), { service });
  return cached;
}

/** Forgets the cached runtime (tests that change the environment). */
export function resetPublisherRuntime(): void {
  cached = undefined;
}

const targetRuntimes = new WeakMap<PublisherRuntime, Map<string, PublisherRuntime>>();
/**
 * Endpoints a container keeps clients for. The endpoint is checked but chosen by the client, so
 * the cache is bounded: a caller cycling through API ids cannot grow it (the oldest is dropped).
 */
const MAX_TARGET_RUNTIMES = 4;
let sharedDynamoDb: DynamoDBClient | undefined;

/**
 * The runtime a QnABot hook streams with. A hook configured by our template (STREAMING_* set) uses
 * its own configuration. A hook deployed next to a QnABot master, which gives hooks none of our
 * environment, streams where QnABot's own fulfillment would: the table from QnABot's
 * `STREAMING_TABLE` setting and the client's checked `streamingEndpoint` (session-attributes.ts
 * `qnabotStreamingTarget`); when that is not possible it answers through Lex only, and says why.
 */
export function runtimeForQnabotHook(
  base: PublisherRuntime,
  request: { sessionAttributes: Record<string, unknown>; settings: Record<string, unknown> },
): PublisherRuntime {
  if (base.config.streamingEnabled) return base;
  const target = qnabotStreamingTarget(request.sessionAttributes, request.settings, {
    region: process.env.AWS_REGION,
    allowLocalEndpoints: base.config.allowLocalEndpoints,
  });
  if ('reason' in target) {
    base.logger.debug('not streaming this answer', { reason: target.reason });
    return base;
  }
  const byTarget = targetRuntimes.get(base) ?? new Map<string, PublisherRuntime>();
  targetRuntimes.set(base, byTarget);
  const key = `${target.tableName} ${target.callbackUrl}`;
  let runtime = byTarget.get(key);
  if (!runtime) {
    sharedDynamoDb ??= new DynamoDBClient({});
    runtime = {
      ...base,
      config: {
        ...base.config,
        streamingEnabled: true,
        tableName: target.tableName,
        callbackUrl: target.callbackUrl,
        webSocketEndpoint: target.callbackUrl.replace(/^http/, 'ws'),
      },
      table: new SessionTable({
        client: sharedDynamoDb,
        tableName: target.tableName,
        ttlSeconds: DEFAULT_SESSION_TTL_SECONDS,
      }),
      managementApi: new ApiGatewayManagementApiClient({ endpoint: target.callbackUrl, maxAttempts: 1 }),
    };
    if (byTarget.size >= MAX_TARGET_RUNTIMES) {
      const [oldestKey, oldest] = byTarget.entries().next().value as [string, PublisherRuntime];
      oldest.managementApi.destroy();
      byTarget.delete(oldestKey);
    }
    byTarget.set(key, runtime);
    base.logger.info("streaming with the QnABot master's session table and the client's checked endpoint", {
      table: target.tableName,
      endpoint: target.callbackUrl,
    });
  }
  return runtime;
}

/** What a runtime's configuration sets of publishAnswer's options (spread them into the call). */
export type RuntimePublishOptions = Pick<
  PublishAnswerOptions,
  | 'table'
  | 'managementApi'
  | 'coalesceWindowMs'
  | 'coalesceMaxBytes'
  | 'textHoldMs'
  | 'sessionPollMs'
  | 'logger'
  | 'metrics'
>;

/**
 * The clients and settings of `runtime` as publishAnswer options: `publishAnswer({ sessionId,
 * source, ...publishOptionsOf(runtime) })` streams with the Lambda's configuration.
 */
export function publishOptionsOf(runtime: PublisherRuntime): RuntimePublishOptions {
  return {
    table: runtime.table,
    managementApi: runtime.managementApi,
    coalesceWindowMs: runtime.config.coalesceWindowMs,
    coalesceMaxBytes: runtime.config.coalesceMaxBytes,
    textHoldMs: runtime.config.textHoldMs,
    sessionPollMs: runtime.config.sessionPollMs,
    logger: runtime.logger,
    metrics: { service: runtime.service },
  };
}
