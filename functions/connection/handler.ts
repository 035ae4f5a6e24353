/**
 * The connection Lambda: `$connect`, `$disconnect`, `$default` and `cancel` of the WebSocket API.
 * Configuration is read and clients are created once per container.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { readConnectionConfig } from '../shared/config';
import { createLogger } from '../shared/logger';
import { coldStartMetric } from '../shared/metrics';
import { SessionTable } from '../shared/session-table';
import { RecentCancels, routeConnectionEvent } from './connection-routes';
import type { WebSocketEvent, WebSocketResult } from './websocket-event';

const config = readConnectionConfig();
const SERVICE = 'streaming-connection';
const logger = createLogger({ service: SERVICE });
const coldStart = coldStartMetric({ service: SERVICE });
const table = new SessionTable({
  client: new DynamoDBClient({}),
  tableName: config.tableName,
  ttlSeconds: config.sessionTtlSeconds,
  claimGraceSeconds: config.claimGraceSeconds,
});
const recentCancels = new RecentCancels();

export async function handler(event: WebSocketEvent): Promise<WebSocketResult> {
  coldStart();
  return routeConnectionEvent(event, { table, config, logger, now: Date.now, recentCancels });
}
