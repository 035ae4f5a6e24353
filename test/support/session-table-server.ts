/**
 * A real DynamoDB-compatible server (dynalite on 127.0.0.1) with the session table created from
 * the synthesized streaming template, for tests of everything that reads or writes the table.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  createTableInputFromTemplate,
  type LocalDynamoDb,
  startLocalDynamoDb,
} from '../../cli/local-stack/dynamodb';
import { DEFAULT_SESSION_TTL_SECONDS } from '../../functions/shared/constants';
import { SessionTable } from '../../functions/shared/session-table';
import { streamingTemplate } from './templates';

export interface SessionTableServer {
  dynamodb: LocalDynamoDb;
  client: DynamoDBClient;
  tableName: string;
  table: SessionTable;
  stop(): Promise<void>;
}

export async function startSessionTableServer(tableName = 'streaming-sessions'): Promise<SessionTableServer> {
  const dynamodb = await startLocalDynamoDb();
  await dynamodb.createTable(createTableInputFromTemplate(streamingTemplate(), tableName));
  const client = dynamodb.client();
  return {
    dynamodb,
    client,
    tableName,
    table: new SessionTable({ client, tableName, ttlSeconds: DEFAULT_SESSION_TTL_SECONDS }),
    async stop() {
      client.destroy();
      await dynamodb.stop();
    },
  };
}
